"""The "Verify me" form. It is rendered here but posted to ``lifecheck:start``.

The library's start view validates the fields again (mode, actions, colours against the
protocol); this form only offers sensible presets so the demo is one click away.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MODE_CHOICES = [
    ("silent", _("Silent: just look at the camera")),
    ("action", _("Action: follow the prompts")),
    ("flash", _("Flash: the screen flashes colours")),
    ("action+flash", _("Action and flash")),
]

# Ordered sequences, comma separated as the protocol sends them. With a flash the
# sequence must contain LookFront (the flash runs while the user looks straight ahead).
ACTION_CHOICES = [
    ("LookFront,BlinkEye,ShakeHead", _("Look ahead, blink, shake your head")),
    ("LookFront,OpenMouth,NodHead", _("Look ahead, open your mouth, nod")),
    ("LookFront,LookLeft,LookRight", _("Look ahead, then left, then right")),
    ("LookFront,BlinkEye", _("Look ahead, blink (short)")),
]

# Each preset has at least one bright and one dark palette colour, as the protocol asks.
COLOR_CHOICES = [
    ("#FFFFFF,#000000", _("White and black (recommended)")),
    ("#FFFFFF,#000000,#FFD9E3,#060D3C", _("White, black, pink, navy")),
    ("#CFF9FF,#3C0636,#D8FFCD,#183C03", _("Cyan, plum, mint, forest")),
]


class VerifyForm(forms.Form):
    mode = forms.ChoiceField(label=_("Kind of check"), choices=MODE_CHOICES, initial="action")
    actions = forms.ChoiceField(label=_("Actions"), choices=ACTION_CHOICES, required=False)
    colors = forms.ChoiceField(label=_("Flash colours"), choices=COLOR_CHOICES, required=False)
    next = forms.CharField(widget=forms.HiddenInput, required=False)
