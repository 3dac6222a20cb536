"""Load the YAML test cases that sit beside each rubric (rubrics/cases/<rubric-id>.yaml).

A case file holds a `base` firm and a list of cases; each case overrides some fields
(null removes one) and states what it expects. Case ids say the result they expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assess.engine import evaluate
from assess.intake.firm import firm_from_mapping
from assess.results import Assessment
from assess.rubric.loader import data_dir, get_rubric

CASES_DIR = data_dir("rubrics") / "cases"


@dataclass(frozen=True)
class Case:
    file: Path
    rubric: str
    id: str
    firm: dict[str, Any]
    expect: dict[str, Any]


def load_cases() -> list[Case]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        base = doc.get("base", {})
        for case in doc["cases"]:
            firm = dict(base)
            for key, value in (case.get("firm") or {}).items():
                if value is None:
                    firm.pop(key, None)
                else:
                    firm[key] = value
            out.append(Case(path, doc["rubric"], case["id"], firm, case["expect"]))
    return out


def run_case(case: Case) -> Assessment:
    firm = firm_from_mapping(case.firm, f"{case.file.name}#{case.id}")
    return evaluate(get_rubric(case.rubric), firm)
