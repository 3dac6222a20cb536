"""Hostile and broken input files for intake: workbooks, JSON, and what only looks like them.

`write_all(directory)` writes every case; each file is named after what it holds, and
`CASES` says what each must do (see tests/test_hostile_intake.py).  Workbooks are written
byte by byte (zipfile and XML strings), not through openpyxl: a hostile file is exactly
what a spreadsheet library would never write, and text such as `=HYPERLINK(…)` must reach
the sheet as text, not as a formula.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

# ---- a minimal workbook, written by hand ---------------------------------------------------

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    f'{XML_DECL}<Types xmlns="{_CT_NS}">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OFFICE}.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    f'{XML_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
    f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    f'{XML_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
    f'Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET1 = "xl/worksheets/sheet1.xml"


def workbook_xml(sheet: str) -> str:
    return (
        f'{XML_DECL}<workbook xmlns="{NS}" xmlns:r="{_REL_NS}"><sheets>'
        f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def col_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell(ref: str, value: object) -> str:
    """One cell: numbers as numbers, text as inline strings (never a formula)."""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = escape(str(value), {"\t": "&#9;", "\r": "&#13;", "\n": "&#10;"})
    space = ' xml:space="preserve"' if text != text.strip() or "&#" in text else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def row(number: int, values: Sequence[object], raw: str = "") -> str:
    cells = "".join(
        cell(f"{col_letter(i)}{number}", v) for i, v in enumerate(values) if v is not None
    )
    return f'<row r="{number}">{cells}{raw}</row>'


def sheet_xml(rows: Iterable[str], dimension: str = "", before: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(rows)
    head = f'{before or XML_DECL}<worksheet xmlns="{NS}">{dim}'
    return f"{head}<sheetData>{body}</sheetData></worksheet>"


def write_xlsx(
    path: Path,
    sheet: str,
    *,
    name: str = "批量",
    parts: dict[str, str | bytes] | None = None,
    content_types: str = CONTENT_TYPES,
    rels: str = WORKBOOK_RELS,
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook_xml(name))
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr(SHEET1, sheet)
        for part, data in (parts or {}).items():
            zf.writestr(part, data)
    return path


# One firm that scores: the fields every rubric needs to say something, and the 批量 header.
FIRM: dict[str, object] = {
    "name": "湖南精密传感科技有限公司",
    "credit_code": "91430100MA4L0XXX0K",
    "province": "湖南省",
    "city": "长沙市",
    "assessment_year": 2026,
    "industry": "industry",
    "employees": 120,
    "revenue": 12000,
    "rd_expense": 800,
    "main_product": "压力传感器",
    "niche_market": "工业压力传感器",
}
TEXT_FIELDS = ("name", "credit_code", "province", "city", "main_product", "niche_market")


def batch_sheet(firms: Sequence[dict[str, object]], *, extra_rows: str = "", **kw: str) -> str:
    """A 批量 sheet: field ids in row 1, one firm per row from row 2."""
    ids = list(dict.fromkeys(k for firm in firms for k in firm))
    rows = [row(1, ids)]
    rows += [row(i, [firm.get(k) for k in ids]) for i, firm in enumerate(firms, start=2)]
    return sheet_xml([*rows, extra_rows], **kw)


SST_CONTENT_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    f'ContentType="{_OFFICE}.sharedStrings+xml"/></Types>'
)
SST_REL = (
    f'<Relationship Id="rId2" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def shared_strings_xlsx(path: Path, texts: Sequence[str], *, unique_count: str = "") -> Path:
    """A 批量 sheet whose row 1 (`name`, `assessment_year`) and row 2 (`texts[0]`, 2026)
    take their text from a shared-string table of `texts`."""
    counted = f' uniqueCount="{unique_count or len(texts)}"'
    items = "".join(f"<si><t>{escape(t)}</t></si>" for t in texts)
    sst = f'{XML_DECL}<sst xmlns="{NS}" count="{len(texts)}"{counted}>{items}</sst>'
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>assessment_year</t></is></c></row>',
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>2026</v></c></row>',
    ]
    return write_xlsx(
        path,
        sheet_xml(rows),
        parts={"xl/sharedStrings.xml": sst},
        content_types=CONTENT_TYPES.replace("</Types>", SST_CONTENT_TYPE),
        rels=WORKBOOK_RELS.replace("</Relationships>", SST_REL),
    )


def firm_xlsx(path: Path, **changes: object) -> Path:
    return write_xlsx(path, batch_sheet([{**FIRM, **changes}]))


# ---- zips that are not what they say -------------------------------------------------------


def deflated_zeros(size: int, chunk: int = 2**22) -> tuple[bytes, int]:
    """The raw deflate stream of `size` zero bytes and their CRC, without building them:
    a full flush makes every chunk's compressed bytes the same, so one is repeated."""
    zeros = bytes(chunk)
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = first.compress(zeros) + first.flush(zlib.Z_FULL_FLUSH)
    again = first.compress(zeros) + first.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(size, chunk)
    assert rest == 0 and count >= 2
    tail = first.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return block + again * (count - 1) + tail, crc


