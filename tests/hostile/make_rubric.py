"""Hostile rubric and YAML files: bombs, tags, deep nesting, hostile formulas, `extends:`.

    python -m tests.hostile.make_rubric /tmp/hostile-rubric

Every case is written from the bundled rubric `miit-2022-innovative` by substitution, so
each one differs from a valid rubric in exactly one hostile way.  `CASES` says, for each
file, which command it is for and what the refusal must name; `write_all` writes them all
(big files are sparse: a 1 GB case takes no disk space, and nothing here is committed).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "rubrics" / "miit-2022-innovative.yaml"
# The first metric's formula in the base rubric; hostile formulas take its place.
FORMULA_LINE = "    expr: rd_expense / revenue * 100\n"


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file given to assess, relative to the corpus folder
    kind: str  # "rubric": `rubric check FILE` and `score … -r FILE`; "firm": `score FILE`
    expect: tuple[str, ...]  # fragments the error output must contain
    ok: bool = False  # a control case within the bounds: it must load
    # `score -r FILE` looks a rubric path up with is_file(), so for what is not a regular
    # file it answers "no rubric 'FILE'" (naming the file, exit 2) without saying why;
    # either answer is accepted there.
    score_expect: tuple[str, ...] | None = None


def base_text() -> str:
    return BASE.read_text(encoding="utf-8")


def with_formula(formula: str) -> str:
    text = base_text()
    assert FORMULA_LINE in text, "the base rubric changed: update FORMULA_LINE"
    # A JSON string is a YAML double-quoted scalar: any formula text survives as written.
    return text.replace(FORMULA_LINE, f"    expr: {json.dumps(formula)}\n", 1)


def laughs(levels: int = 9, width: int = 9) -> str:
    """A billion-laughs document: each level's list holds `width` aliases of the level before."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def rubric_with(extra: str) -> str:
    """The base rubric with `extra` YAML appended as one more top-level key."""
    return base_text() + extra


def extends(ref: str) -> str:
    return (
        f"schema_version: 1\nextends: {json.dumps(ref)}\nid: hostile-extends\n"
        'version: "1"\nstatus: draft\n'
    )


