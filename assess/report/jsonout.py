"""Assessments as JSON-ready records: the score contract every machine format reads.

Contract (more keys are welcome, these never change meaning): `rubric`, `total`, `max`,
`passed`, `size_class`, `indicators` [{id, title, points, max, status, reason}],
`gates` [{id, ok, reason}].

With blanks in the data, `points` (and `total`, each class's `points`) are what the known
data guarantees and `at_most` the most it could reach once they are filled.  `pass_status`
is `pass`, `fail`, `undetermined` (the range crosses the line) or `platform_pending`
(every condition holds but the national platform's development score, still to be had;
`platform_need` is the score needed and `reference` the firm's points under the 2022
专精特新 table, a reference figure only — not the platform's method).

`record` also carries the improvement plan (`plan`: null once passed); `compact_record`,
written for every applicant of a batch round, leaves it out (a plan costs ten times the
scoring, and a round's reports make their own).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from assess.plan import MustFix, Step, TierPlan
from assess.report.words import explanation_lines, plan_summary, reference_words
from assess.results import (
    Assessment,
    ClassResult,
    ConditionResult,
    IndicatorResult,
    Level,
    NextStep,
)


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an int when whole, else a float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _next(step: NextStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "gain": number(step.gain),
        "target": step.target,
        "text": step.text,
        "metric_target": number(step.metric_target),
        "lever": step.lever,
        "lever_from": number(step.lever_from),
        "lever_to": number(step.lever_to),
        "next_year": step.next_year,
    }


def _indicator(ind: IndicatorResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ind.id,
        "title": ind.title,
        "points": number(ind.points),
        "at_most": number(ind.at_most),
        "max": number(ind.max),
        "status": ind.status,
        "reason": ind.reason,
        "class": ind.class_id,
        "figure": ind.figure,
        "value": number(ind.value),
        "band": ind.band,
        "next": _next(ind.next),
        "advice": ind.advice,
        "evidence": list(ind.evidence),
        "missing": list(ind.missing),
        "provisional": ind.provisional,
        "source": ind.source,
    }
    if ind.parts:
        out["parts"] = [_indicator(p) for p in ind.parts]
    return out


def _condition(c: ConditionResult) -> dict[str, Any]:
    return {
        "id": c.id,
        "ok": c.ok is True,
        "status": {True: "ok", False: "failed", None: "unknown"}[c.ok],
        "reason": c.reason,
        "title": c.title,
        "role": c.role,
        "group": c.group,
        "missing": list(c.missing),
    }


def _level(level: Level) -> dict[str, Any]:
    return {
        "points": number(level.points),
        "target": level.label,
        "text": level.text,
        "lever": level.lever,
        "lever_from": number(level.lever_from),
        "lever_to": number(level.lever_to),
        "next_year": level.next_year,
    }


def _step(st: Step) -> dict[str, Any]:
    return {
        "indicator": st.indicator,
        "title": st.title,
        "class": st.class_id,
        "points_from": number(st.points_from),
        "points_to": number(st.points_to),
        "gain": number(st.gain),
        "effort": number(st.effort),
        "text": st.text,
        "levels": [_level(lv) for lv in st.levels],
    }


def _must_fix(f: MustFix) -> dict[str, Any]:
    return {
        "conditions": [c.id for c in f.options],
        "title": f.title,
        "unknown": f.unknown,
        "advice": [c.advice for c in f.options if c.advice],
    }


def plan_record(p: TierPlan | None) -> dict[str, Any] | None:
    """The improvement plan as JSON: the route, the steps in order, the conditions points
    cannot buy, the data to fill in first and the other routes."""
    if p is None:
        return None
    return {
        "route": p.route,
        "summary": plan_summary(p),
        "scored": p.scored,
        "reachable": p.reachable,
        "target_total": number(p.target_total),
        "total": number(p.total),
        "total_after": number(p.total_after),
        "cost": number(p.cost),
        "classes": [
            {
                "id": c.id,
                "title": c.title,
                "points": number(c.points),
                "after": number(c.after),
                "minimum": number(c.minimum),
            }
            for c in p.classes
        ],
        "steps": [_step(st) for st in p.steps],
        "must_fix": [_must_fix(f) for f in p.must_fix],
        "missing": [i.id for i in p.missing],
        "fill_first": p.fill_first,
        "fill_gain": number(p.fill_gain),
        "alternatives": [
            {"label": alt.label, "must_fix": [_must_fix(f) for f in alt.must_fix]}
            for alt in p.alternatives
        ],
        "notes": list(p.notes),
    }


def _reference(a: Assessment) -> dict[str, Any] | None:
    """The 2022 专精特新 points beside a verdict waiting for the platform (not its score)."""
    r = a.reference
    if r is None:
        return None
    return {
        "rubric": r.rubric,
        "title": r.title,
        "total": number(r.total),
        "at_most": number(r.at_most),
        "max": number(r.max),
        "pass_mark": number(r.pass_mark),
        "text": reference_words(a),
    }


def record(a: Assessment) -> dict[str, Any]:
    """The score contract of one assessment, with its plan."""
    out = record_head(a)
    out["indicators"] = [_indicator(i) for i in a.indicators]
    out["plan"] = plan_record(a.plan)
    return out


# The rubric's static texts, the same for every applicant: `assess rubric show` has them.
STATIC_INDICATOR_KEYS = ("advice", "evidence", "source")


def _indicator_compact(ind: IndicatorResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ind.id,
        "title": ind.title,
        "points": number(ind.points),
        "at_most": number(ind.at_most),
        "max": number(ind.max),
        "status": ind.status,
        "reason": ind.reason,
        "class": ind.class_id,
        "figure": ind.figure,
        "value": number(ind.value),
        "band": ind.band,
        "next": _next(ind.next),
        "missing": list(ind.missing),
        "provisional": ind.provisional,
    }
    if ind.parts:
        out["parts"] = [_indicator_compact(p) for p in ind.parts]
    return out


def compact_record(a: Assessment) -> dict[str, Any]:
    """`record` without the rubric's static texts (each indicator's `advice`, `evidence`
    and `source`), for results.jsonl, where they would be most of every line: the score
    contract and everything that depends on the applicant are all there."""
    out = record_head(a)
    out["indicators"] = [_indicator_compact(i) for i in a.indicators]
    return out


# ---- results.jsonl: the same for every applicant once, what varies on each line ----------

# The keys whose texts results.jsonl writes as numbers (README, "results.jsonl"): the
# reasons, band names, size reasons and maturity levels, most of them the same words for
# many applicants.  A number n ≥ 0 is the round's `texts[n]` (first line), a negative n the
# line's own `line_texts[n]` (counted from its end).
TEXT_KEYS = ("reason", "band", "size_reason", "maturity")

# How a worker hands such a text to the writer, which numbers it once the whole round is
# known: `"reason":\x1f"the text"\x1f`.  JSON text never holds a raw control character (a
# string escapes it), so the byte 0x1f marks exactly the texts to number.  The records are
# written as text here (`line_json`, `marked_dumps`), each string through the JSON
# encoder's own escaping, so that the marks cost nothing to place.
TEXT_MARK = b"\x1f"
_encode = json.encoder.encode_basestring  # a str as a JSON string, non-ASCII kept
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _mark(text: str) -> str:
    return "\x1f" + _encode(text) + "\x1f"


def _json_number(value: Decimal | None) -> str:
    n = number(value)
    return "null" if n is None else repr(n)  # the JSON encoder's own int and float forms


def marked_array(records: Sequence[str]) -> bytes:
    """Records made by `line_json` / `marked_dumps` as the UTF-8 JSON array the journal
    keeps, their texts marked (`TEXT_MARK`).  A lone surrogate in an applicant's text
    stays a valid JSON escape (backslashreplace)."""
    return ("[" + ",".join(records) + "]").encode("utf-8", "backslashreplace")


def unmarked(data: bytes) -> bytes:
    """`marked_array`'s records as plain JSON, every text in place."""
    return data.replace(TEXT_MARK, b"")


