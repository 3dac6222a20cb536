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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Union

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
        return "；".join(self.reasons)


Result = Union[Value, Unknown]  # noqa: UP007
Env = Mapping[str, "Value | Unknown | None"]

ALLOWED_OPERATORS = "+ - * / < <= > >= == != in, not in, and, or, not"
FUNCTIONS = ("min", "max", "abs", "mean")


class ExprError(ValueError):
    """The text is not an expression of the rubric language."""


_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in"}
_PY_OP_NAMES: dict[type[ast.AST], str] = {
    ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Is: "is",
    ast.IsNot: "is not", ast.Invert: "~"}


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
            raise ExprError("empty expression")
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as exc:
            raise ExprError(f"cannot parse {text!r}: {exc.msg}") from None
        names: set[str] = set()
        _validate(tree, names)
        return cls(text, tree, frozenset(names))

    def evaluate(self, env: Env, describe: Callable[[str], str] = str) -> Result:
        return _Evaluator(env, describe)._value(self.tree)

    def __str__(self) -> str:
        return self.text


def _validate(node: ast.AST, names: set[str]) -> None:
    """Accept only the node kinds the language has; name what is not allowed."""
    match node:
        case ast.Constant(value=value):
            if not isinstance(value, int | float | str | bool):
                raise ExprError(f"literal {value!r} is not allowed")
        case ast.Name(id=name):
            if name in ("True", "False"):
                return
            names.add(name)
        case ast.BinOp(left=left, op=op, right=right):
            if type(op) not in _BINOPS:
                raise ExprError(f"unknown operator {_op_name(op)!r}; allowed: {ALLOWED_OPERATORS}")
            _validate(left, names)
            _validate(right, names)
        case ast.UnaryOp(op=op, operand=operand):
            if not isinstance(op, ast.USub | ast.UAdd | ast.Not):
                raise ExprError(f"unknown operator {_op_name(op)!r}; allowed: {ALLOWED_OPERATORS}")
            _validate(operand, names)
        case ast.BoolOp(values=values):
            for v in values:
                _validate(v, names)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            for cmp in ops:
                if type(cmp) not in _CMPOPS:
                    raise ExprError(
                        f"unknown operator {_op_name(cmp)!r}; allowed: {ALLOWED_OPERATORS}")
            _validate(left, names)
            for c in comparators:
                _validate(c, names)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            for e in elts:
                if not isinstance(e, ast.Constant):
                    raise ExprError("a list may hold only literal values")
                _validate(e, names)
        case ast.Call(func=ast.Name(id=fname), args=args, keywords=[]):
            if fname not in FUNCTIONS:
                raise ExprError(f"unknown function {fname!r}; allowed: {', '.join(FUNCTIONS)}")
            if not args:
                raise ExprError(f"{fname}() needs at least one argument")
            for a in args:
                _validate(a, names)
        case _:
            raise ExprError(
                f"{ast.unparse(node)!r} is not allowed; use names, numbers, quoted text, "
                f"lists, {ALLOWED_OPERATORS} and {', '.join(FUNCTIONS)}()")


