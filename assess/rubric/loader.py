"""Find, load and check rubric files; report every problem at once, each with its place."""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from assess import data_dir as data_dir
from assess.catalog import t
from assess.errors import Problem, RubricError
from assess.fields import FIELDS_BY_ID, NUMERIC_TYPES, FieldType
from assess.rubric import models as m
from assess.rubric.expr import Expr, Kind, kind_problems
from assess.rubric.local_fields import register as register_fields
from assess.rubric.operators import OPERATORS, ScoreModel, operator_for
from assess.rubric.size import SizeStandard
from assess.yamlsrc import Loc, Located, load_file

# Names a formula may use besides fields and metrics: computed by the engine.
ENGINE_NAMES = {"size_class": ("large", "medium", "small", "micro")}
_FIELD_KINDS: dict[FieldType, Kind] = {
    FieldType.TEXT: "text",
    FieldType.ENUM: "text",
    FieldType.BOOL: "yes/no",
    FieldType.INT: "number",
    FieldType.NUMBER: "number",
    FieldType.MONEY: "number",
    FieldType.PERCENT: "number",
}


def rubric_files() -> list[Path]:
    return sorted(data_dir("rubrics").glob("*.yaml"))


@functools.cache
def _all_keys() -> frozenset[str]:
    keys: set[str] = set()
    models = [*vars(m).values(), *(op.model for op in OPERATORS.values())]
    for obj in models:
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for name, info in obj.model_fields.items():
                keys.add(info.alias or name)
    return frozenset(keys)