def marked_dumps(value: Any) -> str:
    """A whole record (`compact_record`: a rubric file's, a province block's parts) as
    JSON text with its texts of `TEXT_KEYS` marked for numbering, like `line_json`'s:
    every reason in results.jsonl is a number."""
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            text = key in TEXT_KEYS and isinstance(item, str)
            items.append(_encode(key) + ":" + (_mark(item) if text else marked_dumps(item)))
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(marked_dumps(item) for item in value) + "]"
    return _compact(value)


def number_texts(data: bytes, shared: dict[bytes, bytes]) -> tuple[bytes, bytes]:
    """A line's marked records (`marked_json`) with each text made a number: the round's
    (`shared`: each text's JSON, as marked, to its number) or, for a text not there, a
    negative number into the line's own texts.  Returns the records and the JSON array
    of the line's own texts, each once, in order of first use."""
    pieces = data.split(TEXT_MARK)
    if len(pieces) == 1:
        return data, b"[]"
    texts = pieces[1::2]
    mine = dict.fromkeys(t for t in texts if t not in shared)
    count = len(mine)
    numbers = _NEGATIVE[count] if count < len(_NEGATIVE) else _negative(count)
    own = dict(zip(mine, numbers, strict=True))
    pieces[1::2] = map(shared.get, texts, map(own.get, texts))  # type: ignore[arg-type]
    return b"".join(pieces), b"[" + b",".join(own) + b"]"


