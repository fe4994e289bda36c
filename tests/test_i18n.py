"""Translations: the Chinese catalogue is complete and the pages speak it."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parents[1] / "django_lifecheck" / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n")


def po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each live entry of a .po file; a small reader that
    handles the subset Django's makemessages writes."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if "msgid_plural" in fields:
            fields["msgid"] = "\x00plural\x00" + fields["msgid"]  # never a gettext key
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        entries.append((_unescape(fields["msgid"]), _unescape(msgstr), fuzzy))
    return entries


def test_every_string_has_a_chinese_translation():
    entries = [e for e in po_entries(ZH_PO) if e[0]]  # skip the header
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for msgid, _, is_fuzzy in entries if is_fuzzy]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy


def test_compiled_catalogue_matches_the_source():
    catalogue = gettext.GNUTranslations(ZH_MO.open("rb"))
    singular = [(i, s) for i, s, _ in po_entries(ZH_PO) if i and not i.startswith("\x00")]
    stale = [i for i, s in singular if catalogue.gettext(i) != s]
    assert not stale, f"run `make messages`: django.mo is older than django.po for {stale}"


@pytest.mark.django_db
def test_start_page_in_chinese(user_client):
    response = user_client.get(reverse("lifecheck:start"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "验证是您本人" in response.content.decode()
