"""The formula language: exact, safe, and honest about what it cannot compute."""

from __future__ import annotations

import re
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.errors import UserError
from assess.rubric.expr import Expr, ExprError, Kind, Unknown, kind_problems


def ev(text: str, **env: object) -> object:
    return Expr.parse(text).evaluate(env)  # type: ignore[arg-type]


def test_ratio_is_exact() -> None:
    assert ev("rd / rev * 100", rd=Fraction(500), rev=Fraction(10000)) == 5
    assert ev("a / b", a=Fraction(1), b=Fraction(3)) == Fraction(1, 3)
    assert ev("0.1 + 0.2") == Fraction(3, 10)


def test_zero_denominator_is_unknown_with_its_reason() -> None:
    out = ev("rd / revenue", rd=Fraction(5), revenue=Fraction(0))
    assert isinstance(out, Unknown)
    assert "分母为 0" in out.reason and "revenue" in out.reason


def test_missing_name_is_unknown_and_named() -> None:
    out = ev("rd / revenue", rd=Fraction(5))
    assert isinstance(out, Unknown)
    assert out.missing == ("revenue",)


def test_zero_is_a_value_not_missing() -> None:
    assert ev("x >= 0", x=Fraction(0)) is True
    assert ev("x == 0", x=Fraction(0)) is True


def test_three_valued_logic() -> None:
    assert ev("a or b", a=True) is True  # b unknown, but a decides
    assert ev("a and b", a=False) is False
    assert isinstance(ev("a and b", a=True), Unknown)
    assert isinstance(ev("not b"), Unknown)
    assert ev("(r >= 1 and x > 0) or r < 1", r=Fraction(0)) is True


def test_in_lists_and_enum_values() -> None:
    assert ev("award in ['a', 'b']", award="b") is True
    assert ev("award not in ['a', 'b']", award="b") is False


def test_functions() -> None:
    assert ev("mean(1, 2, 4)") == Fraction(7, 3)
    assert ev("max(a, 2)", a=Fraction(3)) == 3
    assert ev("min(a, 2)", a=Fraction(3)) == 2
    assert ev("abs(0 - 2)") == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('true')", "公式中不能写"),
        ("__import__('os')", "不支持的函数"),
        ("rd ** 2", "不支持的运算符 '**'"),
        ("rd // 2", "不支持的运算符 '//'"),
        ("a.b", "公式中不能写"),
        ("[x for x in y]", "公式中不能写"),
        ("lambda: 1", "公式中不能写"),
        ("a[0]", "公式中不能写"),
        ("open('x')", "不支持的函数"),
        ("a is None", "不支持的运算符 'is'"),
        ("", "公式是空的"),
        ("1 +", "无法解析公式"),
        ("[a, 1]", "列表中只能写常量"),
    ],
)
def test_everything_else_is_refused(text: str, message: str) -> None:
    with pytest.raises(ExprError, match=re.escape(message)):
        Expr.parse(text)


def test_type_errors_raise_rather_than_guess() -> None:
    with pytest.raises(ExprError, match="not a number"):
        ev("a + 1", a="text")
    with pytest.raises(ExprError, match="yes/no"):
        ev("a and True", a=Fraction(1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9**9**9", "不支持的运算符 '**'"),
        ("0x" + "f" * 5000, "超过 2000 个的上限"),
        ("0x" + "f" * 40, "超出范围"),
        ("1e999999", "数字 1e999999 超出范围"),
        ("x > 1e-40", "数字 1e-40 超出范围"),
        ("1" * 5000, "超过 2000 个的上限"),
        ("1" * 1000, "数字 1111"),
        ("+".join(["1"] * 100_000), "超过 2000 个的上限"),
        ("-" * 100_000 + "1", "超过 2000 个的上限"),
        ("-" * 1999 + "1", "嵌套超过 100 层"),
        ("not " * 400 + "x", "嵌套超过 100 层"),
        ("+".join(["a"] * 300), "嵌套超过 100 层"),
        ("min(" + ",".join(["a"] * 600) + ")", "超过 1000 个部分"),
        ("a\0b", "null bytes"),
        ("None", "不接受常量 None"),
        ("1j", "不接受常量 1j"),
        ("min(*a)", "公式中不能写"),
        ("min(a, key=b)", "公式中不能写"),
        ("f'{a}'", "公式中不能写"),
        ("(a := 1)", "公式中不能写"),
        ("(lambda: 1)()", "公式中不能写"),
        ("().__class__", "公式中不能写"),
    ],
)
def test_hostile_formulas_are_refused_quickly(text: str, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExprError, match=re.escape(message)):
        Expr.parse(text)
    assert time.perf_counter() - start < 1


