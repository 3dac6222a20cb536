"""A small, safe expression language for derived metrics and conditions.

Rubric files declare formulas such as ``rd_expense / revenue * 100`` or
``award in ['national_top3', 'provincial_top3']``.  They are parsed with Python's own
parser into a syntax tree and only a short list of node kinds is accepted: arithmetic,
comparisons, and/or/not, names, literals and a few functions.  Nothing is ever passed to
``eval``.  Numbers are exact fractions end to end, so 500 / 10000 * 100 is exactly 5.

A missing input or a zero denominator does not raise: the result is an `Unknown` that
carries its reason, and and/or use three-valued logic (False and unknown is False).
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal, Union

from assess.catalog import t
from assess.errors import UserError

Value = Union[Fraction, bool, str]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Unknown:
    """A value that could not be computed, and why (in the report's language)."""

    reasons: tuple[str, ...]
    missing: tuple[str, ...] = ()  # field ids whose absence caused it

    def __or__(self, other: Unknown) -> Unknown:
        return Unknown(
            tuple(dict.fromkeys(self.reasons + other.reasons)),
            tuple(dict.fromkeys(self.missing + other.missing)),
        )

    @property
    def reason(self) -> str:
        return t("operator.and_separator").join(self.reasons)


Result = Union[Value, Unknown]  # noqa: UP007
Env = Mapping[str, "Value | Unknown | None"]

ALLOWED_OPERATORS = "+ - * / < <= > >= == != in, not in, and, or, not"
FUNCTIONS = ("min", "max", "abs", "mean")


class ExprError(UserError, ValueError):
    """The text is not an expression of the rubric language, or a value of the wrong kind
    reached it.  A user error (exit 2), never a crash: the rubric is at fault, not us."""

    def __init__(self, message: str):
        super().__init__(message)


# Bounds on a formula, checked before anything walks its tree recursively.  The bundled
# rubrics' longest formula has 119 characters and nests 8 levels; these leave room for
# long sums while keeping every recursive walk (validation, compilation, unparse) far
# from Python's recursion limit.
MAX_CHARS = 2000
MAX_NODES = 1000
MAX_DEPTH = 100
# A number literal's magnitude, as in rubric YAML: beyond 10^±30 no figure of a firm
# lives, and an unbounded 1e300 or 0xfff… would only make every fraction slower.
MAX_EXPONENT = 30


_BINOPS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_PY_OP_NAMES: dict[type[ast.AST], str] = {
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Invert: "~",
}


def _op_name(op: ast.AST) -> str:
    return _PY_OP_NAMES.get(type(op), type(op).__name__)


def to_fraction(value: int | Decimal | Fraction | str) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


@dataclass(frozen=True)
class Expr:
    """A parsed expression; immutable and reusable across firms."""

    text: str
    tree: ast.expr = field(compare=False, repr=False)  # equal formulas have equal text
    names: frozenset[str] = field(compare=False)

    @classmethod
    def parse(cls, text: str | int | Decimal) -> Expr:
        if isinstance(text, bool):
            text = "True" if text else "False"
        text = str(text).strip()
        if not text:
            raise ExprError(t("rubric.expr.empty"))
        if len(text) > MAX_CHARS:
            raise ExprError(t("rubric.expr.too_long", count=len(text), limit=MAX_CHARS))
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as exc:
            raise ExprError(
                t("rubric.expr.syntax", text=repr(_clip(text)), reason=exc.msg)
            ) from None
        except (ValueError, RecursionError, MemoryError):
            # CPython's parser gives up on some nesting (a few thousand unary signs) with
            # RecursionError or MemoryError rather than SyntaxError; a null byte is a
            # ValueError.  None of these is a formula.
            raise ExprError(t("rubric.expr.unparsable", text=repr(_clip(text)))) from None
        _check_size(tree, text)
        names: set[str] = set()
        _validate(tree, names)
        return cls(text, tree, frozenset(names))

    @functools.cached_property
    def _fn(self) -> Fn:
        return _compile(self.tree)

    @functools.cached_property
    def comparisons(self) -> tuple[Expr, ...]:
        """Each comparison in the expression as an expression of its own, a chain
        `a < b < c` as `a < b` and `b < c`: a whole condition can change only where one of
        them does (a search for a blank's extremes looks for where each one changes)."""
        out: list[Expr] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Compare):
                left = node.left
                for op, right in zip(node.ops, node.comparators, strict=True):
                    piece = ast.Compare(left=left, ops=[op], comparators=[right])
                    out.append(Expr.parse(ast.unparse(piece)))
                    left = right
        return tuple(out)

    def evaluate(self, env: Env, describe: Callable[[str], str] = str) -> Result:
        v = self._fn(env, describe)
        if isinstance(v, list):
            raise ExprError(t("rubric.expr.list_outside_in", text=repr(self.text)))
        return v

    def __str__(self) -> str:
        return self.text


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def _check_size(tree: ast.AST, text: str) -> None:
    """Count nodes and measure depth without recursion, so that a 100,000-term sum or a
    chain of unary minus signs is refused before any recursive walk meets it."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExprError(t("rubric.expr.too_many", text=repr(_clip(text)), limit=MAX_NODES))
        if depth > MAX_DEPTH:
            raise ExprError(t("rubric.expr.too_deep", text=repr(_clip(text)), limit=MAX_DEPTH))
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            _check_number(value, node, text)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_number(value: int | float, node: ast.AST, text: str) -> None:
    """A literal is zero or within 10^±MAX_EXPONENT; `1e999999` is float infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        ok = False
    else:
        magnitude = abs(Fraction(value))
        ok = not magnitude or Fraction(1, 10**MAX_EXPONENT) <= magnitude < 10**MAX_EXPONENT
    if not ok:
        written = ast.get_source_segment(text, node) or repr(value)
        raise ExprError(
            t("rubric.expr.number_range", number=_clip(written, 24), limit=MAX_EXPONENT)
        )


