"""A non-editable install must carry the rubrics and templates inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_rubrics_and_templates_and_finds_them(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("srdi_assess-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rubric in (ROOT / "rubrics").glob("*.yaml"):
        assert f"assess/_data/rubrics/{rubric.name}" in names
    assert "assess/_data/rubrics/size/sme-size-2011.yaml" in names
    assert any(n.startswith("assess/_data/templates/") for n in names)
    # Run the installed copy, not the checkout: unpack it first on the path, elsewhere.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import assess, sys; from assess.rubric.loader import data_dir, builtin_rubrics; "
        "print(assess.__file__); print(data_dir('rubrics')); print(data_dir('templates')); "
        "print(len(builtin_rubrics()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    module, rubrics, templates, count = out.stdout.split()
    assert module.startswith(str(site))
    assert rubrics == str(site / "assess" / "_data" / "rubrics")
    assert templates == str(site / "assess" / "_data" / "templates")
    assert int(count) == len(list((ROOT / "rubrics").glob("*.yaml")))
