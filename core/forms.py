import html

from django import forms
from django.utils.safestring import mark_safe


def style_form(form):
    """Bootstrap classes on every widget of a form, so templates stay plain."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.CheckboxInput)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form


class DateInput(forms.DateInput):
    """The browser's own date picker (phones show their native one)."""

    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class MonthInput(forms.DateInput):
    """The browser's month picker (YYYY-MM)."""

    input_type = "month"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m")
        super().__init__(**kwargs)


def _escape(text) -> str:
    """Django's escape without its lazy-string wrapper: called 4,000 times a drop-down."""
    return html.escape(str(text))


class QuickSelect(forms.Select):
    """A drop-down written in one pass, as Django's own Select writes it but
    without a template per option: a filter offering a province's 3,000
    units renders in a few milliseconds instead of a quarter of a second.
    Option groups fall back to Django's rendering."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = [choice for choice in self.choices]  # (not list(): a model choice's len() is a COUNT)
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        escape = _escape
        chosen = set(self.format_value(value))
        options, selected_one = [], False
        for option_value, label in choices:
            option_value = "" if option_value is None else str(option_value)
            selected = option_value in chosen and (self.allow_multiple_selected or not selected_one)
            selected_one = selected_one or selected
            mark = " selected" if selected else ""
            options.append(f'\n  <option value="{escape(option_value)}"{mark}>{escape(label)}</option>')
        # Attributes in order, a True one by its name alone (Django's attrs.html).
        written = "".join(
            f" {escape(key)}" if value is True else f' {escape(key)}="{escape(value)}"'
            for key, value in self.build_attrs(self.attrs, attrs).items()
            if value is not False
        )
        # Every name, value and label above is escaped.
        return mark_safe(f'<select name="{escape(name)}"{written}>{"".join(options)}\n</select>')  # nosec B308 B703


class NamedChoiceIterator(forms.models.ModelChoiceIterator):
    """A model's choices read as (id, label) pairs, building no instance:
    for a model whose label is one of its columns (`choice_label`)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", self.queryset.model.choice_label)


def _labelled_by_a_column(field) -> bool:
    return (
        isinstance(field, forms.ModelChoiceField)
        and type(field).label_from_instance is forms.ModelChoiceField.label_from_instance
        and hasattr(field.queryset.model, "choice_label")
    )


def quicken(form):
    """Every plain drop-down of `form` written by QuickSelect; the choices of a
    model that names its label column read as plain rows."""
    for field in form.fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            choices = widget.choices
            if _labelled_by_a_column(field):
                field.iterator = NamedChoiceIterator
                choices = field.choices
            quick = QuickSelect(attrs=widget.attrs, choices=choices)
            quick.is_required = widget.is_required
            field.widget = quick
    return form