def _unknown_operator(op: ast.AST) -> str:
    return t("rubric.expr.operator", operator=repr(_op_name(op)), allowed=ALLOWED_OPERATORS)


def _validate(node: ast.AST, names: set[str]) -> None:
    """Accept only the node kinds the language has; name what is not allowed."""
    match node:
        case ast.Constant(value=value):
            if not isinstance(value, int | float | str | bool):
                raise ExprError(t("rubric.expr.literal", value=repr(value)))
        case ast.Name(id=name):
            if name in ("True", "False"):
                return
            names.add(name)
        case ast.BinOp(left=left, op=op, right=right):
            if type(op) not in _BINOPS:
                raise ExprError(_unknown_operator(op))
            _validate(left, names)
            _validate(right, names)
        case ast.UnaryOp(op=op, operand=operand):
            if not isinstance(op, ast.USub | ast.UAdd | ast.Not):
                raise ExprError(_unknown_operator(op))
            _validate(operand, names)
        case ast.BoolOp(values=values):
            for v in values:
                _validate(v, names)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            for cmp in ops:
                if type(cmp) not in _CMPOPS:
                    raise ExprError(_unknown_operator(cmp))
            _validate(left, names)
            for c in comparators:
                _validate(c, names)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            for e in elts:
                if not isinstance(e, ast.Constant):
                    raise ExprError(t("rubric.expr.list_literals"))
                _validate(e, names)
        case ast.Call(func=ast.Name(id=fname), args=args, keywords=[]):
            if fname not in FUNCTIONS:
                raise ExprError(
                    t("rubric.expr.function", name=repr(fname), allowed=", ".join(FUNCTIONS))
                )
            if not args:
                raise ExprError(t("rubric.expr.no_argument", name=fname))
            for a in args:
                _validate(a, names)
        case _:
            raise ExprError(
                t(
                    "rubric.expr.not_allowed",
                    text=repr(ast.unparse(node)),
                    operators=ALLOWED_OPERATORS,
                    functions=", ".join(f"{f}()" for f in FUNCTIONS),
                )
            )


