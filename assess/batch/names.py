"""Report file names from untrusted applicant text: nothing that climbs out of `reports/`,
nothing a file system refuses, and no two applicants on one file."""

from __future__ import annotations

import re
import unicodedata

from assess.batch.options import REPORTS
from assess.intake.firm import Firm

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
NAME_CHARS = 80
NAME_BYTES = 180  # of 255 a file name may have on most file systems, leaving room for -N.pdf


def safe_stem(text: str) -> str:
    """A file name stem from untrusted text: no path separators, control, format (bidi,
    zero-width), surrogate or Windows-reserved characters, no leading dot, bounded length."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch for ch in text
    )
    text = _UNSAFE.sub("_", text).strip().strip(".").strip()
    text = re.sub(r"\s+", " ", text)[:NAME_CHARS]
    while len(text.encode("utf-8")) > NAME_BYTES:
        text = text[:-1]
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text


# Endings of a company's full name that its short name (简称) leaves out.
_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")
SHORT_CHARS = 16


def short_name(name: str) -> str:
    """A firm's short name for a file: its full name without the legal form at the end
    (湖南湘江新材料有限公司 → 湖南湘江新材料), at most SHORT_CHARS characters."""
    text = name.strip()
    for form in _LEGAL_FORMS:
        if text.endswith(form) and len(text) > len(form):
            text = text[: -len(form)]
            break
    return text[:SHORT_CHARS]


class ReportNames:
    """`reports/<credit code>-<short name>.pdf` (either alone when the other is missing),
    unique within the round (case-insensitively, for Windows and macOS disks): the second
    of a name gets `-2`."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, firm: Firm, index: int) -> str:
        code = firm.get("credit_code")
        code_part = safe_stem(str(code)) if code is not None else ""
        name_part = safe_stem(short_name(firm.name)) if firm.get("name") else ""
        base = "-".join(p for p in (code_part, name_part) if p)
        base = safe_stem(base) or safe_stem(firm.name) or f"applicant-{index}"
        name, n = base, 2
        while name.casefold() in self.used:
            name = f"{base}-{n}"
            n += 1
        self.used.add(name.casefold())
        return f"{REPORTS}/{name}.pdf"