def _text(content: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(content, encoding="utf-8")

    return write


def _sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as f:
            f.truncate(size)  # a hole: no block is written

    return write


def _symlink(target: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        os.symlink(target, path)

    return write


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


HOSTILE_FORMULAS: dict[str, tuple[str, str]] = {
    # name: (formula, a fragment of the refusal)
    "import": ("__import__('os').system('id')", "not allowed"),
    "import-call": ("__import__('os')", "unknown function '__import__'"),
    "attribute": ("revenue.__class__", "not allowed"),
    "lambda": ("(lambda: 1)()", "not allowed"),
    "comprehension": ("[x for x in revenue]", "not allowed"),
    "subscript": ("revenue[0]", "not allowed"),
    "power-tower": ("9**9**9", "unknown operator '**'"),
    "hex-5000": ("0x" + "f" * 5000, "超过 2000 个的上限"),
    "hex-40": ("0x" + "f" * 40, "超出范围"),
    "exponent": ("1e999999", "数字 1e999999 超出范围"),
    "digits-5000": ("1" * 5000, "超过 2000 个的上限"),
    "digits-1000": ("1" * 1000, "超出范围"),
    "sum-100000": ("+".join(["revenue"] * 100_000), "超过 2000 个的上限"),
    "sum-200": ("+".join(["revenue"] * 200), "嵌套超过 100 层"),
    "unary-100000": ("-" * 100_000 + "revenue", "超过 2000 个的上限"),
    "unary-1900": ("-" * 1900 + "revenue", "嵌套超过 100 层"),
    "long-string": ("revenue > 0 or '" + "长" * 100_000 + "' == ''", "超过 2000 个的上限"),
    "null-byte": ("revenue\0", "null bytes"),
}

SIXTY_FOUR_MB = 64 * 1024 * 1024
ONE_GB = 1024 * 1024 * 1024


def _cases() -> list[tuple[Case, Callable[[Path], None]]]:
    out: list[tuple[Case, Callable[[Path], None]]] = []

    def add(case: Case, write: Callable[[Path], None]) -> None:
        out.append((case, write))

    for name, (formula, message) in HOSTILE_FORMULAS.items():
        add(
            Case(f"formula-{name}", f"formula-{name}.yaml", "rubric", (":48:", message)),
            _text(with_formula(formula)),
        )
    # Text in a sum: valid syntax, wrong kind.  `kind` cases have their own test: the
    # check that finds them needs a call in the loader (see expr.kind_problems).
    add(
        Case("formula-wrong-kind", "formula-wrong-kind.yaml", "kind", (":48:", "是文字")),
        _text(with_formula("industry + 1")),
    )
    add(
        Case("formula-at-bounds", "formula-at-bounds.yaml", "rubric", (), ok=True),
        _text(with_formula("(" + " + ".join(["rd_expense"] * 60) + ") / revenue * 100 / 60")),
    )

    # YAML in a rubric
    add(
        Case("rubric-laughs", "rubric-laughs.yaml", "rubric", ("超过 100000 个值",)),
        _text(rubric_with("x_bomb:\n" + "".join(f"  {line}\n" for line in laughs().splitlines()))),
    )
    add(
        Case("rubric-python-tag", "rubric-python-tag.yaml", "rubric", (":1:", "!!python/object")),
        _text('!!python/object/apply:os.system ["id"]\n'),
    )
    add(
        Case("rubric-python-tag-value", "rubric-python-tag-value.yaml", "rubric", ("!!python",)),
        _text(rubric_with('x: !!python/object/apply:os.system ["id"]\n')),
    )
    add(
        Case("rubric-unknown-tag", "rubric-unknown-tag.yaml", "rubric", ("标签 !secret",)),
        _text(base_text().replace('version: "2022.1"', 'version: !secret "2022.1"', 1)),
    )
    add(
        Case("rubric-deep", "rubric-deep.yaml", "rubric", (":1:", "嵌套超过 64 层")),
        _text("[" * 100_000 + "]" * 100_000 + "\n"),
    )
    add(
        Case("rubric-deep-block", "rubric-deep-block.yaml", "rubric", ("嵌套超过 64 层",)),
        _text(rubric_with("x:\n" + "- " * 100_000 + "1\n")),
    )
    add(
        Case("rubric-self-alias", "rubric-self-alias.yaml", "rubric", ("引用自身的别名",)),
        _text(rubric_with("x: &me [*me]\n")),
    )
    add(
        Case("rubric-huge-number", "rubric-huge-number.yaml", "rubric", ("pass_mark", "超出范围")),
        _text(base_text().replace("pass_mark: 60", "pass_mark: 1.0e999999", 1)),
    )
    add(
        Case("rubric-bare-exponent", "rubric-bare-exponent.yaml", "rubric", ("max_total",)),
        _text(base_text().replace("max_total: 100", "max_total: 1e999999", 1)),
    )
    add(
        Case("rubric-bad-date", "rubric-bad-date.yaml", "rubric", ("effective_from", "日期")),
        _text(base_text().replace("effective_from: 2022-06-01", "effective_from: 2022-02-30")),
    )
    add(
        Case("rubric-control-char", "rubric-control-char.yaml", "rubric", ("U+0007",)),
        _text(base_text().replace("version: ", "version: \x07", 1)),
    )
    add(
        Case("rubric-2mb", "rubric-2mb.yaml", "rubric", ("1024 KB",)),
        _text(base_text() + "#" * (2 * 1024 * 1024) + "\n"),
    )

    # the file itself
    irregular = ("no rubric",)
    add(
        Case("rubric-fifo", "rubric-fifo.yaml", "rubric", ("不是普通文件",), False, irregular),
        _fifo,
    )
    add(
        Case("rubric-directory", "rubric-directory.yaml", "rubric", ("文件夹",), False, irregular),
        _directory,
    )
    add(Case("rubric-64mb", "rubric-64mb.yaml", "rubric", ("1024 KB",)), _sparse(SIXTY_FOUR_MB))
    add(Case("rubric-1gb", "rubric-1gb.yaml", "rubric", ("1024 KB",)), _sparse(ONE_GB))
    add(
        Case(
            "rubric-link-dev-zero",
            "rubric-link-dev-zero.yaml",
            "rubric",
            ("不是普通文件",),
            False,
            irregular,
        ),
        _symlink("/dev/zero"),
    )

    # extends:
    add(
        Case("extends-etc-passwd", "extends-etc-passwd.yaml", "rubric", (":2:", "extends")),
        _text(extends("/etc/passwd")),
    )
    add(
        Case("extends-etc-passwd-yaml", "extends-etc-passwd-yaml.yaml", "rubric", ("extends",)),
        _text(extends("../../../../../../../../etc/passwd.yaml")),
    )
    add(
        Case("extends-self", "extends-self.yaml", "rubric", (":2:", "loops back")),
        _text(extends("extends-self.yaml")),
    )
    add(
        Case("extends-cycle-a", "extends-cycle-a.yaml", "rubric", ("loops back",)),
        _text(extends("extends-cycle-b.yaml")),
    )
    out.append(
        (
            Case("extends-cycle-b", "extends-cycle-b.yaml", "rubric", ("loops back",)),
            _text(extends("extends-cycle-a.yaml")),
        )
    )
    for name, target, message in (
        ("passwd", "/etc/passwd", "映射"),
        ("dev-zero", "/dev/zero", "extends"),
        ("dev-urandom", "/dev/urandom", "extends"),
        ("directory", "rubric-directory.yaml", "extends"),
        ("fifo", "rubric-fifo.yaml", "extends"),
        ("64mb", "rubric-64mb.yaml", "1024 KB"),
        ("1gb", "rubric-1gb.yaml", "1024 KB"),
    ):
        link = f"link-{name}.yaml"
        add(Case(f"link-{name}", link, "link", ()), _symlink(target))
        add(
            Case(f"extends-link-{name}", f"extends-link-{name}.yaml", "rubric", (message,)),
            _text(extends(link)),
        )
    for name, target in (("dev-zero", "/dev/zero"), ("dev-urandom", "/dev/urandom")):
        add(
            Case(f"extends-{name}", f"extends-{name}.yaml", "rubric", ("extends",)),
            _text(extends(target)),
        )
    for name, target in (
        ("directory", "rubric-directory.yaml"),
        ("fifo", "rubric-fifo.yaml"),
        ("64mb", "rubric-64mb.yaml"),
        ("1gb", "rubric-1gb.yaml"),
        ("laughs", "rubric-laughs.yaml"),
    ):
        message = "1024 KB" if name in ("64mb", "1gb") else "100000" if name == "laughs" else ""
        add(
            Case(
                f"extends-{name}",
                f"extends-{name}.yaml",
                "rubric",
                (message or "extends",),
            ),
            _text(extends(target)),
        )
    # The symlink policy: a link is followed, and a link to a real rubric is a rubric.
    add(Case("link-valid", "link-valid.yaml", "rubric", (), ok=True), _symlink(str(BASE)))

    # firm YAML: `assess score firm.yaml`
    add(Case("firm-laughs", "firm-laughs.yaml", "firm", ("超过 100000 个值",)), _text(laughs()))
    add(
        Case("firm-python-tag", "firm-python-tag.yaml", "firm", (":1:10", "!!python/object")),
        _text('revenue: !!python/object/apply:os.system ["id"]\n'),
    )
    add(
        Case("firm-python-name", "firm-python-name.yaml", "firm", ("!!python/name",)),
        _text("revenue: !!python/name:os.system\n"),
    )
    add(
        Case("firm-unknown-tag", "firm-unknown-tag.yaml", "firm", ("标签 !money",)),
        _text("revenue: !money 100\n"),
    )
    add(
        Case("firm-deep", "firm-deep.yaml", "firm", ("嵌套超过 64 层",)),
        _text("revenue: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    )
    add(
        Case("firm-huge-number", "firm-huge-number.yaml", "firm", ("revenue", "超出范围")),
        _text("revenue: 1e999999\n"),
    )
    add(
        Case("firm-digits-5000", "firm-digits-5000.yaml", "firm", ("revenue", "5000 个字符")),
        _text("revenue: " + "9" * 5000 + "\n"),
    )
    return out


CASES: list[Case] = [case for case, _ in _cases()]


def write_all(directory: Path) -> list[Path]:
    """Write every case into `directory` (which must exist) and return their paths."""
    written = []
    for case, write in _cases():
        path = directory / case.file
        if not path.exists() and not path.is_symlink():
            write(path)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    print(f"{len(write_all(target))} files in {target}")