Fn = Callable[[Env, Callable[[str], str]], "Result | list[Value]"]


def _compile(node: ast.AST) -> Fn:
    """Turn a validated tree into nested closures, once per formula: evaluating a firm
    then costs a few calls per node instead of a pattern match per node."""
    text = ast.unparse(node)

    def value_of(fn: Fn, where: ast.AST) -> Fn:
        def run(env: Env, describe: Callable[[str], str]) -> Result | list[Value]:
            v = fn(env, describe)
            if isinstance(v, list):
                raise ExprError(t("rubric.expr.list_outside_in", text=repr(ast.unparse(where))))
            return v

        return run

    def num(v: object, where: str) -> Fraction:
        if isinstance(v, bool) or not isinstance(v, Fraction):
            raise ExprError(f"{where!r} is not a number")
        return v

    def boolean(v: object, where: str) -> bool:
        if not isinstance(v, bool):
            raise ExprError(f"{where!r} is not a yes/no value")
        return v

    match node:
        case ast.Constant(value=value):
            if isinstance(value, bool | str):
                const: Value = value
            elif isinstance(value, int | float):
                const = _number(value)
            else:  # pragma: no cover - refused by _validate
                raise ExprError(f"literal {value!r} is not allowed")
            return lambda env, describe: const
        case ast.Name(id="True"):
            return lambda env, describe: True
        case ast.Name(id="False"):
            return lambda env, describe: False
        case ast.Name(id=name):

            def lookup(env: Env, describe: Callable[[str], str]) -> Result:
                found = env.get(name)
                if found is None:
                    return Unknown((t("operator.missing", name=describe(name)),), (name,))
                return found  # a value, or the Unknown of a metric that could not be computed

            return lookup
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            literal: list[Value] = []
            for e in elts:  # _validate allows only literals here
                v = e.value if isinstance(e, ast.Constant) else None
                if isinstance(v, bool | str):
                    literal.append(v)
                elif isinstance(v, int | float):
                    literal.append(_number(v))
            return lambda env, describe: literal
        case ast.UnaryOp(op=op, operand=operand):
            inner = value_of(_compile(operand), operand)
            where = ast.unparse(operand)
            negate, is_not = isinstance(op, ast.USub), isinstance(op, ast.Not)

            def unary(env: Env, describe: Callable[[str], str]) -> Result:
                v = inner(env, describe)
                if isinstance(v, Unknown):
                    return v
                if is_not:
                    return not boolean(v, where)
                n = num(v, where)
                return -n if negate else n

            return unary
        case ast.BoolOp(op=op, values=values):
            parts = [(value_of(_compile(v), v), ast.unparse(v)) for v in values]
            is_and = isinstance(op, ast.And)

            def boolop(env: Env, describe: Callable[[str], str]) -> Result:
                unknown: Unknown | None = None
                for fn, where in parts:
                    v = fn(env, describe)
                    if isinstance(v, Unknown):
                        unknown = v if unknown is None else unknown | v
                        continue
                    if boolean(v, where) is not is_and:  # False decides and, True decides or
                        return not is_and
                return unknown if unknown is not None else is_and

            return boolop
        case ast.BinOp(left=left, op=op, right=right):
            fa, fb = value_of(_compile(left), left), value_of(_compile(right), right)
            wa, wb = ast.unparse(left), ast.unparse(right)
            kind = type(op)
            right_name = right.id if isinstance(right, ast.Name) else None

            def binop(env: Env, describe: Callable[[str], str]) -> Result:
                a, b = fa(env, describe), fb(env, describe)
                if isinstance(a, Unknown) or isinstance(b, Unknown):
                    return _join(a, b)
                x, y = num(a, wa), num(b, wb)
                if kind is ast.Add:
                    return x + y
                if kind is ast.Sub:
                    return x - y
                if kind is ast.Mult:
                    return x * y
                if y == 0:
                    label = describe(right_name) if right_name else wb
                    return Unknown((t("operator.zero_division", name=label),))
                return x / y

            return binop
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            first = value_of(_compile(left), left)
            chain = [
                (type(o), _compile(c), ast.unparse(c))
                for o, c in zip(ops, comparators, strict=True)
            ]
            wleft = ast.unparse(left)

            def compare(env: Env, describe: Callable[[str], str]) -> Result:
                unknown: Unknown | None = None
                a: Result | list[Value] = first(env, describe)
                wa = wleft
                for kind, fn, wb in chain:
                    b = fn(env, describe)
                    if isinstance(a, Unknown) or isinstance(b, Unknown):
                        unknown = _join(unknown, a, b)
                        a, wa = b, wb
                        continue
                    if isinstance(a, list):
                        raise ExprError(f"a list is only allowed after 'in': {wa!r}")
                    if kind is ast.In or kind is ast.NotIn:
                        if not isinstance(b, list):
                            raise ExprError(f"'in' needs a list: {wb!r}")
                        ok = (a in b) == (kind is ast.In)
                    elif isinstance(b, list):
                        raise ExprError(f"a list is only allowed after 'in': {wb!r}")
                    elif kind is ast.Eq or kind is ast.NotEq:
                        ok = (a == b) == (kind is ast.Eq)
                    else:
                        x, y = num(a, wa), num(b, wb)
                        ok = (
                            x < y
                            if kind is ast.Lt
                            else x <= y
                            if kind is ast.LtE
                            else x > y
                            if kind is ast.Gt
                            else x >= y
                        )
                    if not ok:
                        return False
                    a, wa = b, wb
                return unknown if unknown is not None else True

            return compare
        case ast.Call(func=ast.Name(id=fname), args=args):
            fns = [(value_of(_compile(a), a), ast.unparse(a)) for a in args]

            def call(env: Env, describe: Callable[[str], str]) -> Result:
                values = [fn(env, describe) for fn, _ in fns]
                unknowns = [v for v in values if isinstance(v, Unknown)]
                if unknowns:
                    return _join(*unknowns)
                nums = [num(v, w) for v, (_, w) in zip(values, fns, strict=True)]
                if fname == "min":
                    return min(nums)
                if fname == "max":
                    return max(nums)
                if fname == "abs":
                    return abs(nums[0])
                return sum(nums, Fraction(0)) / len(nums)  # mean

            return call
    raise ExprError(f"cannot evaluate {text!r}")  # pragma: no cover - refused by _validate


