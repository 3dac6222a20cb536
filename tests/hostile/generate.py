"""Write the whole hostile-input corpus into a folder, one subfolder per area.

    python -m tests.hostile.generate /tmp/hostile

Each `tests/hostile/make_<area>.py` writes its own cases (`write_all(directory)`); the tests
generate the same files into temporary folders, so nothing here is committed as a binary.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def areas() -> list[str]:
    return sorted(p.stem.removeprefix("make_") for p in HERE.glob("make_*.py"))


def write_corpus(directory: Path) -> dict[str, list[Path]]:
    written: dict[str, list[Path]] = {}
    for area in areas():
        module = importlib.import_module(f"tests.hostile.make_{area}")
        target = directory / area
        target.mkdir(parents=True, exist_ok=True)
        written[area] = module.write_all(target)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    for area, files in write_corpus(Path(argv[0])).items():
        print(f"{area}: {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