def zip_with_raw_entry(path: Path, name: str, data: bytes, crc: int, size: int) -> Path:
    """A zip of the minimal workbook plus one deflated entry written from its raw stream."""
    write_xlsx(path, batch_sheet([FIRM]))
    with path.open("r+b") as fh:
        content = fh.read()
        end = content.rindex(b"PK\x05\x06")
        (cd_offset,) = struct.unpack("<I", content[end + 16 : end + 20])
        (entries,) = struct.unpack("<H", content[end + 10 : end + 12])
        central = content[cd_offset:end]
        offset = cd_offset
        raw_name = name.encode()
        local = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(raw_name), 0
        )
        new_central = struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(data),
            size,
            len(raw_name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        fh.seek(offset)
        fh.write(local + raw_name + data)
        new_cd = fh.tell()
        fh.write(central + new_central + raw_name)
        cd_size = fh.tell() - new_cd
        fh.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries + 1, entries + 1, cd_size, new_cd, 0)
        )
        fh.truncate()
    return path


def zip_bomb(path: Path, size: int) -> Path:
    data, crc = deflated_zeros(size)
    return zip_with_raw_entry(path, "xl/media/image1.bin", data, crc, size)


# ---- the cases -----------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + f']><worksheet xmlns="{NS}"><sheetData><row r="1">'
    '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t>'
    '</is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    "</sheetData></worksheet>"
)

# Formula injection: intake keeps each as text; every output neutralises it.
INJECTIONS = (
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://127.0.0.1:9/","查看")',  # fits credit_code's 40 characters
    "=cmd|' /C calc'!A0",
)
# Markup in names: kept as text; reports escape it.
MARKUP = (
    "<img src=file:///etc/passwd>",
    "<link rel=stylesheet href=http://127.0.0.1:9/x.css>",
    "@import url(http://127.0.0.1:9/x.css);",
    "<script>alert(1)</script>",
    "[bold red]假[/bold red][link=file:///etc/passwd]点我[/link]",  # terminal markup
)
LONG_NAME = "测" * 100_000


def _text_firm(payload: str) -> dict[str, object]:
    # credit_code has a 40-character limit, the others 50 or 200: every payload fits.
    return {**FIRM, **{f: f"{payload}" for f in TEXT_FIELDS}}


def _injection(directory: Path) -> list[Path]:
    return [
        write_xlsx(directory / f"injection_{i}.xlsx", batch_sheet([_text_firm(p)]))
        for i, p in enumerate(INJECTIONS)
    ]


def _markup(directory: Path) -> list[Path]:
    out = []
    for i, text in enumerate(MARKUP):
        out.append(firm_xlsx(directory / f"markup_{i}.xlsx", name=text, main_product=text))
        path = directory / f"markup_{i}.json"
        path.write_text(json.dumps({**FIRM, "name": text}, ensure_ascii=False), "utf-8")
        out.append(path)
    return out