@functools.lru_cache(maxsize=4096)
def _number(value: int | float) -> Fraction:
    """A literal as an exact fraction: 0.1 is 1/10 (parsed once, then cached)."""
    return Fraction(str(value))


def _join(*values: object) -> Unknown:
    out = Unknown(())
    for v in values:
        if isinstance(v, Unknown):
            out = out | v
    return out


# ---- kinds: what `rubric check` can know before any firm is scored --------------------

Kind = Literal["number", "text", "yes/no"]
_KIND_KEYS: dict[str, str] = {
    "number": "number",
    "text": "text",
    "yes/no": "yes_no",
    "list": "list",
}


def _kind_word(kind: str) -> str:
    """数值, 文字, 是/否, 列表 (a number, text, yes or no, a list)."""
    return t(f"rubric.expr.kind.{_KIND_KEYS[kind]}")


def kind_problems(expr: Expr, kinds: Mapping[str, Kind], want: Kind | None = None) -> list[str]:
    """Where a formula would meet a value of the wrong kind, found without a firm.

    `kinds` gives the kind of each name (fields, metrics, engine names); names it does not
    know are left to the name checks.  `want` is what the formula must give: "yes/no" for a
    `when`, "number" for a metric.  Evaluation raises `ExprError` for the same mistakes
    (text in a sum, a number after `and`, a list outside `in`); finding them here lets
    `rubric check` name the file and line, so a rubric it accepts does not stop `score`.
    """
    problems: list[str] = []

    def say(node: ast.AST, got: str, need: str, why: str) -> None:
        problems.append(
            t(
                "rubric.expr.kind_mismatch",
                node=repr(ast.unparse(node)),
                got=_kind_word(got),
                why=why,
                need=_kind_word(need),
                text=repr(_clip(expr.text)),
            )
        )

    def need(node: ast.AST, want: str, why: str) -> None:
        got = kind(node)
        if got is not None and got != want:
            say(node, got, want, why)

    def kind(node: ast.AST) -> str | None:
        match node:
            case ast.Constant(value=bool()):
                return "yes/no"
            case ast.Constant(value=str()):
                return "text"
            case ast.Constant():
                return "number"
            case ast.Name(id="True" | "False"):
                return "yes/no"
            case ast.Name(id=name):
                return kinds.get(name)
            case ast.List() | ast.Tuple():
                return "list"
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                need(operand, "yes/no", t("rubric.expr.why.not"))
                return "yes/no"
            case ast.UnaryOp(operand=operand):
                need(operand, "number", t("rubric.expr.why.sign"))
                return "number"
            case ast.BinOp(left=left, op=op, right=right):
                for side in (left, right):
                    need(side, "number", t("rubric.expr.why.arith", op=_BINOPS.get(type(op), "?")))
                return "number"
            case ast.BoolOp(values=values):
                for v in values:
                    need(v, "yes/no", t("rubric.expr.why.andor"))
                return "yes/no"
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                sides = [left, *comparators]
                found = [kind(s) for s in sides]
                for i, cmp in enumerate(ops):
                    (a, ka), (b, kb) = (sides[i], found[i]), (sides[i + 1], found[i + 1])
                    word = _CMPOPS.get(type(cmp), "?")
                    if isinstance(cmp, ast.In | ast.NotIn):
                        if kb is not None and kb != "list":
                            say(b, kb, "list", t("rubric.expr.why.right", op=word))
                        if ka == "list":
                            say(a, ka, "number", t("rubric.expr.why.left_list", op=word))
                    elif ka == "list" or kb == "list":
                        why = t("rubric.expr.why.compare", op=word)
                        say(a if ka == "list" else b, "list", "number", why)
                    elif isinstance(cmp, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
                        for side, k in ((a, ka), (b, kb)):
                            if k is not None and k != "number":
                                say(side, k, "number", t("rubric.expr.why.compare", op=word))
                    elif ka is not None and kb is not None and ka != kb:
                        # Always unequal: 'industry == 1' is a mistake, not a question.
                        other = repr(ast.unparse(a))
                        say(b, kb, ka, t("rubric.expr.why.compare_with", other=other, op=word))
                return "yes/no"
            case ast.Call(args=args):
                for arg in args:
                    need(arg, "number", t("rubric.expr.why.call", func=ast.unparse(node.func)))
                return "number"
        return None  # pragma: no cover - refused by _validate

    got = kind(expr.tree)
    if got == "list":
        problems.append(t("rubric.expr.list_only_in", text=repr(_clip(expr.text))))
    elif want is not None and got is not None and got != want:
        problems.append(
            t(
                "rubric.expr.result_kind",
                text=repr(_clip(expr.text)),
                got=_kind_word(got),
                need=_kind_word(want),
            )
        )
    return list(dict.fromkeys(problems))


# ---- the fast form: deciding without words ---------------------------------------------
#
# `Expr.fast` is the formula compiled once more, for deciding many firms: the same
# three-valued logic and the same exact arithmetic, but numbers are (numerator,
# denominator) pairs of integers (denominator > 0, not reduced: no gcd on the way) and
# comparisons are cross-multiplied, and an unknown value carries only the fields whose
# absence caused it (`Blank`), no reason in words.  Where the wording form raises
# `ExprError` (a value of the wrong kind), the fast form raises `Mismatch`: the caller
# hands the firm to the engine, which says why.

Pair = tuple[int, int]
FastEnv = Mapping[str, object]
FastFn = Callable[[FastEnv], object]


class Blank:
    """A value the fast form could not compute: the field ids whose absence caused it
    (`Unknown.missing`, in the same order)."""

    __slots__ = ("missing",)

    def __init__(self, missing: tuple[str, ...] = ()):
        self.missing = missing

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Blank and self.missing == other.missing

    def __hash__(self) -> int:
        return hash(self.missing)

    def __or__(self, other: Blank) -> Blank:
        if not other.missing:
            return self
        if not self.missing:
            return other
        return Blank(tuple(dict.fromkeys(self.missing + other.missing)))


class Mismatch(Exception):
    """A value of the wrong kind reached a fast formula (the wording form would raise
    `ExprError`)."""


def pair(value: Fraction) -> Pair:
    return value.numerator, value.denominator


def same(a: object, b: object) -> bool:
    """`a == b` as the wording form compares: numbers by value (1 == True, as Fraction)."""
    if a.__class__ is tuple:
        x = a
        if b.__class__ is tuple:
            y = b
            return bool(x[0] * y[1] == y[0] * x[1])
        if b.__class__ is bool:
            return bool(x[0] == int(b) * x[1])
        return False
    if b.__class__ is tuple:
        return same(b, a)
    return a == b


def _fast_value(node: ast.AST) -> FastFn:
    """A node's fast form where a value is wanted: a list literal there is a mistake."""
    if isinstance(node, ast.List | ast.Tuple):

        def refuse(env: FastEnv) -> object:
            raise Mismatch("a list outside 'in'")

        return refuse
    return _fast(node)


def _fast(node: ast.AST) -> FastFn:
    """`_compile` over pairs, without words (see the section's comment)."""
    match node:
        case ast.Constant(value=value):
            if isinstance(value, bool | str):
                const: object = value
            else:
                const = pair(_number(value))
            return lambda env: const
        case ast.Name(id="True"):
            return lambda env: True
        case ast.Name(id="False"):
            return lambda env: False
        case ast.Name(id=name):
            missing = Blank((name,))

            def lookup(env: FastEnv) -> object:
                found = env.get(name)
                return missing if found is None else found

            return lookup
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            items: list[object] = []
            for e in elts:
                v = e.value if isinstance(e, ast.Constant) else None
                if isinstance(v, bool | str):
                    items.append(v)
                elif isinstance(v, int | float):
                    items.append(pair(_number(v)))
            return lambda env: items
        case ast.UnaryOp(op=op, operand=operand):
            inner = _fast_value(operand)
            if isinstance(op, ast.Not):

                def not_(env: FastEnv) -> object:
                    v = inner(env)
                    if v.__class__ is Blank:
                        return v
                    if v.__class__ is not bool:
                        raise Mismatch("not a yes/no value")
                    return not v

                return not_
            negate = isinstance(op, ast.USub)

            def sign(env: FastEnv) -> object:
                v = inner(env)
                if v.__class__ is Blank:
                    return v
                if v.__class__ is not tuple:
                    raise Mismatch("not a number")
                return (-v[0], v[1]) if negate else v

            return sign
        case ast.BoolOp(op=op, values=values):
            parts = [_fast_value(v) for v in values]
            is_and = isinstance(op, ast.And)

            def boolop(env: FastEnv) -> object:
                unknown: Blank | None = None
                for fn in parts:
                    v = fn(env)
                    if v.__class__ is Blank:
                        unknown = v if unknown is None else unknown | v
                        continue
                    if v.__class__ is not bool:
                        raise Mismatch("not a yes/no value")
                    if v is not is_and:
                        return not is_and
                return unknown if unknown is not None else is_and

            return boolop
        case ast.BinOp(left=left, op=op, right=right):
            return _fast_binop(_fast_value(left), _fast_value(right), type(op))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            if len(ops) == 1:
                simple = _fast_one(left, type(ops[0]), comparators[0])
                if simple is not None:
                    return simple
            return _fast_compare(
                _fast_value(left),
                [(type(o), _fast(c)) for o, c in zip(ops, comparators, strict=True)],
            )
        case ast.Call(func=ast.Name(id=fname), args=args):
            return _fast_call(fname, [_fast_value(a) for a in args])
    raise ExprError(f"cannot evaluate {ast.unparse(node)!r}")  # pragma: no cover


def _fast_binop(fa: FastFn, fb: FastFn, kind: type[ast.operator]) -> FastFn:
    def binop(env: FastEnv) -> object:
        a, b = fa(env), fb(env)
        if a.__class__ is Blank:
            return a | b if b.__class__ is Blank else a
        if b.__class__ is Blank:
            return b
        if a.__class__ is not tuple or b.__class__ is not tuple:
            raise Mismatch("not a number")
        an, ad = a
        bn, bd = b
        if kind is ast.Add:
            return (an + bn, ad) if ad == bd else (an * bd + bn * ad, ad * bd)
        if kind is ast.Sub:
            return (an - bn, ad) if ad == bd else (an * bd - bn * ad, ad * bd)
        if kind is ast.Mult:
            return an * bn, ad * bd
        if bn == 0:
            return _DIVIDED_BY_ZERO
        return (an * bd, ad * bn) if bn > 0 else (-an * bd, -ad * bn)

    return binop


_DIVIDED_BY_ZERO = Blank()


def _less(a: Pair, b: Pair) -> bool:
    return a[0] * b[1] < b[0] * a[1]


def _fast_one(left: ast.AST, kind: type[ast.cmpop], right: ast.AST) -> FastFn | None:
    """One comparison of a name with literals (`x >= 5`, `award == 'national'`, `x in
    ['a', 'b']`, the checks rubrics are mostly made of), without the chain's loop."""
    if kind in (ast.In, ast.NotIn, ast.Eq, ast.NotEq):
        return _fast_match(left, kind, right)
    return _fast_order(left, kind, right)


def _fast_match(left: ast.AST, kind: type[ast.cmpop], right: ast.AST) -> FastFn | None:
    """`name == literal`, `name != literal`, `name in [literals]`, `name not in [...]`."""
    if not isinstance(left, ast.Name) or left.id in ("True", "False"):
        return None
    if kind in (ast.In, ast.NotIn):
        if not isinstance(right, ast.List | ast.Tuple):
            return None
        literals = [e.value for e in right.elts if isinstance(e, ast.Constant)]
    elif isinstance(right, ast.Constant):
        literals = [right.value]
    else:
        return None
    name = left.id
    missing = Blank((name,))
    positive = kind in (ast.In, ast.Eq)
    if len(literals) == 1 and isinstance(literals[0], bool) and kind in (ast.Eq, ast.NotEq):
        flag = literals[0]

        def yes_no(env: FastEnv) -> object:
            a = env.get(name)
            if a is None:
                return missing
            if a.__class__ is bool:
                return (a is flag) is positive
            if a.__class__ is Blank:
                return a
            return same(a, flag) is positive

        return yes_no
    if not all(isinstance(v, str) for v in literals):
        return None  # numbers compare by value: the chain's loop does that
    strings = frozenset(literals)

    def match(env: FastEnv) -> object:
        a = env.get(name)
        if a is None:
            return missing
        if a.__class__ is Blank:
            return a
        return (a in strings) is positive if a.__class__ is str else not positive

    return match


def _fast_order(left: ast.AST, kind: type[ast.cmpop], right: ast.AST) -> FastFn | None:
    """`name < 5`, `5 <= name`: one comparison of a name with a number."""
    flip = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
    if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
        left, right, kind = right, left, flip[kind]
    if not (
        isinstance(left, ast.Name)
        and left.id not in ("True", "False")
        and isinstance(right, ast.Constant)
        and isinstance(right.value, int | float)
        and not isinstance(right.value, bool)
    ):
        return None
    name = left.id
    missing = Blank((name,))
    cn, cd = pair(_number(right.value))

    def order(env: FastEnv) -> object:
        a = env.get(name)
        if a is None:
            return missing
        if a.__class__ is not tuple:
            if a.__class__ is Blank:
                return a
            raise Mismatch("not a number")
        x, y = a[0] * cd, cn * a[1]
        if kind is ast.GtE:
            return x >= y
        if kind is ast.Gt:
            return x > y
        if kind is ast.LtE:
            return x <= y
        return x < y

    return order


def _fast_compare(first: FastFn, chain: list[tuple[type[ast.cmpop], FastFn]]) -> FastFn:
    def member(a: object, b: object) -> bool:
        if b.__class__ is not list:
            raise Mismatch("'in' needs a list")
        return any(same(a, x) for x in b)

    def compare(env: FastEnv) -> object:
        unknown: Blank | None = None
        a = first(env)
        for kind, fn in chain:
            b = fn(env)
            if a.__class__ is Blank or b.__class__ is Blank:
                for v in (a, b):
                    if v.__class__ is Blank:
                        unknown = v if unknown is None else unknown | v
                a = b
                continue
            if a.__class__ is list:
                raise Mismatch("a list outside 'in'")
            if kind is ast.In:
                ok = member(a, b)
            elif kind is ast.NotIn:
                ok = not member(a, b)
            elif b.__class__ is list:
                raise Mismatch("a list outside 'in'")
            elif kind is ast.Eq:
                ok = same(a, b)
            elif kind is ast.NotEq:
                ok = not same(a, b)
            else:
                if a.__class__ is not tuple or b.__class__ is not tuple:
                    raise Mismatch("not a number")
                x, y = a[0] * b[1], b[0] * a[1]
                ok = (
                    x < y
                    if kind is ast.Lt
                    else x <= y
                    if kind is ast.LtE
                    else x > y
                    if kind is ast.Gt
                    else x >= y
                )
            if not ok:
                return False
            a = b
        return unknown if unknown is not None else True

    return compare


def _fast_call(fname: str, fns: list[FastFn]) -> FastFn:
    def call(env: FastEnv) -> object:
        values = [fn(env) for fn in fns]
        unknown: Blank | None = None
        for v in values:
            if v.__class__ is Blank:
                unknown = v if unknown is None else unknown | v
        if unknown is not None:
            return unknown
        if any(v.__class__ is not tuple for v in values):
            raise Mismatch("not a number")
        nums: list[Pair] = values  # type: ignore[assignment]
        if fname == "min":
            best = nums[0]
            for v in nums[1:]:
                if _less(v, best):
                    best = v
            return best
        if fname == "max":
            best = nums[0]
            for v in nums[1:]:
                if _less(best, v):
                    best = v
            return best
        if fname == "abs":
            return abs(nums[0][0]), nums[0][1]
        total = (0, 1)  # mean
        for n, d in nums:
            total = (total[0] * d + n * total[1], total[1] * d)
        return total[0], total[1] * len(nums)

    return call


def fast(expr: Expr) -> FastFn:
    """The formula's fast form (see the section's comment), compiled once per formula."""
    found = _FAST.get(expr.text)
    if found is None:
        found = _FAST[expr.text] = _fast_value(expr.tree)
    return found


_FAST: dict[str, FastFn] = {}
