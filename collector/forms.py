"""Forms render the participant pages; the services own validation and report errors
back onto these forms (fields are not required here so messages are not doubled)."""
from __future__ import annotations

from django import forms

from collector.models import Study
from collector.questionnaires import Instrument


class ConsentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(
        required=False,
        label="I have read the information above and I agree to take part in this study.",
    )


class QuestionnaireForm(forms.Form):
    def __init__(self, *args, instrument: Instrument, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for item in instrument.items:
            if item.widget == "slider":
                low, high = item.anchors
                field = forms.CharField(
                    required=False,
                    label=item.text,
                    help_text=f"{item.minimum} = {low}, {item.maximum} = {high}",
                    widget=forms.NumberInput(attrs={
                        "type": "range", "min": item.minimum, "max": item.maximum, "step": 1,
                        "class": "slider",
                    }),
                )
            else:
                help_text = ""
                if item.widget == "scale":
                    low, high = item.anchors
                    help_text = f"{item.minimum} = {low}, {item.maximum} = {high}"
                field = forms.CharField(
                    required=False,
                    label=item.text,
                    help_text=help_text,
                    widget=forms.RadioSelect(
                        choices=item.choices(),
                        attrs={"class": "scale" if item.widget == "scale" else "choices"},
                    ),
                )
            self.fields[item.code] = field


class DemographicsForm(forms.Form):
    def __init__(self, *args, study: Study, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for spec in study.demographics:
            label = spec.get("label", spec["name"].replace("_", " ").capitalize())
            if not spec.get("required"):
                label += " (optional)"
            kind = spec.get("type", "text")
            if kind == "int":
                widget = forms.NumberInput(attrs={"min": spec.get("min"), "max": spec.get("max")})
            elif kind == "choice":
                widget = forms.Select(
                    choices=[("", "Prefer not to say")] + [(c, c) for c in spec["choices"]]
                )
            else:
                widget = forms.TextInput(attrs={"maxlength": 200})
            self.fields[spec["name"]] = forms.CharField(
                required=False, label=label, widget=widget
            )


class WithdrawalForm(forms.Form):
    code = forms.CharField(
        label="Your participant code",
        max_length=20,
        help_text="The code shown on the thank-you page, for example K7QM3XPD.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    confirm = forms.BooleanField(
        label="I understand that all my recorded data and answers will be deleted.",
    )


def form_errors_apply(form: forms.Form, errors: dict[str, str]) -> None:
    """Attach service error messages to the matching fields (others become form errors)."""
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)