def _files(directory: Path) -> list[Path]:
    d = directory
    good = firm_xlsx(d / "good.xlsx")
    content = good.read_bytes()
    out = [good]

    def put(name: str, data: bytes) -> None:
        (d / name).write_bytes(data)
        out.append(d / name)

    put("renamed_csv.xlsx", "name,revenue\n湖南精密传感科技有限公司,12000\n".encode())
    put("renamed_pdf.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    put("renamed_xls.xlsx", ole + b"Workbook".ljust(512, b"\0"))
    put("encrypted.xlsx", ole + "EncryptionInfo".encode("utf-16-le") + bytes(480))
    put("truncated_half.xlsx", content[: len(content) // 2])
    put("truncated_end.xlsx", content[:-30])
    put("zero_byte.xlsx", b"")
    return out


def _xml_attacks(d: Path) -> list[Path]:
    lol_ct = CONTENT_TYPES.replace(
        XML_DECL, XML_DECL + '<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa">]>'
    )
    padded = XML_DECL + "<!--" + " " * 5000 + "-->" + '<!DOCTYPE w [<!ENTITY a "a">]>'
    return [
        write_xlsx(d / "billion_laughs.xlsx", BILLION_LAUGHS),
        write_xlsx(
            d / "billion_laughs_shared.xlsx",
            batch_sheet([FIRM]),
            parts={"xl/sharedStrings.xml": BILLION_LAUGHS.replace("worksheet", "sst")},
        ),
        write_xlsx(d / "external_entity.xlsx", EXTERNAL_ENTITY),
        write_xlsx(d / "dtd_content_types.xlsx", batch_sheet([FIRM]), content_types=lol_ct),
        write_xlsx(d / "dtd_after_comment.xlsx", batch_sheet([FIRM], before=padded)),
    ]


def _sizes(d: Path) -> list[Path]:
    firm = [FIRM]
    far = row(1_048_576, [], raw='<c r="XFD1048576"><v>1</v></c>')
    empty_rows = "".join(f'<row r="{r}"/>' for r in range(3, 1_048_577))
    firms = [{"name": f"企业{i}", "assessment_year": 2026} for i in range(200_000)]
    return [
        write_xlsx(d / "dimension_claim.xlsx", batch_sheet(firm, dimension="A1:XFD1048576")),
        write_xlsx(d / "far_cell.xlsx", batch_sheet(firm, extra_rows=far)),
        write_xlsx(
            d / "far_empty_string.xlsx",
            batch_sheet(
                firm,
                extra_rows='<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is>'
                "</c></row>",
            ),
        ),
        write_xlsx(
            d / "far_styled_empty.xlsx",
            batch_sheet(firm, extra_rows='<row r="1048576"><c r="XFD1048576" s="0"/></row>'),
        ),
        write_xlsx(d / "empty_rows_1m.xlsx", batch_sheet(firm, extra_rows=empty_rows)),
        # calamine finds "Worksheets/sheet1.xml" for the part named "xl/worksheets/…"
        write_xlsx(
            d / "far_cell_other_case.xlsx",
            batch_sheet(firm, extra_rows=far),
            rels=WORKBOOK_RELS.replace('"worksheets/', '"Worksheets/'),
        ),
        shared_strings_xlsx(d / "shared_strings.xlsx", [str(FIRM["name"])]),
        shared_strings_xlsx(
            d / "shared_strings_claim.xlsx", [str(FIRM["name"])], unique_count="4294967295"
        ),
        write_xlsx(
            d / "sheet_part_missing.xlsx",
            batch_sheet(firm),
            rels=WORKBOOK_RELS.replace('"worksheets/sheet1', '"worksheets/sheet9'),
        ),
        write_xlsx(d / "batch_200k.xlsx", batch_sheet(firms)),
        zip_bomb(d / "zip_bomb_2gb.xlsx", 2 * 2**30),
        zip_bomb(d / "zip_bomb_50mb.xlsx", 52 * 2**20),
    ]


def _characters(d: Path) -> list[Path]:
    out = [
        firm_xlsx(d / "long_name.xlsx", name=LONG_NAME),
        firm_xlsx(d / "rtl_override.xlsx", name="\u202e湖南精密传感科技有限公司fdp.exe"),
        firm_xlsx(d / "nul_escape.xlsx", name="湖南_x0000_精密"),
        firm_xlsx(d / "surrogate_escape.xlsx", name="湖南_xD800_精密"),
        firm_xlsx(d / "control_escape.xlsx", city="长沙_x001B_市"),
    ]
    for name, firm in {
        "long_name.json": {**FIRM, "name": LONG_NAME},
        "rtl_override.json": {**FIRM, "name": "\u202e湖南精密传感科技有限公司"},
        "nul.json": {**FIRM, "name": "湖南\u0000精密"},
    }.items():
        (d / name).write_text(json.dumps(firm, ensure_ascii=False), "utf-8")
        out.append(d / name)
    # json.dumps would refuse to write a lone surrogate into UTF-8; its escape is ASCII.
    (d / "surrogate.json").write_text(
        json.dumps({**FIRM, "name": "湖南\ud800精密"}, ensure_ascii=True), "utf-8"
    )
    out.append(d / "surrogate.json")
    return out


def _json(d: Path) -> list[Path]:
    base = json.dumps(FIRM, ensure_ascii=False)[1:-1]
    texts = {
        "deep_100k.json": "{" + base + ', "notes": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "deep_object_100k.json": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "duplicate_key.json": "{\n" + base.replace(", ", ",\n") + ',\n"revenue": 99999\n}',
        "nan.json": "{" + base.replace('"revenue": 12000', '"revenue": NaN') + "}",
        "infinity.json": "{" + base.replace('"revenue": 12000', '"revenue": -Infinity') + "}",
        "e400.json": "{" + base.replace('"revenue": 12000', '"revenue": 1e400') + "}",
        "employees_1e300.json": "{" + base.replace('"employees": 120', '"employees": 1e300') + "}",
        "digits_5000.json": "{"
        + base.replace('"revenue": 12000', '"revenue": ' + "9" * 5000)
        + "}",
    }
    out = []
    for name, text in texts.items():
        (d / name).write_text(text, "utf-8")
        out.append(d / name)
    return out


def _numbers_xlsx(d: Path) -> list[Path]:
    def raw_money(path: Path, text: str) -> Path:
        firm = {k: v for k, v in FIRM.items() if k != "revenue"}
        ids = [*firm, "revenue"]
        rows = [
            row(1, ids),
            row(2, list(firm.values()), raw=f'<c r="{col_letter(len(firm))}2"><v>{text}</v></c>'),
        ]
        return write_xlsx(path, sheet_xml(rows))

    return [
        raw_money(d / "money_nan.xlsx", "NaN"),
        raw_money(d / "money_inf.xlsx", "INF"),
        raw_money(d / "money_1e400.xlsx", "1e400"),
        raw_money(d / "money_1e300.xlsx", "1e300"),
        firm_xlsx(d / "money_text_1e400.xlsx", revenue="1e400"),
        firm_xlsx(d / "money_text_5000_digits.xlsx", revenue="9" * 5000),
        firm_xlsx(d / "employees_1e300.xlsx", employees=1e300),
    ]


WRITERS: tuple[Callable[[Path], list[Path]], ...] = (
    _files,
    _xml_attacks,
    _sizes,
    _characters,
    _json,
    _numbers_xlsx,
    _injection,
    _markup,
)


def write_all(directory: Path) -> list[Path]:
    """Write every intake case into `directory`; return the files."""
    directory.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for writer in WRITERS:
        out += writer(directory)
    return out
