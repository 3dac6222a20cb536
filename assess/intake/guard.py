"""The file guard: refuse, with one line naming the file, what must not reach a parser.

Before python-calamine or openpyxl sees a workbook, this module checks what the file is
(.xls, CSV, password protection, a text file renamed .xlsx), that the zip is not a bomb
(too many parts, too large expanded, one part expanding hundreds of times), that no part
declares a DTD (XML entity bombs, external entities), and reads the facts the cell
readers need: each sheet's zip entry, the 问卷/批量 sheets' XML and which cell styles
show a percentage.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess.errors import InputError, Problem
from assess.intake.layout import SHEET_BATCH, SHEET_FORM, find_sheet
from assess.intake.places import col_index, col_letter

# Zip-bomb guard: an agency's 20,000-firm workbook expands to about 40 MB of XML, and real
# xlsx parts compress 5–20 times; a bomb expands hundreds of times.
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 256 * 2**20
MAX_RATIO = 200
RATIO_CHECK_FROM = 8 * 2**20  # small parts may compress well; only large ones are checked

# Sheet-size guard: python-calamine allocates one 32-byte slot for every cell of the box
# from the sheet's first to its last filled cell, whatever lies between, so two filled
# cells at A1 and XFD1048576 ask it for 512 GB and the process aborts natively.  The box
# is measured from the sheet XML before calamine opens the sheet.  A 批量 sheet of 100,000
# firms × 100 fields is the most we read in one sheet; agencies split larger rounds.
MAX_SHEET_ROWS = 100_000
MAX_SHEET_CELLS = 10_000_000  # 320 MB of calamine slots
MAX_SHEET_COLUMNS = 16_384  # Excel's own limit (XFD); calamine would read further

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls or encrypted .xlsx
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def fail(source: str, code: str, **params: Any) -> InputError:
    """A file that cannot be read at all: one coded problem naming the file."""
    return InputError([Problem.coded(source, "", code, **params)])


def sniff(path: Path, source: str) -> None:
    """Refuse, with one line, what is not an .xlsx workbook."""
    if not path.exists():
        raise fail(source, "intake.file.no_such_file")
    if not path.is_file():
        raise fail(source, "intake.file.folder")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise fail(source, "intake.file.cannot_read", reason=exc.strerror or exc) from None
    suffix = path.suffix.lower()
    if head.startswith(_CFB_MAGIC):
        if _is_encrypted(path):
            raise fail(source, "intake.file.password")
        raise fail(source, "intake.file.xls")
    if suffix == ".csv":
        raise fail(source, "intake.file.csv")
    if suffix == ".ods":
        raise fail(source, "intake.file.ods")
    if not head.startswith(b"PK"):
        if suffix in (".xls", ".et"):
            raise fail(source, "intake.file.fake_xls", suffix=suffix)
        if head.startswith(b"%PDF"):
            raise fail(source, "intake.file.pdf")
        if head and _looks_like_text(head):
            raise fail(source, "intake.file.text")
        raise fail(source, "intake.file.not_xlsx")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\r\n\t" for c in text[:512])


def _is_encrypted(path: Path) -> bool:
    """An OLE file holding an `EncryptionInfo` stream is an encrypted OOXML workbook."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        data = fh.read(min(size, 64 * 2**20))
    return _ENCRYPTION_INFO in data


@dataclass
class Book:
    """What the zip holds that calamine does not tell: per sheet XML facts."""

    source: str
    sheet_paths: dict[str, str]  # sheet name -> zip entry
    percent_xfs: frozenset[int]  # cell style indices whose number format shows a %
    xml: dict[str, bytes] = field(default_factory=dict)  # sheet name -> its XML


def _guard_zip(zf: zipfile.ZipFile, source: str) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise fail(source, "intake.file.too_many_parts", count=len(infos))
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise fail(source, "intake.file.password")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            raise fail(
                source,
                "intake.file.ratio",
                name=info.filename,
                ratio=f"{ratio:.0f}",
                size=f"{info.file_size / 2**20:.0f}",
            )
    if total > MAX_TOTAL_BYTES:
        raise fail(
            source,
            "intake.file.total",
            size=f"{total / 2**20:.0f}",
            limit=MAX_TOTAL_BYTES // 2**20,
        )


