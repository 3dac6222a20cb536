"""How fast a 批量 workbook is read: `python bench/import_bench.py [firms] [columns]`.

Builds a workbook of 10,000 firms × 40 fields in a temporary folder (labels in row 1,
field ids in row 2, as the template), then times `read_workbook`: open, zip guard, the
sheet-size guard, sheet scan, parse and validate every cell, cross-field checks, one
`Record` per firm.
The target is at least 5,000 firms/s on a 2-core machine.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from assess.fields import FIELDS, FieldType
from assess.intake.labels import header_label
from assess.intake.template import template_fields
from assess.intake.workbook import read_workbook

TARGET = 5000


def _value(
    spec_type: FieldType, choices: tuple[tuple[str, str], ...], rng: random.Random, row: int
) -> object:
    if spec_type is FieldType.BOOL:
        return rng.choice(("是", "否"))
    if spec_type is FieldType.ENUM:
        return rng.choice(choices)[1]
    if spec_type is FieldType.MONEY:
        x = round(rng.uniform(100, 30000), 1)
        return f"{x:,}" if row % 10 == 0 else x  # some figures typed as text
    if spec_type is FieldType.PERCENT:
        return round(rng.uniform(0, 30), 2)
    if spec_type in (FieldType.INT, FieldType.NUMBER):
        return rng.randint(1, 4)
    return f"文本{row}"


def build(path: Path, firms: int, columns: int) -> int:
    """Write the workbook; return the number of field columns."""
    from openpyxl import Workbook

    specs = template_fields(None)
    extra = [s for s in FIELDS if s not in specs]
    specs = (specs + extra)[:columns]
    rng = random.Random(1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("批量")
    ws.append([header_label(s) for s in specs])
    ws.append([s.id for s in specs])
    for row in range(firms):
        values = [_value(s.type, s.choices, rng, row) for s in specs]
        for i, spec in enumerate(specs):
            if spec.id == "name":
                values[i] = f"企业{row}"
            elif spec.id == "assessment_year":
                values[i] = 2026
            elif spec.id == "credit_code":
                values[i] = "91370100MA3C4X5Y6W"
            elif spec.minimum is not None or spec.maximum is not None:
                values[i] = spec.minimum or 0
        ws.append(values)
    wb.save(path)
    return len(specs)


def main() -> None:
    firms = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    columns = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        t0 = time.perf_counter()
        width = build(path, firms, columns)
        built = time.perf_counter() - t0
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            records = read_workbook(path)
            best = min(best, time.perf_counter() - t0)
        bad = sum(1 for r in records if not r.ok)
        size = path.stat().st_size / 2**20
    rate = firms / best
    print(f"built {firms} firms × {width} fields ({size:.1f} MB) in {built:.1f} s")
    print(
        f"read_workbook: {best:.2f} s (best of 3) → {rate:,.0f} firms/s "
        f"({len(records)} records, {bad} with problems)"
    )
    print("ok" if rate >= TARGET else f"below the target of {TARGET} firms/s")


if __name__ == "__main__":
    main()