def _data_loc(data: Any, loc: Sequence[str | int]) -> Loc:
    """Pydantic puts union tags into `loc`; keep only the parts that exist in the data."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and node.get("operator") == part:
            continue  # the union tag pydantic adds after a scoring operator
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            out.append(part)
        elif isinstance(node, dict | list):
            continue  # a tag or a model name
        else:
            break
    return tuple(out)


# Pydantic's error types a rubric author meets, each worded by the catalog; the rest (and
# the ValueErrors of the models' own checks) keep their message.
_VALUE_KEYS = {
    "int_parsing": "rubric.value.whole",
    "int_type": "rubric.value.whole",
    "int_from_float": "rubric.value.whole",
    "decimal_parsing": "rubric.value.number",
    "decimal_type": "rubric.value.number",
    "float_parsing": "rubric.value.number",
    "float_type": "rubric.value.number",
    "string_type": "rubric.value.text",
    "bool_type": "rubric.value.bool",
    "bool_parsing": "rubric.value.bool",
    "date_type": "rubric.value.date",
    "date_parsing": "rubric.value.date",
    "date_from_datetime_parsing": "rubric.value.date",
    "list_type": "rubric.value.list",
    "dict_type": "rubric.value.mapping",
    "model_type": "rubric.value.mapping",
    "model_attributes_type": "rubric.value.mapping",
}
_LIMIT_KEYS = {
    "greater_than_equal": ("rubric.value.at_least", "ge"),
    "greater_than": ("rubric.value.above", "gt"),
    "less_than_equal": ("rubric.value.at_most", "le"),
}


def _value_message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _VALUE_KEYS:
        return t(_VALUE_KEYS[kind])
    if kind in _LIMIT_KEYS:
        key, name = _LIMIT_KEYS[kind]
        return t(key, limit=ctx.get(name))
    if kind == "literal_error":
        return t("rubric.value.literal", expected=ctx.get("expected", ""))
    if kind == "too_short":
        return t("rubric.value.too_short", count=ctx.get("min_length"))
    message = str(err["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    return t("rubric.value.other", message=message)


_AT = re.compile(r"\[at ([a-z_]+)\[(\d+)\]\] ")


def _pydantic_problems(exc: ValidationError, doc: Located) -> list[Problem]:
    problems = []
    errors = exc.errors(include_url=False)
    # A misspelt required key shows up twice (missing + unknown): keep the unknown one,
    # which names the likely spelling.
    extra = {
        (tuple(_data_loc(doc.data, e["loc"][:-1])), str(e["loc"][-1]))
        for e in errors
        if e["type"] == "extra_forbidden"
    }
    for err in errors:
        raw = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(raw[-1])
            loc = (*_data_loc(doc.data, raw[:-1]), key)
            parent = _data_loc(doc.data, raw[:-1])
            missing = [
                str(e["loc"][-1])
                for e in errors
                if e["type"] == "missing" and _data_loc(doc.data, e["loc"][:-1]) == parent
            ]
            guess = difflib.get_close_matches(key, missing, n=1) or difflib.get_close_matches(
                key, _all_keys(), n=1
            )
            hint = t("rubric.did_you_mean", guess=repr(guess[0])) if guess else ""
            problems.append(
                doc.problem(loc, t("rubric.unknown_key", key=repr(key), hint=hint), key=True)
            )
            continue
        loc = _data_loc(doc.data, raw)
        if kind == "union_tag_invalid":
            ctx = err.get("ctx", {})
            loc = (*loc, str(ctx.get("discriminator", "operator")).strip("'"))
            message = t(
                "rubric.unknown_operator", tag=repr(ctx.get("tag")), valid=", ".join(OPERATORS)
            )
        elif kind == "missing":
            parent = _data_loc(doc.data, raw[:-1])
            if any(
                p == parent and difflib.get_close_matches(str(raw[-1]), [k], n=1) for p, k in extra
            ):
                continue
            loc = (*parent, raw[-1])
            message = t("rubric.missing_key")
        else:
            message = _value_message(err)
            for chunk in message.split("; "):
                at = _AT.match(chunk)
                if at:
                    problems.append(doc.problem((*loc, at[1], int(at[2])), chunk[at.end() :]))
                    message = message.replace(chunk, "").strip("; ")
            if not message:
                continue
        problems.append(doc.problem(loc, message))
    return problems


_MERGED_LISTS = ("fields", "metrics", "classes", "indicators", "conditions")


def _resolve_extends(doc: Located, path: Path, chain: tuple[Path, ...]) -> Located:
    """A rubric that `extends` another: the parent's keys, overridden by the child's.

    Lists of things with ids (fields, metrics, classes, indicators, conditions) merge by
    id: an item with a parent's id replaces it in place, a new id is added at the end, and
    `remove: {indicators: [id, ...]}` drops parent items. `inputs` is the union. Every
    place stays in the file it came from, so errors point at parent or child.
    """
    child = doc.data
    ref = child.get("extends")
    if ref is None:
        return doc
    if not isinstance(ref, str):
        raise RubricError([doc.problem(("extends",), t("rubric.extends.not_text"))])
    parent_path = (
        (path.parent / ref)
        if ref.endswith((".yaml", ".yml"))
        else data_dir("rubrics") / f"{ref}.yaml"
    )
    if not parent_path.is_file():
        raise RubricError([doc.problem(("extends",), t("rubric.extends.missing", ref=repr(ref)))])
    if parent_path.resolve() in chain:
        raise RubricError([doc.problem(("extends",), t("rubric.extends.loop", ref=repr(ref)))])
    display = (
        f"rubrics/{parent_path.name}"
        if parent_path.parent == data_dir("rubrics")
        else str(parent_path)
    )
    parent, problems = load_file(parent_path, display)
    if problems:
        # Name the child's own line too: that is where a reader of the child must look.
        here = doc.problem(("extends",), t("rubric.extends.parent_broken", parent=display))
        raise RubricError([here, *problems])
    parent = _resolve_extends(parent, parent_path, (*chain, parent_path.resolve()))
    out = Located({}, doc.source)
    out.copy_places(doc, (), ())
    removals = child.get("remove") or {}
    problems = []
    if not isinstance(removals, dict) or not all(
        isinstance(ids, list) and all(isinstance(x, str | int) for x in ids)
        for ids in removals.values()
    ):
        raise RubricError([doc.problem(("remove",), t("rubric.extends.remove_shape"))])
    for key in list(parent.data) + [k for k in child if k not in parent.data]:
        if key == "remove":
            continue
        if key in _MERGED_LISTS:
            items: list[tuple[Located, Loc, Any]] = [
                (parent, (key, i), item) for i, item in enumerate(parent.data.get(key) or [])
            ]
            gone = set(removals.get(key) or [])
            known = {item.get("id") for _, _, item in items if isinstance(item, dict)}
            for j, ident in enumerate(sorted(gone - known, key=str)):
                problems.append(
                    doc.problem(
                        ("remove", key),
                        t(
                            "rubric.extends.remove_unknown",
                            key=key,
                            ident=repr(ident),
                            parent=ref,
                            index=j,
                        ),
                    )
                )
            items = [x for x in items if not (isinstance(x[2], dict) and x[2].get("id") in gone)]
            for i, item in enumerate(child.get(key) or []):
                ident = item.get("id") if isinstance(item, dict) else None
                at = next(
                    (
                        n
                        for n, x in enumerate(items)
                        if isinstance(x[2], dict) and x[2].get("id") == ident
                    ),
                    None,
                )
                entry = (doc, (key, i), item)
                if at is None:
                    items.append(entry)
                else:
                    items[at] = entry
            out.data[key] = [item for _, _, item in items]
            for n, (src_doc, src_loc, _) in enumerate(items):
                out.copy_places(src_doc, src_loc, (key, n))
        elif key == "inputs":
            sources: dict[Any, tuple[Located, Loc]] = {}
            for src_doc in (parent, doc):
                names = src_doc.data.get(key)
                for i, name in enumerate(names if isinstance(names, list) else []):
                    if isinstance(name, str):
                        sources.setdefault(name, (src_doc, (key, i)))
                    else:
                        problems.append(
                            src_doc.problem((key, i), t("rubric.extends.input_not_text"))
                        )
            out.data[key] = list(sources)
            out.copy_places(doc if key in child else parent, (key,), (key,))
            for n, (src_doc, src_loc) in enumerate(sources.values()):
                out.copy_places(src_doc, src_loc, (key, n))
        elif key in child:
            out.data[key] = child[key]
            out.copy_places(doc, (key,), (key,))
        else:
            out.data[key] = parent.data[key]
            out.copy_places(parent, (key,), (key,))
    if problems:
        raise RubricError(problems)
    return out


def load_rubric(path: Path, display: str | None = None) -> m.Rubric:
    """Load one rubric file; raise `RubricError` with every problem found."""
    doc, problems = load_file(path, display)
    if problems:
        raise RubricError(problems)
    if not isinstance(doc.data, dict):
        raise RubricError([Problem(doc.source, "", t("rubric.not_a_mapping"))])
    child = doc.source if "extends" in doc.data else None
    doc = _resolve_extends(doc, path, (path.resolve(),))
    version = doc.data.get("schema_version")
    if version != m.SCHEMA_VERSION:
        raise RubricError(
            [doc.problem(("schema_version",), t("rubric.schema_version", version=repr(version)))]
        )
    _declared_fields_are_inputs(doc.data)
    try:
        rubric = m.Rubric.model_validate(doc.data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, doc)
        # Whole-rubric checks still run on the parts that did load, so one pass shows all.
        problems += _partial_checks(doc)
        raise RubricError(_point_at_child(_dedupe(problems), child)) from None
    refused = register_fields(rubric.fields)
    if refused:
        raise RubricError([doc.problem(("fields", i, "id"), why) for i, why in refused])
    problems = list(check_rubric(rubric, doc))
    if problems:
        raise RubricError(_point_at_child(problems, child))
    if rubric.size_standard is not None:
        # Resolved now, so that scoring reads no file (check_rubric found it loads).
        rubric = rubric.with_size_table(load_size_standard(rubric.size_standard))
    return rubric


def _declared_fields_are_inputs(data: dict[str, Any]) -> None:
    """A field the rubric declares (`fields:`) is one of its inputs without being listed."""
    declared, names = data.get("fields"), data.get("inputs")
    if isinstance(declared, list) and isinstance(names, list):
        for item in declared:
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident not in names:
                names.append(ident)


def _point_at_child(problems: list[Problem], child: str | None) -> list[Problem]:
    """In a rubric that extends another, a problem placed in the parent is still the
    child's to fix (a bundled parent cannot be edited): say so, and how."""
    if child is None:
        return problems
    out = []
    for p in problems:
        source = p.where.rsplit(":", 2)[0] if p.where.count(":") >= 2 else p.where
        if source and source != child:
            hint = t("rubric.extends.inherited", parent=source, child=child)
            p = dataclasses.replace(p, message=p.message + hint)
        out.append(p)
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _partial_checks(doc: Located) -> list[Problem]:
    """Name checks on formulas that parse, for a rubric whose models did not all load."""
    data = doc.data
    # Only text can name anything; other values are reported by the models.
    raw_inputs = data.get("inputs") if isinstance(data.get("inputs"), list) else []
    metric_list = data.get("metrics") if isinstance(data.get("metrics"), list) else []
    inputs = {x for x in raw_inputs if isinstance(x, str)}
    metrics = {x["id"] for x in metric_list if isinstance(x, dict) and isinstance(x.get("id"), str)}
    known = inputs | metrics | set(ENGINE_NAMES)
    problems = []
    for loc, text in _formulas(data, ()):
        try:
            expr = Expr.parse(text)
        except Exception:
            continue  # already reported by the model
        problems += [doc.problem(loc, msg) for msg in _name_problems(expr, known)]
    return problems


