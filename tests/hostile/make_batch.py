"""Hostile cases for `assess batch`: a folder of good applicants with one of each poison.

    round/good-1.json … good-3.json      three ordinary applicants
    round/dimension-bomb.xlsx            a sheet claiming A1:XFD1048576 around one cell
    round/surrogate.json                 a firm name holding a lone surrogate ("\\ud800")
    round/long-name.json                 a 100,000-character firm name
    round/traversal-1.json … -3.json     names and codes that climb out of reports/ or
                                         collide once cleaned ("a/b", "a_b", "A/B")
    round/name-\xff.json                a file name that is not UTF-8
    round/loop.xlsx                      a symbolic link to itself
    round/dangling.json                  a symbolic link to nothing
    round/linked-folder                  a symbolic link back up to round/ (not followed)
    round/pipe.xlsx                      a FIFO: opening it for reading would block
    round/x.xlsx/                        a folder named like a workbook
    round/unreadable.json                mode 000 (only a non-root reader is stopped)
    round/locked/inside.json             in a folder of mode 000 (likewise)

Apart from the round, `wide.xlsx` (`write_reader_killer`): a workbook that makes the reader
process die under a small `--reader-memory`.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ROUND = "round"
GOOD = ("good-1.json", "good-2.json", "good-3.json")
LONG_NAME = 100_000
NOT_UTF8 = os.fsdecode(b"name-\xff.json")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="批量" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:XFD1048576"/>'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
    "</sheetData></worksheet>"
)


def firm(name: str, code: str | None) -> dict[str, Any]:
    """strong.json under another name and credit code (None: without a code)."""
    data: dict[str, Any] = json.loads((ROOT / "samples" / "strong.json").read_text("utf-8"))
    data["name"] = name
    if code is None:
        data.pop("credit_code", None)
    else:
        data["credit_code"] = code
    return data


def _json(path: Path, data: dict[str, Any]) -> Path:
    # ensure_ascii: a lone surrogate is written as the escape \ud800, as an editor would
    path.write_text(json.dumps(data, ensure_ascii=True, indent=1), encoding="ascii")
    return path


def write_dimension_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", _SHEET)
    return path


def write_round(directory: Path) -> list[Path]:
    """The round folder (see the module docstring); returns every path in it."""
    folder = directory / ROUND
    folder.mkdir(parents=True, exist_ok=True)
    out = [
        _json(folder / name, firm(f"良品企业{i}", f"9137010000000000{i}X"))
        for i, name in enumerate(GOOD, 1)
    ]
    out.append(write_dimension_bomb(folder / "dimension-bomb.xlsx"))
    out.append(_json(folder / "surrogate.json", firm("坏\ud800名", "91370100000000S01X")))
    out.append(_json(folder / "long-name.json", firm("长" * LONG_NAME, None)))
    out.append(_json(folder / "traversal-1.json", firm("a/b", "../../../etc/passwd")))
    out.append(_json(folder / "traversal-2.json", firm("a_b", None)))
    out.append(_json(folder / "traversal-3.json", firm("A/B", None)))
    # a file name that is not UTF-8 (Linux allows any bytes): Python sees a lone surrogate
    out.append(_json(folder / NOT_UTF8, firm("文件名不是UTF-8的企业", "91370100000000N01X")))
    links = {"loop.xlsx": "loop.xlsx", "dangling.json": "nowhere.json", "linked-folder": "."}
    for name, target in links.items():
        path = folder / name
        if not path.is_symlink():
            path.symlink_to(target)
        out.append(path)
    pipe = folder / "pipe.xlsx"
    if not pipe.exists():
        os.mkfifo(pipe)
    out.append(pipe)
    (folder / "x.xlsx").mkdir(exist_ok=True)
    out.append(folder / "x.xlsx")
    unreadable = _json(folder / "unreadable.json", firm("读不到的企业", "91370100000000U01X"))
    unreadable.chmod(0)
    out.append(unreadable)
    locked = folder / "locked"
    locked.mkdir(exist_ok=True)
    locked.chmod(0o755)
    out.append(_json(locked / "inside.json", firm("锁住的企业", "91370100000000L01X")))
    locked.chmod(0)
    out.append(locked)
    return out


def write_reader_killer(path: Path) -> Path:
    """A small workbook whose sheet really spans 600 rows × 16,384 columns (cells in A1 and
    XFD600): within the intake's limit of 10,000,000 cells, but the reader (Rust) sets
    aside all 9.8 million at once, about 300 MB; under `--reader-memory 128` that
    allocation fails and the reader process aborts."""
    sheet = _SHEET.replace('<dimension ref="A1:XFD1048576"/>', "").replace(
        "</row></sheetData>", '</row><row r="600"><c r="XFD600"><v>1</v></c></row></sheetData>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def write_all(directory: Path) -> list[Path]:
    """Every case of this area, written into `directory`."""
    return [*write_round(directory), write_reader_killer(directory / "wide.xlsx")]