def _negative(count: int) -> list[bytes]:
    return [b"%d" % -i for i in range(count, 0, -1)]


_NEGATIVE = [_negative(count) for count in range(64)]


def marked_texts(data: bytes) -> set[bytes]:
    """The texts a line's marked records hold (each as its JSON), each once."""
    return set(data.split(TEXT_MARK)[1::2])


def resolve_texts(value: Any, texts: Sequence[str], own: Sequence[str]) -> Any:
    """A score record read from results.jsonl with each number of `TEXT_KEYS` put back as
    its text (`texts` the round's, `own` the line's); texts already in place stay."""
    if isinstance(value, list):
        return [resolve_texts(v, texts, own) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in TEXT_KEYS and type(item) is int:
            try:
                item = texts[item] if item >= 0 else own[item]
            except IndexError:
                raise ValueError(f"{key}: no text numbered {item}") from None
        elif isinstance(item, (list, dict)):
            item = resolve_texts(item, texts, own)
        out[key] = item
    return out


# A score record's keys that a bundled rubric fixes (`rubric_part`), written once in the
# first line's `rubrics` list instead of on every applicant's line.
RUBRIC_KEYS = ("title", "version", "status", "tier", "max", "pass_mark")
RUBRIC_INDICATOR_KEYS = ("title", "max", "class", "provisional")
RUBRIC_CLASS_KEYS = ("title", "max")
RUBRIC_GATE_KEYS = ("title", "role", "group")
# What a line leaves out and a reader does not get back: each is worded from what the line
# keeps (`figure` is in `reason`, `pass_explanation` and `notes` from the gates and totals)
# or belongs to the plan (`next`, the next band and its lever: `assess score --format json`).
LEFT_OUT = ("figure", "next", "pass_explanation", "notes")


def rubric_part(a: Assessment) -> dict[str, Any]:
    """What every score record of `a`'s rubric shares: results.jsonl writes it once.  Made
    from an assessment (any firm's: the keys kept here do not depend on the firm), so it
    holds exactly what `compact_record` would repeat on every line."""
    full = compact_record(a)
    return {
        "rubric": a.rubric,
        **{k: full[k] for k in RUBRIC_KEYS},
        "classes": [
            {"id": c["id"], **{k: c[k] for k in RUBRIC_CLASS_KEYS}} for c in full["classes"]
        ],
        "indicators": [
            {"id": i["id"], **{k: i[k] for k in RUBRIC_INDICATOR_KEYS}} for i in full["indicators"]
        ],
        "gates": [
            {"id": g["id"], **{k: g[k] for k in RUBRIC_GATE_KEYS}}
            for g in (*full["gates"], *full["direct"])
        ],
    }


def _slim_indicator(ind: IndicatorResult, provisional: bool | None) -> str:
    """An indicator's line entry: a key whose value is its usual one (`at_most` equal to
    `points`, no `missing`, no `value`, no `band`, the rubric's `provisional`) is left out."""
    out = (
        '{"id":'
        + _encode(ind.id)
        + ',"points":'
        + _json_number(ind.points)
        + ',"status":'
        + _encode(ind.status)
        + ',"reason":'
        + _mark(ind.reason)
    )
    if ind.at_most != ind.points:
        out += ',"at_most":' + _json_number(ind.at_most)
    if ind.value is not None:
        out += ',"value":' + _json_number(ind.value)
    if ind.band:
        out += ',"band":' + _mark(ind.band)
    if ind.missing:
        out += ',"missing":' + _compact(list(ind.missing))
    if provisional is None or ind.provisional != provisional:
        out += ',"provisional":' + ("true" if ind.provisional else "false")
    if ind.parts:  # a province's block: its parts differ by province, written in full
        out += ',"parts":[' + ",".join(marked_dumps(_indicator_compact(p)) for p in ind.parts)
        out += "]"
    return out + "}"


def _slim_gate(c: ConditionResult) -> str:
    """A condition's line entry: `ok` is left out (it is `status` == "ok"), and `status`
    too when it is "ok"."""
    out = '{"id":' + _encode(c.id) + ',"reason":' + _mark(c.reason)
    if c.ok is None:
        out += ',"status":"unknown"'
    elif c.ok is False:
        out += ',"status":"failed"'
    if c.missing:
        out += ',"missing":' + _compact(list(c.missing))
    return out + "}"


def _slim_class(c: ClassResult) -> str:
    out = '{"id":' + _encode(c.id) + ',"points":' + _json_number(c.points)
    if c.unknown_max:
        out += ',"at_most":' + _json_number(c.points + c.unknown_max)
    if c.maturity is not None:
        out += ',"maturity":' + _mark(c.maturity)
    return out + "}"


def line_json(a: Assessment, part: dict[str, Any] | None = None, where: str = "") -> str:
    """One score record as results.jsonl's line holds it, as JSON text with its texts
    marked (`TEXT_MARK`): what depends on the applicant, with `part` (`rubric_part`)
    holding the rest.  Read back (`unmarked`, `resolve_texts`), `expand_record` gives back
    the record `compact_record` makes, less `LEFT_OUT`.  `where` is the applicant's place
    as its applicant object gives it (`intake.places.place`): the firm's `source`, unless
    it differs, when the record holds it."""
    provisional = {i["id"]: i["provisional"] for i in part["indicators"]} if part else {}
    gates: list[str] = []
    direct: list[str] = []
    for c in a.conditions:
        (direct if c.role == "direct" else gates).append(_slim_gate(c))
    out = '{"rubric":' + _encode(a.rubric) + ',"version":' + _encode(a.rubric_version)
    if a.source != where:
        out += ',"source":' + _encode(a.source)
    out += (
        ',"total":'
        + _json_number(a.total)
        + ',"at_most":'
        + _json_number(a.at_most)
        + ',"passed":'
        + ("true" if a.passed else "false")
        + ',"pass_status":'
        + _encode(a.pass_status)
    )
    if a.platform_need is not None:
        out += ',"platform_need":' + _json_number(a.platform_need)
    if a.reference is not None:
        out += ',"reference":' + _compact(_reference(a))
    out += (
        ',"complete":'
        + ("true" if a.complete else "false")
        + ',"size_class":'
        + _compact(a.size_class)
        + ',"size_reason":'
        + _mark(a.size_reason)
    )
    if a.maturity is not None:
        out += ',"maturity":' + _mark(a.maturity)
    indicators = [_slim_indicator(i, provisional.get(i.id)) for i in a.indicators]
    return (
        out
        + ',"classes":['
        + ",".join(_slim_class(c) for c in a.classes)
        + '],"indicators":['
        + ",".join(indicators)
        + '],"gates":['
        + ",".join(gates)
        + '],"direct":['
        + ",".join(direct)
        + "]}"
    )


def _place(applicant: dict[str, Any]) -> str:
    from assess.intake.places import place

    return place(str(applicant.get("source")), applicant.get("sheet"), applicant.get("row"))


def expand_record(
    line: dict[str, Any], part: dict[str, Any] | None, applicant: dict[str, Any]
) -> dict[str, Any]:
    """A score record of a results.jsonl line made whole again: the rubric's fixed keys from
    `part` (None: the line holds them, as a rubric file's and every line of the first
    layout do), the firm's name, source and warnings from its `applicant`, and the keys a
    line leaves out when they have their usual value (null for a record's or a class's
    `platform_need`, `reference` and `maturity`; the others at `line_json`).  The texts
    must be in place (`resolve_texts`).  In `compact_record`'s key order."""
    if part is None or "title" in line or part.get("version") != line.get("version"):
        return line  # a whole record already
    indicators = {i["id"]: i for i in part["indicators"]}
    classes = {c["id"]: c for c in part["classes"]}
    gates = {g["id"]: g for g in part["gates"]}

    def indicator(i: dict[str, Any]) -> dict[str, Any]:
        fixed = indicators.get(i["id"], {})
        out = {
            "id": i["id"],
            "title": fixed.get("title"),
            "points": i["points"],
            "at_most": i.get("at_most", i["points"]),
            "max": fixed.get("max"),
            "status": i["status"],
            "reason": i["reason"],
            "class": fixed.get("class"),
            "value": i.get("value"),
            "band": i.get("band", ""),
            "missing": i.get("missing", []),
            "provisional": i.get("provisional", fixed.get("provisional", False)),
        }
        if "parts" in i:
            out["parts"] = i["parts"]
        return out

    def gate(g: dict[str, Any]) -> dict[str, Any]:
        fixed = gates.get(g["id"], {})
        ok = g.get("ok", "status" not in g)  # the second layout wrote `ok` on every line
        return {
            "id": g["id"],
            "ok": ok,
            "status": g.get("status", "ok" if ok else "failed"),
            "reason": g["reason"],
            **{k: fixed.get(k, "") for k in RUBRIC_GATE_KEYS},
            "missing": g.get("missing", []),
        }

    return {
        "rubric": line["rubric"],
        **{k: part[k] for k in ("title", "version", "status", "tier")},
        "firm": applicant.get("name"),
        "source": line["source"] if "source" in line else _place(applicant),
        "total": line["total"],
        "at_most": line["at_most"],
        "max": part["max"],
        "pass_mark": part["pass_mark"],
        "passed": line["passed"],
        "pass_status": line["pass_status"],
        "platform_need": line.get("platform_need"),
        "reference": line.get("reference"),
        **{k: line[k] for k in ("complete", "size_class", "size_reason")},
        "classes": [
            {
                "id": c["id"],
                "title": classes.get(c["id"], {}).get("title"),
                "points": c["points"],
                "at_most": c.get("at_most", c["points"]),
                "max": classes.get(c["id"], {}).get("max"),
                "maturity": c.get("maturity"),
            }
            for c in line["classes"]
        ],
        "maturity": line.get("maturity"),
        "indicators": [indicator(i) for i in line["indicators"]],
        "gates": [gate(g) for g in line["gates"]],
        "direct": [gate(g) for g in line["direct"]],
        "warnings": list(applicant.get("warnings") or []),
    }


def record_head(a: Assessment) -> dict[str, Any]:
    """`record`'s keys, in its order, with the indicators left to the caller."""
    gates: list[dict[str, Any]] = []
    direct: list[dict[str, Any]] = []
    for c in a.conditions:
        (direct if c.role == "direct" else gates).append(_condition(c))
    return {
        "rubric": a.rubric,
        "title": a.rubric_title,
        "version": a.rubric_version,
        "status": a.rubric_status,
        "tier": a.tier,
        "firm": a.firm,
        "source": a.source,
        "total": number(a.total),
        "at_most": number(a.at_most),
        "max": number(a.max),
        "pass_mark": number(a.pass_mark),
        "passed": a.passed,
        "pass_status": a.pass_status,
        "platform_need": number(a.platform_need),
        "reference": _reference(a),
        "complete": a.complete,
        "size_class": a.size_class,
        "size_reason": a.size_reason,
        "classes": [
            {
                "id": c.id,
                "title": c.title,
                "points": number(c.points),
                "at_most": number(c.points + c.unknown_max),
                "max": number(c.max),
                "maturity": c.maturity,
            }
            for c in a.classes
        ],
        "maturity": a.maturity,
        "indicators": [],
        "gates": gates,
        "direct": direct,
        "pass_explanation": explanation_lines(a.explanation),
        "warnings": list(a.warnings),
        "notes": list(a.notes),
    }


def dumps(assessments: Sequence[Assessment]) -> str:
    """One assessment → an object; several → a list of objects."""
    records = [record(a) for a in assessments]
    payload: Any = records[0] if len(records) == 1 else records
    return json.dumps(payload, ensure_ascii=False, indent=2)