def _read_entry(zf: zipfile.ZipFile, name: str, source: str) -> bytes:
    """An entry's bytes, never more than its declared size (the CRC check catches an entry
    that lies about it)."""
    try:
        with zf.open(name) as fh:
            data = fh.read(MAX_TOTAL_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise fail(source, "intake.file.damaged", detail=f"{name}: {exc}") from None
    # No part of a real workbook has a DTD; one that does may define entities that expand
    # (an XML bomb), and calamine, not defusedxml, would parse the parts we do not.
    if name.endswith((".xml", ".rels")) and declares_dtd(data):
        raise fail(source, "intake.file.entities", name=name)
    return data


_SPACE = re.compile(rb"[ \t\r\n]*")
_UTF16_DOCTYPE = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def declares_dtd(data: bytes) -> bool:
    """Whether an XML part has a document type declaration: anything `<!` other than a
    comment before its root element (after any amount of comments and processing
    instructions, which a fixed-length look at the head would miss)."""
    head = data[:4096]
    if any(mark in head for mark in _UTF16_DOCTYPE):
        return True
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        match = _SPACE.match(data, pos)
        pos = match.end() if match else pos
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
        else:
            return data.startswith(b"<!", pos)
        if end < 0:
            return False  # never closed: not XML, and the parser says so
        pos = end + 2 if data[end] == ord("?") else end + 3


def _xml(data: bytes, source: str, name: str) -> Any:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        return ElementTree.fromstring(data)
    except DefusedXmlException:
        raise fail(source, "intake.file.entities", name=name) from None
    except Exception:
        raise fail(source, "intake.file.damaged", detail=name) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(elem: Any, name: str) -> str | None:
    for key, value in elem.attrib.items():
        if _local(key) == name:
            return str(value)
    return None


def open_zip(path: Path, source: str) -> Book:
    """Check the zip, find the sheets, read the 问卷/批量 sheets' XML and the styles."""
    try:
        zf = zipfile.ZipFile(path)
    # NotImplementedError: a central directory that asks for a newer zip version (found by
    # fuzzing: it escaped as a crash); ValueError: offsets that point before the file.
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise fail(source, "intake.file.damaged", detail=exc) from None
    with zf:
        _guard_zip(zf, source)
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            raise fail(source, "intake.file.no_workbook_part")
        book = _xml(_read_entry(zf, "xl/workbook.xml", source), source, "xl/workbook.xml")
        targets: dict[str, str] = {}
        rels_name = "xl/_rels/workbook.xml.rels"
        if rels_name in names:
            rels = _xml(_read_entry(zf, rels_name, source), source, rels_name)
            for rel in rels.iter():
                rid, target = rel.get("Id"), rel.get("Target")
                if rid and target:
                    target = target.lstrip("/")
                    targets[rid] = target if target.startswith("xl/") else f"xl/{target}"
        paths: dict[str, str] = {}
        for elem in book.iter():
            if _local(elem.tag) == "sheet":
                name, rid = elem.get("name"), _attr(elem, "id")
                if name and rid and rid in targets:
                    paths[name] = targets[rid]
        percent: frozenset[int] = frozenset()
        if "xl/styles.xml" in names:
            percent = _percent_styles(
                _xml(_read_entry(zf, "xl/styles.xml", source), source, "xl/styles.xml")
            )
        result = Book(source, paths, percent)
        # calamine finds a part whatever the case of its name ("Worksheets/Sheet1.xml"):
        # the guard must read the very part calamine will.
        by_lower = {name.lower(): name for name in names}
        for sheet in (find_sheet(paths, SHEET_FORM), find_sheet(paths, SHEET_BATCH)):
            entry = paths.get(sheet or "")
            if sheet is None:
                continue
            if entry is not None and entry.lower() in by_lower:
                xml = _read_entry(zf, by_lower[entry.lower()], source)
                _guard_extent(xml, source, sheet)
                result.xml[sheet] = xml
        # Every other part calamine may read: a part that lies about its size fails its CRC.
        for name in names:
            if name.endswith((".xml", ".rels")) and "worksheets/" not in name:
                _guard_shared_strings(_read_entry(zf, name, source), source, name)
    return result


_SST = re.compile(rb"<(?:[\w.-]+:)?sst[\s>/][^>]*>")
_UNIQUE_COUNT = re.compile(rb'uniqueCount *= *"(\d+)"')
_SI = re.compile(rb"<(?:[\w.-]+:)?si[\s>/]")


def _guard_shared_strings(data: bytes, source: str, name: str) -> None:
    """calamine reserves room for the `uniqueCount` its shared-string table claims, 24
    bytes each, before reading one: "4294967295" asks for 96 GB and aborts the process.
    A real table holds the strings it counts; one claiming more than it holds is refused."""
    root = _SST.search(data, 0, 1 << 16)  # the root element, after the prolog
    if root is None:
        return
    claim = _UNIQUE_COUNT.search(root.group().translate(_CANONICAL))
    if claim is None:
        return
    held = len(_SI.findall(data))
    if int(claim.group(1)[:12]) > held + 1000:
        raise fail(
            source,
            "intake.file.strings",
            name=name,
            claimed=f"{int(claim.group(1)[:12]):,}",
            held=f"{held:,}",
        )


def _percent_styles(styles: Any) -> frozenset[int]:
    custom: dict[str, str] = {}
    xfs: list[str] = []
    for elem in styles.iter():
        tag = _local(elem.tag)
        if tag == "numFmt":
            custom[elem.get("numFmtId", "")] = elem.get("formatCode", "")
        elif tag == "cellXfs":
            xfs = [x.get("numFmtId", "0") for x in elem if _local(x.tag) == "xf"]
    out = set()
    for i, fmt_id in enumerate(xfs):
        code = custom.get(fmt_id, "")
        if fmt_id in ("9", "10") or "%" in re.sub(r'"[^"]*"|\\.', "", code):
            out.add(i)
    return frozenset(out)


# ---- the box calamine will allocate ------------------------------------------------------

# Attributes may be written `r="A1"`, `r='A1'`, `r = "A1"`, after a tab or a line break,
# or even straight after the previous attribute's quote, and calamine reads them all.
# One translation makes every quote double and every space a plain one; after it, an
# address written other than ` r="…"` shows as an "=" beside a space or a `"r=`, and only
# then (or when an address goes beyond CZ99999: column 104, row 99,999) is the box
# measured exactly.  Within CZ99999 it holds at most 10.4 million cells.
_CANONICAL = bytes.maketrans(b"\t\n\r'", b'   "')
_FAR_ADDRESS = re.compile(rb' r="(?![A-C]?[A-Z]?\d{1,5}")')
# Every filled cell: a self-closing <c r="…" s="3"/> holds nothing and calamine leaves it
# out of the box (Excel writes such cells for formatted, empty ones).
_FILLED_CELL = re.compile(rb"<(?:[\w.-]+:)?c(?: [^>]*)?(?<!/)>")
_ADDRESS = re.compile(rb'(?<![\w:.-])r *= *"([A-Za-z]*)(\d*)"')
_ROW_NUMBER = re.compile(rb'<(?:[\w.-]+:)?row [^>]*?(?<![\w:.-])r *= *"[A-Za-z]*(\d*)"')
_HUGE = 10**12  # an address calamine cannot even hold


def _number(digits: bytes) -> int:
    if not digits:
        return 0  # no row in the address: calamine refuses it, allocating nothing
    return int(digits) if len(digits) <= 12 else _HUGE


_WINDOW = 1 << 20  # `_plain` looks at a sheet this much at a time …
_OVERLAP = 64  # … and this much beyond, where a match that starts within may end


def _plain(xml: bytes) -> bool:
    """Whether every address is written plainly (` r="…"`, not `a="1"r="2"` nor `r = '…'`)
    and within CZ99999: the sheet read a window at a time, so that a sheet of 20,000
    firms (50 MB of XML) is not copied whole for it."""
    for at in range(0, len(xml), _WINDOW):
        text = xml[at : at + _WINDOW + _OVERLAP].translate(_CANONICAL)
        if b" =" in text or b"= " in text or b'"r=' in text:
            return False
        far = _FAR_ADDRESS.search(text)
        # A match starting in the overlap may be an address cut short by the window's end:
        # the next window looks at it whole.
        if far is not None and (far.start() < _WINDOW or at + len(text) >= len(xml)):
            return False
    return True


def sheet_box(xml: bytes) -> tuple[int, int] | None:
    """(rows, columns) of the box from A1 to the sheet's last filled row and column (at
    least what calamine allocates: its box starts at the first filled cell), or None when
    every address is written plainly and within CZ99999."""
    if _plain(xml):
        return None
    text = xml.translate(_CANONICAL)
    rows = cols = 0
    unaddressed = False
    for tag in _FILLED_CELL.findall(text):
        addresses = _ADDRESS.findall(tag)  # a tag may repeat it: calamine reads one of them
        if not addresses:
            unaddressed = True
        for letters, digits in addresses:
            rows = max(rows, _number(digits))
            width = col_index(letters.decode().upper()) + 1 if len(letters) <= 8 else _HUGE
            cols = max(cols, width)
    if unaddressed:  # such cells sit in their <row r="…">, one column after another
        rows = max([rows, *map(_number, _ROW_NUMBER.findall(text))])
        parts = text.split(b"<row")
        cols = max([cols, *(len(_FILLED_CELL.findall(part)) for part in parts)])
    return rows, cols


def _guard_extent(xml: bytes, source: str, sheet: str) -> None:
    box = sheet_box(xml)
    if box is None:
        return
    rows, cols = box
    if rows > MAX_SHEET_ROWS:
        raise fail(
            source, "intake.file.rows", sheet=sheet, rows=f"{rows:,}", limit=f"{MAX_SHEET_ROWS:,}"
        )
    if cols > MAX_SHEET_COLUMNS:
        raise fail(
            source,
            "intake.file.columns",
            sheet=sheet,
            cols=f"{cols:,}",
            limit=f"{MAX_SHEET_COLUMNS:,}",
        )
    if rows * cols > MAX_SHEET_CELLS:
        raise fail(
            source,
            "intake.file.cells",
            sheet=sheet,
            rows=f"{rows:,}",
            cols=f"{cols:,}",
            last=col_letter(cols - 1),
            limit=f"{MAX_SHEET_CELLS:,}",
        )
