"""Form helpers for templates. Load with ``{% load row_forms %}``.

``{% row_form form row [field=initial ...] as f %}`` — ``form`` as rendered in one row of a
list that repeats it (a "mark done" form per step, a decision form per agenda item), so each
row can use ``{{ f.field|as_crispy_field }}`` like any other form::

    {% row_form decision_form item.pk decision=item.decision rationale=item.rationale as f %}
    {{ f.decision|as_crispy_field }}

- Field ids end in ``-<row>`` (``id_rationale-12``): ids stay unique on the page and each
  label points at its own row's field.
- Keyword arguments are this row's initial values while the form is unbound; a bound form
  keeps what was posted and its errors.
- Names are unchanged, so the view reads the post exactly as before.
"""

import copy

from django import forms, template

register = template.Library()


@register.simple_tag
def row_form(form: forms.BaseForm, row, **initial) -> forms.BaseForm:
    clone = copy.copy(form)
    clone.auto_id = f"id_%s-{row}"
    # Own fields and bound-field cache: crispy writes classes and aria attributes onto widgets.
    clone.fields = copy.deepcopy(form.fields)
    clone._bound_fields_cache = {}
    if initial and not form.is_bound:
        clone.initial = {**form.initial, **initial}
    return clone