_FORMULA_KEYS = {"expr", "when"}


def _formulas(node: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in _FORMULA_KEYS and isinstance(v, str):
                yield (*loc, k), v
            else:
                yield from _formulas(v, (*loc, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _formulas(v, (*loc, i))


def _name_problems(expr: Expr, known: set[str]) -> list[str]:
    out = []
    for name in sorted(expr.names - known):
        guess = difflib.get_close_matches(name, known, n=1)
        hint = t("rubric.did_you_mean", guess=repr(guess[0])) if guess else ""
        key = (
            "rubric.check.unknown_field_in_formula"
            if name in FIELDS_BY_ID
            else "rubric.check.unknown_name"
        )
        out.append(t(key, name=repr(name), expr=repr(expr.text), hint=hint))
    return out


def _enum_problems(expr: Expr) -> list[str]:
    """`rd_institution == 'nationl'` is a typo the loader can see."""
    out = []
    for node in ast.walk(expr.tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names = [s.id for s in sides if isinstance(s, ast.Name)]
        for name in names:
            spec = FIELDS_BY_ID.get(name)
            allowed = (
                spec.choice_values
                if spec and spec.type is FieldType.ENUM
                else ENGINE_NAMES.get(name)
            )
            if not allowed:
                continue
            for side in sides:
                literals = side.elts if isinstance(side, ast.List | ast.Tuple) else [side]
                for lit in literals:
                    if (
                        isinstance(lit, ast.Constant)
                        and isinstance(lit.value, str)
                        and lit.value not in allowed
                    ):
                        out.append(
                            t(
                                "rubric.check.no_such_value",
                                name=name,
                                value=repr(lit.value),
                                values=", ".join(allowed),
                            )
                        )
    return out


def check_rubric(rubric: m.Rubric, doc: Located) -> Iterator[Problem]:
    """Checks that need the whole rubric: names, sums, references."""
    for i, name in enumerate(rubric.inputs):
        if name not in FIELDS_BY_ID:
            guess = difflib.get_close_matches(name, FIELDS_BY_ID, n=1)
            hint = t("rubric.did_you_mean", guess=repr(guess[0])) if guess else ""
            yield doc.problem(
                ("inputs", i), t("rubric.check.unknown_field", name=repr(name), hint=hint)
            )
    inputs = set(rubric.inputs)
    known: set[str] = inputs | set(ENGINE_NAMES)
    # What each name holds, so a formula that would meet text in a sum (and stop `score`)
    # is refused here, at its line.  Metrics are numbers; they join as they are declared.
    kinds: dict[str, Kind] = {name: "text" for name in ENGINE_NAMES}
    kinds.update({n: _FIELD_KINDS[FIELDS_BY_ID[n].type] for n in inputs if n in FIELDS_BY_ID})

    def check_expr(loc: Loc, expr: Expr, want: Kind = "yes/no") -> Iterator[Problem]:
        problems = _name_problems(expr, known) + _enum_problems(expr)
        for msg in problems + kind_problems(expr, kinds, want):
            yield doc.problem(loc, msg)

    def check_numeric(loc: Loc, name: str) -> Iterator[Problem]:
        if name in metric_ids:
            return
        spec = FIELDS_BY_ID.get(name)
        if name not in inputs or spec is None:
            yield doc.problem(loc, t("rubric.check.unknown_metric", name=repr(name)))
        elif spec.type not in NUMERIC_TYPES:
            yield doc.problem(loc, t("rubric.check.not_number", name=repr(name)))

    metric_ids: set[str] = set()
    for i, metric in enumerate(rubric.metrics):
        if metric.id in known or metric.id in FIELDS_BY_ID:
            yield doc.problem(
                ("metrics", i, "id"), t("rubric.check.reserved_id", ident=repr(metric.id))
            )
        yield from check_expr(("metrics", i, "expr"), metric.expr, "number")
        if metric.lever is not None and metric.lever not in inputs:
            yield doc.problem(
                ("metrics", i, "lever"), t("rubric.check.lever_not_input", name=repr(metric.lever))
            )
        metric_ids.add(metric.id)
        known.add(metric.id)
        kinds[metric.id] = "number"

    for loc, ids in (
        ("classes", [c.id for c in rubric.classes]),
        ("indicators", [x.id for x in rubric.indicators]),
        ("conditions", [c.id for c in rubric.conditions]),
    ):
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                yield doc.problem((loc, i, "id"), t("rubric.check.duplicate_id", ident=repr(ident)))
            seen.add(ident)

    checker = _Checker(doc, inputs, check_expr, check_numeric)
    class_ids = {c.id for c in rubric.classes}
    sums: dict[str, Decimal] = {c: Decimal(0) for c in class_ids}
    for i, ind in enumerate(rubric.indicators):
        base: Loc = ("indicators", i)
        if ind.class_ not in class_ids:
            yield doc.problem(
                (*base, "class"),
                t(
                    "rubric.check.unknown_class",
                    name=repr(ind.class_),
                    classes=", ".join(sorted(class_ids)),
                ),
            )
        else:
            sums[ind.class_] += ind.max
        yield from checker.score(ind.score, (*base, "score"), ind.max)
    for i, cls in enumerate(rubric.classes):
        if sums[cls.id] != cls.max:
            yield doc.problem(
                ("classes", i, "max"),
                t(
                    "rubric.check.class_sum",
                    name=repr(cls.id),
                    maximum=cls.max,
                    total=sums[cls.id],
                ),
            )
    total = sum((c.max for c in rubric.classes), Decimal(0))
    if rubric.max_total != total:
        yield doc.problem(
            ("max_total",), t("rubric.check.total_sum", maximum=rubric.max_total, total=total)
        )

    for i, cond in enumerate(rubric.conditions):
        for j, check in enumerate(cond.require):
            yield from check_expr(("conditions", i, "require", j, "when"), check.when)
    cond_ids = {c.id for c in rubric.conditions}
    yield from _check_rule(rubric.pass_rule, ("pass",), cond_ids, class_ids, doc)

    if rubric.size_standard is not None:
        try:
            load_size_standard(rubric.size_standard)
        except FileNotFoundError:
            yield doc.problem(
                ("size_standard",),
                t("rubric.check.no_size_standard", name=repr(rubric.size_standard)),
            )
        except RubricError as exc:
            yield from exc.problems
        for need in ("industry", "employees", "revenue", "total_assets"):
            if need not in inputs:
                yield doc.problem(("inputs",), t("rubric.check.size_needs_input", name=repr(need)))
    if rubric.effective_to is not None and rubric.effective_to < rubric.effective_from:
        yield doc.problem(("effective_to",), t("rubric.check.dates"))


class _Checker:
    """The loader's checks as an operator sees them (`assess.rubric.operators.Checker`)."""

    def __init__(self, doc: Located, inputs: set[str], expr: Any, numeric: Any) -> None:
        self.doc, self.inputs = doc, inputs
        self._expr, self._numeric = expr, numeric

    def problem(self, loc: Loc, message: str) -> Problem:
        return self.doc.problem(loc, message)

    def expr(self, loc: Loc, expr: Expr) -> Iterator[Problem]:
        """Checks of a yes/no formula (a `when`): names, enum values and kinds."""
        yield from self._expr(loc, expr)

    def numeric(self, loc: Loc, name: str) -> Iterator[Problem]:
        yield from self._numeric(loc, name)

    def score(self, score: ScoreModel, loc: Loc, maximum: Decimal) -> Iterator[Problem]:
        yield from operator_for(score).check(score, loc, maximum, self)


def _check_rule(
    rule: m.Rule, loc: Loc, cond_ids: set[str], class_ids: set[str], doc: Located
) -> Iterator[Problem]:
    for key in ("all", "any"):
        for i, sub in enumerate(getattr(rule, key) or []):
            yield from _check_rule(sub, (*loc, key, i), cond_ids, class_ids, doc)
    if rule.not_ is not None:
        yield from _check_rule(rule.not_, (*loc, "not"), cond_ids, class_ids, doc)
    if rule.condition is not None and rule.condition not in cond_ids:
        yield doc.problem(
            (*loc, "condition"), t("rubric.check.unknown_condition", name=repr(rule.condition))
        )
    for cls in rule.class_at_least or {}:
        if cls not in class_ids:
            yield doc.problem(
                (*loc, "class_at_least", cls),
                t(
                    "rubric.check.unknown_class",
                    name=repr(cls),
                    classes=", ".join(sorted(class_ids)),
                ),
            )


@functools.cache
def load_size_standard(standard_id: str) -> SizeStandard:
    path = data_dir("rubrics") / "size" / f"{standard_id}.yaml"
    if not path.is_file():
        raise FileNotFoundError(path)
    doc, problems = load_file(path)
    if problems:
        raise RubricError(problems)
    try:
        return SizeStandard.model_validate(doc.data)
    except ValidationError as exc:
        raise RubricError(_pydantic_problems(exc, doc)) from None


@functools.cache
def _builtin(path: Path) -> m.Rubric:
    rubric = load_rubric(path, display=f"rubrics/{path.name}")
    if rubric.id != path.stem:
        raise RubricError(
            [
                Problem(
                    f"rubrics/{path.name}",
                    "id",
                    t("rubric.check.id_matches_file", ident=repr(rubric.id)),
                )
            ]
        )
    return rubric


# One cache file per key (rubric files and code), so that two installs or versions used
# in turn do not overwrite each other's; the few most recent are kept.
_CACHE_PREFIX, _CACHE_KEEP = "rubrics-", 4


def _cache_name(key: bytes) -> str:
    return f"{_CACHE_PREFIX}{key.hex()[:24]}.pickle"


def _bundled_files() -> list[Path]:
    """What the bundled rubrics are made of: their files and the size standards."""
    return [*rubric_files(), *sorted((data_dir("rubrics") / "size").glob("*.yaml"))]


@functools.cache
def _from_cache() -> dict[str, m.Rubric] | None:
    """Every bundled rubric, loaded and checked by an earlier run of this very code on these
    very files (`assess.rubric.cache`), or None."""
    import pickle

    from assess.rubric import cache

    try:
        key = cache.code_and_data_key(_bundled_files())
        payload = cache.read(_cache_name(key), key)
        rubrics = pickle.loads(payload) if payload is not None else None
    except Exception:  # an unreadable cache is a miss
        return None
    if not isinstance(rubrics, dict) or list(rubrics) != [p.stem for p in rubric_files()]:
        return None
    for rubric in rubrics.values():
        if not isinstance(rubric, m.Rubric) or register_fields(rubric.fields):
            return None
    return rubrics


def _to_cache(rubrics: dict[str, m.Rubric]) -> None:
    import pickle

    from assess.rubric import cache

    try:
        payload = pickle.dumps(rubrics, protocol=pickle.HIGHEST_PROTOCOL)
        key = cache.code_and_data_key(_bundled_files())
        cache.write(_cache_name(key), key, payload)
        cache.prune(_CACHE_PREFIX, _CACHE_KEEP)
    except Exception:  # a rubric that does not pickle, a read-only disk: no cache
        return


def builtin_rubrics() -> dict[str, m.Rubric]:
    """Every bundled rubric by id.  A broken bundled rubric is our bug, not the user's."""
    cached = _from_cache()
    if cached is not None:
        return dict(cached)
    rubrics = {path.stem: _builtin(path) for path in rubric_files()}
    if not _stored:
        _stored.append(True)
        _to_cache(rubrics)
    return rubrics


_stored: list[bool] = []  # the cache is written at most once a process


def get_rubric(ref: str) -> m.Rubric:
    """A bundled rubric by id (only its own file is read), or a rubric file by path."""
    path = Path(ref)
    # exists(), not is_file(): a FIFO, a folder or a device then gets the reader's reason.
    if ref.endswith((".yaml", ".yml")) and (path.exists() or path.is_symlink()):
        return load_rubric(path)
    bundled = data_dir("rubrics") / f"{ref}.yaml"
    if "/" not in ref and bundled.is_file():
        cached = _from_cache()
        if cached is not None and ref in cached:
            return cached[ref]
        return _builtin(bundled)
    ids = [p.stem for p in rubric_files()]
    guess = difflib.get_close_matches(ref, ids, n=1)
    hint = t("rubric.unknown_rubric_hint", guess=repr(guess[0])) if guess else ""
    raise RubricError(
        t("rubric.unknown_rubric", ref=repr(ref), hint=hint, available=", ".join(ids))
    )