class _Evaluator:
    def __init__(self, env: Env, describe: Callable[[str], str]):
        self.env = env
        self.describe = describe

    def eval(self, node: ast.AST) -> Result | list[Value]:
        match node:
            case ast.Constant(value=value):
                if isinstance(value, bool | str):
                    return value
                if isinstance(value, int | float):
                    return _number(value)
                raise ExprError(f"literal {value!r} is not allowed")
            case ast.Name(id="True"):
                return True
            case ast.Name(id="False"):
                return False
            case ast.Name(id=name):
                found = self.env.get(name)
                if found is None:
                    return Unknown((f"缺少数据：{self.describe(name)}",), (name,))
                return found  # a value, or the Unknown of a metric that could not be computed
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return [self._literal(e) for e in elts]
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                v = self._value(operand)
                return v if isinstance(v, Unknown) else not self._bool(v, operand)
            case ast.UnaryOp(op=op, operand=operand):
                v = self._value(operand)
                if isinstance(v, Unknown):
                    return v
                n = self._num(v, operand)
                return -n if isinstance(op, ast.USub) else n
            case ast.BoolOp(op=op, values=values):
                return self._boolop(isinstance(op, ast.And), values)
            case ast.BinOp(left=left, op=op, right=right):
                return self._binop(left, op, right)
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self._compare(left, ops, comparators)
            case ast.Call(func=ast.Name(id=fname), args=args):
                return self._call(fname, args)
        raise ExprError(f"cannot evaluate {ast.unparse(node)!r}")  # pragma: no cover

    def _literal(self, node: ast.AST) -> Value:
        v = self._value(node)
        if isinstance(v, Unknown):  # pragma: no cover - lists hold literals only
            raise ExprError(f"a list may hold only literal values: {ast.unparse(node)!r}")
        return v

    def _value(self, node: ast.AST) -> Result:
        v = self.eval(node)
        if isinstance(v, list):
            raise ExprError(f"a list is only allowed after 'in': {ast.unparse(node)!r}")
        return v

    @staticmethod
    def _num(v: Value, node: ast.AST) -> Fraction:
        if isinstance(v, bool) or not isinstance(v, Fraction):
            raise ExprError(f"{ast.unparse(node)!r} is not a number")
        return v

    @staticmethod
    def _bool(v: Value, node: ast.AST) -> bool:
        if not isinstance(v, bool):
            raise ExprError(f"{ast.unparse(node)!r} is not a yes/no value")
        return v

    def _boolop(self, is_and: bool, values: list[ast.expr]) -> Result:
        unknown: Unknown | None = None
        for node in values:
            v = self._value(node)
            if isinstance(v, Unknown):
                unknown = v if unknown is None else unknown | v
                continue
            if self._bool(v, node) is not is_and:  # False decides an and, True decides an or
                return not is_and
        return unknown if unknown is not None else is_and

    def _binop(self, left: ast.expr, op: ast.operator, right: ast.expr) -> Result:
        a, b = self._value(left), self._value(right)
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return _join(a, b)
        x, y = self._num(a, left), self._num(b, right)
        match op:
            case ast.Add():
                return x + y
            case ast.Sub():
                return x - y
            case ast.Mult():
                return x * y
        if y == 0:
            what = ast.unparse(right)
            label = self.describe(what) if isinstance(right, ast.Name) else what
            return Unknown((f"分母为 0，无法计算：{label} = 0",))
        return x / y

    def _compare(self, left: ast.expr, ops: list[ast.cmpop], comps: list[ast.expr]) -> Result:
        unknown: Unknown | None = None
        a: Result | list[Value] = self._value(left)
        for op, node in zip(ops, comps, strict=True):
            b = self.eval(node)
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                unknown = _join(unknown, a, b)
                a = b
                continue
            if isinstance(a, list):
                raise ExprError(f"a list is only allowed after 'in': {ast.unparse(left)!r}")
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(b, list):
                    raise ExprError(f"'in' needs a list: {ast.unparse(node)!r}")
                ok = a in b
                ok = ok if isinstance(op, ast.In) else not ok
            elif isinstance(b, list):
                raise ExprError(f"a list is only allowed after 'in': {ast.unparse(node)!r}")
            elif isinstance(op, ast.Eq | ast.NotEq):
                ok = (a == b) == isinstance(op, ast.Eq)
            else:
                x, y = self._num(a, left), self._num(b, node)
                ok = {ast.Lt: x < y, ast.LtE: x <= y, ast.Gt: x > y, ast.GtE: x >= y}[type(op)]
            if not ok:
                return False
            a = b
        return unknown if unknown is not None else True

    def _call(self, fname: str, args: list[ast.expr]) -> Result:
        values = [self._value(a) for a in args]
        unknowns = [v for v in values if isinstance(v, Unknown)]
        if unknowns:
            return _join(*unknowns)
        nums = [self._num(v, a) for v, a in zip(values, args, strict=True)
                if not isinstance(v, Unknown)]
        if fname == "min":
            return min(nums)
        if fname == "max":
            return max(nums)
        if fname == "abs":
            return abs(nums[0])
        return sum(nums, Fraction(0)) / len(nums)  # mean


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
