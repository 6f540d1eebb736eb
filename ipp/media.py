"""The PWG media vocabulary shared by every face: media keywords from media names.

SNMP's prtInputMediaName is free text (RFC 3805: "the name of the current media", ISO 10175
or PWG names recommended, not required); IPP's media-ready and TR-069's MediaSizeName are
PWG 5101.1 keywords. A value of one face is mapped into the other's space, never copied: the
printer (``emulator.state``) and the proxy's mapping (``datamodel.conversions``) use the same
rule, so both answer an ACS with the same keyword for the same tray.
"""

from __future__ import annotations

import re

#: PWG 5101.1 §5 self-describing media name: class_size-name_WIDTHxHEIGHTunit.
_PWG_MEDIA_NAME = re.compile(r"[a-z0-9]+_[a-z0-9.-]+_[0-9]+(\.[0-9]+)?x[0-9]+(\.[0-9]+)?(mm|in)")
#: Legacy size names (PWG 5101.1 Table "legacy name") a free-text media name may contain.
LEGACY_MEDIA_NAMES: dict[str, str] = {
    "a3": "iso_a3_297x420mm",
    "a4": "iso_a4_210x297mm",
    "a5": "iso_a5_148x210mm",
    "a6": "iso_a6_105x148mm",
    "b5": "iso_b5_176x250mm",
    "letter": "na_letter_8.5x11in",
    "legal": "na_legal_8.5x14in",
    "executive": "na_executive_7.25x10.5in",
    "ledger": "na_ledger_11x17in",
    "tabloid": "na_ledger_11x17in",
}


def media_keyword(text: str) -> str | None:
    """The PWG media keyword a media name means, or None if it names no known size.

    SNMP's prtInputMediaName is free text (RFC 3805: "the name of the current media", ISO
    10175 or PWG names recommended, not required), IPP's media-ready a keyword (RFC 8011
    §5.1.4): a face's value is mapped into the other's space, never copied. A PWG
    self-describing name is itself; otherwise a legacy size word in the text ("Plain A4")."""
    if _PWG_MEDIA_NAME.fullmatch(text):
        return text
    for word in re.split(r"[^a-z0-9]+", text.lower()):
        if word in LEGACY_MEDIA_NAMES:
            return LEGACY_MEDIA_NAMES[word]
    return None
