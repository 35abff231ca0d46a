from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from .models import User


class AccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "job_title", "digest_opt_in"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save details"))
