"""The bundled sample firms, scored, against arithmetic written out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each figure below is worked out from samples/<firm>.json with the official tables.
EXPECTED = {
    ("strong", "miit-2022-innovative"): {
        # IP: 2 high-value Class I → 20; R&D 1210/18600 = 6.51% ≥ 5% → 20;
        # growth 17300/15100 − 1 = 14.57% (10–15%) → 15; debt 8170/21500 = 38% ≤ 55% → 10;
        # strategic emerging → 10; main share 17300/18600 = 93.0% ≥ 70% → 20.
        "total": 20 + 20 + 15 + 10 + 10 + 20,
        "passed": True,
    },
    ("borderline", "miit-2022-innovative"): {
        # IP: self-developed Class I → 15; R&D 238/6800 = 3.5% (3–5%) → 15;
        # growth 5440/5100 − 1 = 6.67% (5–10%) → 10; debt 5060/9200 = 55% exactly → 10;
        # strategic emerging → 10; main share 5440/6800 = 80% → 20.
        "total": 15 + 15 + 10 + 10 + 10 + 20,
        "passed": True,
    },
    ("weak", "miit-2022-innovative"): {
        # IP: only Class II → 5; R&D 18/2600 = 0.69% < 1% → 0; growth 1480/1520 − 1 < 0 → 0;
        # debt 2420/3100 = 78.1% > 75% → 0; not strategic emerging → 5;
        # main share 1480/2600 = 56.9% (55–60%) → 10. Below 60 and no direct route.
        "total": 5 + 0 + 0 + 0 + 5 + 10,
        "passed": False,
    },
    ("strong", "miit-2022-srdi"): {
        # 专业化: share 93% → 5; mean growth (14.57% + 14.39%)/2 = 14.48% → 10;
        #   niche 11 years → 5 full 2-year steps → 5; key link → 5.
        # 精细化: digital level 3 → 5; cert + brand + standards = 3 items × 3, cap 5 → 5;
        #   net margin 2140/18600 = 11.5% → 10; debt 38% → 5.
        # 特色化 (山东): chain-leader key field 4 + 2 items × 2 = 4 + national top 3 → 4
        #   + not listed 0 = 12.
        # 创新能力: high-value IP → 10; R&D 1210 万元 ≥ 500 → 10; R&D staff 62/260 = 23.8%
        #   → 5; provincial R&D institution → 8.
        "total": (5 + 10 + 5 + 5) + (5 + 5 + 10 + 5) + 12 + (10 + 10 + 5 + 8),
        "passed": True,
    },
    ("borderline", "miit-2022-srdi"): {
        # 专业化: share 80% → 5; mean growth (6.67% + 6.25%)/2 = 6.46% → 6; niche 5 → 2;
        #   六基 → 3.
        # 精细化: digital level 2 → 3; cert + brand = 2 items, cap 5 → 5;
        #   net margin 560/6800 = 8.24% → 8; debt 55% (50–60%) → 3.
        # 特色化: 湖南省 has no bundled block and no local_points → not assessed, 0.
        # 创新能力: self-developed Class I → 8; R&D max(238 万元 → 4, 3.5% → 2) → 4;
        #   R&D staff 18/140 = 12.9% → 3; municipal institution → 4.
        "total": (5 + 6 + 2 + 3) + (3 + 5 + 8 + 3) + 0 + (8 + 4 + 3 + 4),
        "passed": False,
    },
    ("weak", "miit-2022-srdi"): {
        # 专业化: share 56.9% → 0; mean growth (−2.63% + 1.33%)/2 < 0 → 0; niche 3 → 1;
        #   other field → 0.
        # 精细化: level 1 → 0; cert only → 3; margin 35/2600 = 1.35% → 0; debt 78% → 0.
        # 特色化 (四川): regional distinctive product → 3.
        # 创新能力: Class II only → 2; R&D 18 万元 and 0.69% → 0; staff 3/75 = 4% → 0;
        #   no institution → 0.
        "total": (0 + 0 + 1 + 0) + (0 + 3 + 0 + 0) + 3 + (2 + 0 + 0 + 0),
        "passed": False,
    },
}


def score(firm: str, *rubrics: str) -> list[dict]:  # type: ignore[type-arg]
    args = [sys.executable, "-m", "assess", "score", f"samples/{firm}.json", "--format", "json"]
    for r in rubrics:
        args += ["--rubric", r]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    return data if isinstance(data, list) else [data]


@pytest.mark.parametrize("firm", ["strong", "borderline", "weak"])
def test_sample_totals_match_the_hand_arithmetic(firm: str) -> None:
    results = score(firm, "miit-2022-innovative", "miit-2022-srdi")
    for result in results:
        want = EXPECTED[(firm, result["rubric"])]
        assert result["total"] == want["total"], result["rubric"]
        assert result["passed"] is want["passed"], result["pass_explanation"]
        assert result["size_class"] == "small"


def test_borderline_srdi_says_local_indicators_were_not_assessed() -> None:
    (result,) = score("borderline", "miit-2022-srdi")
    local = next(i for i in result["indicators"] if i["id"] == "SRDI-09")
    assert local["status"] == "not_assessed" and local["points"] == 0
    assert "not assessed: no local indicators for 湖南省" in local["reason"]


# srdi-readiness, indicator by indicator (see rubrics/srdi-readiness.yaml):
READINESS = {
    # 研发 6.5% → 10, 1210 万元 → 4, rising with 6.5% and 1050/16200 = 6.48% → 6,
    #   staff 23.8% → 3, deduction 3, 技改 820/18600 = 4.4% → 4 = 30.
    # 协同 4 partners → cap 5, 7 projects → 6, joint institution 3, co-training 3, chain 4,
    #   large-firm co-innovation 4 = 25.
    # 细分 11 years → 5, 93.0% → 5, share 12.4% → 7, brand 1, key link 3, Class I IP 1,
    #   9 applied → 3 = 25.
    # 生态 专精特新 title 5, high-tech 3, platform 3, priority 2, digital level 3 → 3,
    #   equity 3000 in 2 years → 2, dialogue 2 = 20.
    "strong": {"rd_input": 30, "collaboration": 25, "niche": 25, "ecosystem": 20, "total": 100},
    # 研发 3.5% → 6, 238 万元 → 2, rising with 3.5% and 205/6300 = 3.25% → 6, staff 12.9% → 2,
    #   deduction 3, 技改 90/6800 = 1.32% → 2 = 21.
    # 协同 1 partner 2, 1 project 2, own municipal institution 1, 0, chain 4, 0 = 9 (< 10).
    # 细分 5 years → 4, 80% → 4, share 3.1% → 2 but rank 9 → 4, brand 1, 六基 2, IP 1,
    #   1 applied → 1 = 17.
    # 生态 创新型 title 3, high-tech 3, 0, priority 2, level 2 → 2, no equity 0, dialogue 2 = 12.
    "borderline": {"rd_input": 21, "collaboration": 9, "niche": 17, "ecosystem": 12, "total": 59},
    # Only the niche years (3 → 4) score; the market share 0.4% without a rank or an
    # international share leaves RDY-NI-03 open (up to 7 more).
    "weak": {"rd_input": 0, "collaboration": 0, "niche": 4, "ecosystem": 0, "total": 4},
}


@pytest.mark.parametrize("firm", ["strong", "borderline", "weak"])
def test_sample_readiness_matches_the_hand_arithmetic(firm: str) -> None:
    (result,) = score(firm, "srdi-readiness")
    want = READINESS[firm]
    assert result["total"] == want["total"]
    for cls in result["classes"]:
        assert cls["points"] == want[cls["id"]], cls["id"]
    assert result["passed"] is (firm == "strong")


def test_partial_sample_shows_the_guaranteed_points_and_passes_on_them() -> None:
    """samples/partial.json leaves the high-value IP count blank: the 2022 创新型 table
    guarantees 15 points for its self-developed Class I IP and could give 20; 80 is already
    above every line, so the verdict is a pass, not "undetermined"."""
    data = json.loads((ROOT / "samples" / "partial.json").read_text(encoding="utf-8"))
    assert "ip_class1_high_value" not in data
    results = {r["rubric"]: r for r in score("partial")}  # the ladder of its year, 2026
    innovative = results["miit-2022-innovative"]
    ip = next(i for i in innovative["indicators"] if i["id"] == "INN-01")
    assert (ip["status"], ip["points"], ip["at_most"]) == ("unknown", 15, 20)
    assert (innovative["total"], innovative["at_most"]) == (80, 85)
    assert innovative["pass_status"] == "pass" and innovative["passed"] is True
    # The 2026 专精特新 conditions read the applied count, which is given: decided.
    srdi = results["miit-2026-srdi"]
    assert srdi["pass_status"] == "pass"
