"""The form behind the start view: which kind of check, within what the site allows."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..exceptions import InvalidParameter
from ..models import Mode
from ..protocol import ACTIONS, PALETTE, split_list


class StartCheckForm(forms.Form):
    mode = forms.ChoiceField(label=_("Kind of check"), choices=Mode.choices, initial=Mode.SILENT)
    actions = forms.CharField(
        label=_("Actions"),
        required=False,
        help_text=_("Comma-separated, in order: %(actions)s") % {"actions": ", ".join(ACTIONS)},
    )
    colors = forms.CharField(
        label=_("Flash colours"),
        required=False,
        help_text=_("Comma-separated, from the palette: %(colors)s")
        % {"colors": ", ".join(PALETTE)},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = conf.get("ALLOWED_MODES")
        self.fields["mode"].choices = [c for c in Mode.choices if c[0] in allowed]

    def _clean_list(self, name: str) -> list[str]:
        try:
            return split_list(self.cleaned_data.get(name) or "")
        except InvalidParameter as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_actions(self) -> list[str]:
        return self._clean_list("actions")

    def clean_colors(self) -> list[str]:
        return self._clean_list("colors")