def test_bounds_leave_room_for_real_formulas() -> None:
    # 60 terms, a 10^29 literal and a 10^-29 one are all within the language.
    total = "+".join(f"a{i}" for i in range(60))
    env = {f"a{i}": Fraction(i) for i in range(60)}
    assert Expr.parse(total).evaluate(env) == sum(range(60))  # type: ignore[arg-type]
    assert ev("1e29 * 1e-29") == 1
    assert ev("0.0 + 0") == 0


def test_a_wrong_kind_at_evaluation_is_a_user_error_not_a_crash() -> None:
    with pytest.raises(UserError, match="not a number"):
        ev("a + 1", a="text")


KINDS: dict[str, Kind] = {"n": "number", "m": "number", "t": "text", "b": "yes/no"}
ENV = {"n": Fraction(3), "m": Fraction(0), "t": "small", "b": True}


@pytest.mark.parametrize(
    ("text", "want", "message"),
    [
        ("t + 1", "number", "'t' 是文字，+ 运算需要数值"),
        ("n and b", "yes/no", "'n' 是数值，and/or 需要是/否"),
        ("not n", "yes/no", "'n' 是数值，not 需要是/否"),
        ("t in 'abc'", "yes/no", "in 的右边需要列表"),
        ("t == 1", "yes/no", "与 't' 用 == 比较需要文字"),
        ("n > 'a'", "yes/no", "> 比较需要数值"),
        ("min(t, 1)", "number", "'t' 是文字，min() 需要数值"),
        ("n", "yes/no", "结果是数值，这里需要是/否"),
        ("[1, 2]", None, "列表只能写在 in 之后"),
    ],
)
def test_kind_problems_name_the_part_and_what_it_needs(
    text: str, want: Kind | None, message: str
) -> None:
    problems = kind_problems(Expr.parse(text), KINDS, want)
    assert any(message in p for p in problems), problems


def test_well_kinded_formulas_have_no_kind_problems() -> None:
    for text, want in [
        ("t in ['small', 'micro']", "yes/no"),
        ("n / m * 100", "number"),
        ("(n >= 1 and t == 'x') or not b", "yes/no"),
        ("b == True", "yes/no"),
        ("unknown_name + 1 > 0", "yes/no"),  # names are the name checks' business
    ]:
        assert kind_problems(Expr.parse(text), KINDS, want) == []  # type: ignore[arg-type]


def _formulas() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["n", "m", "t", "b", "1", "0.5", "'small'", "True", "['small', 1]"])

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(
            inner,
            st.sampled_from(["+", "-", "*", "/", "<", ">=", "==", "!=", "in", "and", "or"]),
            inner,
        ).map(lambda x: f"({x[0]} {x[1]} {x[2]})")
        unary = st.tuples(st.sampled_from(["-", "not "]), inner).map(lambda x: f"({x[0]}{x[1]})")
        call = st.lists(inner, min_size=1, max_size=3).map(lambda xs: f"max({', '.join(xs)})")
        return binary | unary | call

    return st.recursive(leaves, grow, max_leaves=8)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_formulas())
def test_kind_check_predicts_evaluation(text: str) -> None:
    """No kind problem means evaluation never raises; a raise was always foreseen."""
    try:
        expr = Expr.parse(text)
    except ExprError:
        return  # e.g. a list holding a name: refused when parsed
    foreseen = kind_problems(expr, KINDS)
    try:
        expr.evaluate(ENV)  # type: ignore[arg-type]
    except ExprError:
        assert foreseen, text
