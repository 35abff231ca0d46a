"""The breadcrumbs and row_form template tags."""

import pytest
from django import forms
from django.template import Context, Template, TemplateSyntaxError


def render(source: str, **context) -> str:
    return Template("{% load breadcrumbs row_forms crispy_forms_tags %}" + source).render(Context(context))


def test_breadcrumbs_start_at_home_and_end_at_the_current_page():
    html = render(
        '{% breadcrumbs %}{% crumb "Oakfield" "/providers/oakfield/" %}'
        '{% crumb "Flags" "/ignored/" %}{% endbreadcrumbs %}'
    )
    assert html.strip() == (
        '<nav aria-label="Breadcrumb"><ol class="breadcrumb">'
        '<li class="breadcrumb-item"><a href="/">Home</a></li>'
        '<li class="breadcrumb-item"><a href="/providers/oakfield/">Oakfield</a></li>'
        '<li class="breadcrumb-item active" aria-current="page">Flags</li>'
        "</ol></nav>"
    )


def test_breadcrumbs_skip_empty_labels_and_show_crumbs_without_url_as_text():
    html = render(
        "{% breadcrumbs %}{% crumb service.name service.url %}{% crumb action %}"
        "{% crumb 'Measure' %}{% endbreadcrumbs %}",
        service=None,
        action="A-3 <Night cover>",
    )
    assert html.count("breadcrumb-item") == 3
    assert '<li class="breadcrumb-item">A-3 &lt;Night cover&gt;</li>' in html


def test_breadcrumbs_can_be_worked_out_with_other_tags():
    html = render(
        '{% breadcrumbs %}{% for label, url in crumbs %}{% crumb label url %}{% endfor %}{% url "core:home" as u %}'
        '{% if u %}{% crumb "Here" %}{% endif %}ignored text{% endbreadcrumbs %}',
        crumbs=[("Theme", "/themes/1/")],
    )
    assert "ignored text" not in html
    assert '<a href="/themes/1/">Theme</a>' in html and 'aria-current="page">Here<' in html


def test_a_crumb_outside_breadcrumbs_is_an_error():
    with pytest.raises(TemplateSyntaxError):
        render('{% crumb "Lost" %}')


class DoneForm(forms.Form):
    done_on = forms.DateField(label="Done on")
    note = forms.CharField(label="Note", initial="none")


def test_row_form_gives_each_row_its_own_ids_and_initial_values():
    form = DoneForm()
    html = render(
        "{% for row in rows %}{% row_form form row.pk note=row.note as f %}{{ f.note|as_crispy_field }}{% endfor %}",
        form=form,
        rows=[{"pk": 1, "note": "first"}, {"pk": 2, "note": "second"}],
    )
    assert 'for="id_note-1"' in html and 'id="id_note-1"' in html and 'value="first"' in html
    assert 'for="id_note-2"' in html and 'id="id_note-2"' in html and 'value="second"' in html
    assert html.count('name="note"') == 2
    assert form["note"].auto_id == "id_note" and form["note"].value() == "none"  # the view's form is untouched


def test_row_form_keeps_what_was_posted():
    form = DoneForm({"done_on": "", "note": "typed"})
    form.is_valid()
    html = render("{% row_form form 7 note='initial' as f %}{{ f.done_on|as_crispy_field }}{{ f.note }}", form=form)
    assert 'value="typed"' in html and 'id="id_done_on-7"' in html and "This field is required." in html
