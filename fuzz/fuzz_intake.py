"""Fuzz the Excel intake: mutated workbooks must give records or one `InputError`.

    python fuzz/fuzz_intake.py -max_total_time=600

runs libFuzzer (through atheris, `pip install atheris`, in the dev extras) for ten
minutes; any other libFuzzer flag may follow (`-rss_limit_mb=2048`, `-jobs=2`,
`-artifact_prefix=out/`).  A crash, a native abort, a hang beyond `-timeout` or memory
beyond `-rss_limit_mb` is written as a `crash-…`/`timeout-…`/`oom-…` file that
reproduces it (`python fuzz/fuzz_intake.py crash-…`).

Each input is a recipe applied to a valid sample 批量 workbook (one firm, every kind of
field, a formula cell and a percentage cell), so that most inputs are nearly valid and
reach deep into the reader:

* mode 0 edits the workbook's bytes (the zip itself: headers, sizes, compressed data);
* mode 1 edits the sheet XML, then zips it again (cells, addresses, types, escapes);
* mode 2 edits the shared-string table that holds the header row's field ids;
* mode 3 replaces the sheet XML by the input's bytes.

Edits overwrite, insert, delete or repeat bytes, or insert tokens a hostile file would
use (a far address, a DTD, an error cell, a NUL escape, 1e400).  `read_workbook` must
return records or raise `InputError`; anything else is a finding.

Without atheris, `python fuzz/fuzz_intake.py --random SECONDS` runs the same recipes on
random bytes for that long and exits 1 on the first finding, printing it.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

try:
    import atheris
except ImportError:  # the --random loop needs nothing but the standard library
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["assess.intake"]):
        from assess.errors import InputError
        from assess.intake.workbook import read_workbook
else:
    from assess.errors import InputError
    from assess.intake.workbook import read_workbook

from tests.hostile.make_intake import (  # noqa: E402
    CONTENT_TYPES,
    FIRM,
    NS,
    SHEET1,
    SST_CONTENT_TYPE,
    SST_REL,
    WORKBOOK_RELS,
    XML_DECL,
    col_letter,
    row,
    sheet_xml,
    write_xlsx,
)

SST = "xl/sharedStrings.xml"

TOKENS = (
    b'r="XFD1048576"',
    b'r="A100001"',
    b'<!DOCTYPE x [<!ENTITY a "aaaa">]>',
    b'<c r="C2" t="e"><v>#DIV/0!</v></c>',
    b"<f>SUM(A1:A2)</f>",
    b"_x0000_",
    b"_xD800_",
    b"\xe2\x80\xae",  # U+202E
    b"<v>1e400</v>",
    b"<v>NaN</v>",
    b"9" * 60,
    b't="s"',
    b't="inlineStr"',
    b"</row><row>",
    b"<c>",
    b's="1"',
    b'uniqueCount="4294967295"',
    b"<si><t>name</t></si>",
)
FORMULA_AND_PERCENT = '<c r="M2"><f>1/0</f></c><c r="N2" s="1"><v>0.124</v></c>'
STYLES = (
    f'{XML_DECL}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="10"/></cellXfs></styleSheet>'
)


FIELD_IDS = [*FIRM, "revenue_growth", "high_tech_enterprise", "net_profit"]
# The header row's ids come from a shared-string table, as Excel writes them.
SST_XML = (
    f'{XML_DECL}<sst xmlns="{NS}" count="{len(FIELD_IDS)}" uniqueCount="{len(FIELD_IDS)}">'
    + "".join(f"<si><t>{field_id}</t></si>" for field_id in FIELD_IDS)
    + "</sst>"
).encode()


def _sample_sheet() -> bytes:
    ids = "".join(f'<c r="{col_letter(i)}1" t="s"><v>{i}</v></c>' for i in range(len(FIELD_IDS)))
    values = [*FIRM.values(), 12.5, "是", -300]
    rows = [f'<row r="1">{ids}</row>', row(2, values, raw=FORMULA_AND_PERCENT)]
    return sheet_xml(rows).encode()


SHEET_XML = _sample_sheet()


def _zip(sheet: bytes, sst: bytes = SST_XML) -> bytes:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_xlsx(
            Path(tmp) / "s.xlsx",
            "",
            parts={"xl/styles.xml": STYLES, SST: ""},
            content_types=CONTENT_TYPES.replace("</Types>", SST_CONTENT_TYPE),
            rels=WORKBOOK_RELS.replace("</Relationships>", SST_REL),
        )
        with (
            zipfile.ZipFile(path) as src,
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
        ):
            for info in src.infolist():
                given = {SHEET1: sheet, SST: sst}
                out.writestr(info.filename, given.get(info.filename) or src.read(info))
    return buffer.getvalue()


SAMPLE = _zip(SHEET_XML)


class Recipe:
    """Reads choices from the input's bytes (atheris's provider, or a random source)."""

    def __init__(self, data: bytes):
        if atheris is not None:
            self.fdp = atheris.FuzzedDataProvider(data)
        else:
            self.fdp = None
            self.rng = random.Random(data)

    def int(self, low: int, high: int) -> int:
        if self.fdp is not None:
            return int(self.fdp.ConsumeIntInRange(low, high))
        return self.rng.randint(low, high)

    def bytes(self, most: int) -> bytes:
        if self.fdp is not None:
            return bytes(self.fdp.ConsumeBytes(self.int(0, most)))
        return self.rng.randbytes(self.int(0, most))

    def rest(self) -> bytes:
        if self.fdp is not None:
            return bytes(self.fdp.ConsumeBytes(self.fdp.remaining_bytes()))
        return self.rng.randbytes(self.int(0, 4096))


def mutate(blob: bytes, recipe: Recipe) -> bytes:
    out = bytearray(blob)
    for _ in range(recipe.int(1, 8)):
        at = recipe.int(0, len(out))
        match recipe.int(0, 4):
            case 0:
                out[at : at + 1] = recipe.bytes(4) or b"\0"
            case 1:
                out[at:at] = recipe.bytes(64)
            case 2:
                del out[at : at + recipe.int(1, 256)]
            case 3:
                size = recipe.int(1, 512)
                out[at:at] = out[at : at + size] * recipe.int(1, 16)
            case _:
                out[at:at] = TOKENS[recipe.int(0, len(TOKENS) - 1)]
    return bytes(out)


def workbook_bytes(data: bytes) -> bytes:
    recipe = Recipe(data)
    mode = recipe.int(0, 3)
    if mode == 0:
        return mutate(SAMPLE, recipe)
    if mode == 1:
        return _zip(mutate(SHEET_XML, recipe))
    if mode == 2:
        return _zip(SHEET_XML, mutate(SST_XML, recipe))
    return _zip(recipe.rest())


# One file per process, removed after each input: libFuzzer ends the process without
# running exit handlers, so nothing may be left to clean up at the end.
_PATH = Path(tempfile.gettempdir()) / f"fuzz-intake-{os.getpid()}.xlsx"


def one_input(data: bytes) -> None:
    _PATH.write_bytes(workbook_bytes(data))
    try:
        with contextlib.suppress(InputError):  # a located refusal is a correct outcome
            read_workbook(_PATH)
    finally:
        _PATH.unlink(missing_ok=True)


def random_loop(seconds: float) -> int:
    """The fallback: random inputs for `seconds`; 1 and the input on the first finding."""
    rng = random.Random(int.from_bytes(os.urandom(8), "big"))
    end, runs = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        data = rng.randbytes(rng.randint(0, 512))
        try:
            one_input(data)
        except Exception:
            traceback.print_exc()
            print(f"finding after {runs} runs; input (hex): {data.hex()}")
            return 1
        runs += 1
    print(f"{runs} runs in {seconds:.0f} s, nothing found")
    return 0


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--random":
        sys.exit(random_loop(float(sys.argv[2])))
    if atheris is None:
        sys.exit("atheris is not installed (pip install atheris); or use --random SECONDS")
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
