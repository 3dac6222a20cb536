"""What a batch reads: the questionnaire files named on the command line or found in
folders, and, for an applicant whose data was refused, who it is.

Folders are walked recursively in sorted order (the same applicants get the same numbers
on every run); editors' lock and temp files (`~$申报表.xlsx`, `.~lock.x#`, `x.tmp`),
hidden files and the output folder itself are skipped.  Nothing else is skipped without a
word: whatever looks like an input but cannot be read as one — a folder that cannot be
listed, a file that cannot be opened, a dangling or looping symbolic link, a pipe or
device, a folder named like a questionnaire, a symbolic link to a folder (not followed,
so that a link back up cannot make the walk endless) — becomes a `Source` with its
`problem`, which the batch lists as an applicant that could not be read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess.catalog import t
from assess.intake import EXCEL_SUFFIXES
from assess.intake.firm import Record
from assess.intake.sheet import Raw

# .xls, .ods and the like are taken too, so that the intake refuses them with its reason
# (save as .xlsx) rather than a folder's file being silently ignored.
SUFFIXES = frozenset({".json", ".yaml", ".yml", *EXCEL_SUFFIXES, ".xls", ".et", ".ods", ".numbers"})

# Why a path cannot be read, by the errno that said so; each says what to do instead.
MISSING = "找不到该文件或文件夹（或是指向不存在位置的链接）：请检查路径，或提交文件本身"
LOOP = "是循环的符号链接，无法读取：请提交问卷文件本身，而不是链接"
NO_PERMISSION = "没有读取权限，无法读取：请让文件所有者授予读取权限后重新运行（可加 --resume）"
NOT_REGULAR = "不是普通文件（管道、设备或套接字），无法读取：请提交问卷文件本身"
FOLDER_LIKE_FILE = (
    "这是一个文件夹，不是问卷文件：请提交 .xlsx/.json/.yaml 文件本身（文件夹里的问卷已照常读取）"
)
LINKED_FOLDER = (
    "是指向文件夹的符号链接，未读取其中的文件：请把问卷直接放进输入文件夹，或把该文件夹单独列为输入"
)
UNLISTABLE = "无法列出该文件夹的内容，其中的问卷未能读取：请授予读取权限后重新运行（可加 --resume）"


def is_temp(name: str) -> bool:
    """An editor's lock or temp file, a hidden file or an OS artefact."""
    return (
        name.startswith(("~$", ".~lock.", ".", "~"))
        or name.endswith(("~", "#"))
        or name.lower().endswith((".tmp", ".temp", ".bak", ".swp"))
        or name in ("Thumbs.db", "desktop.ini")
    )


@dataclass(frozen=True)
class Source:
    """One file to read, or an input that could not be (`problem`)."""

    path: Path
    problem: str = ""

    @property
    def display(self) -> str:
        return str(self.path)


def _os_problem(exc: OSError, unlistable: bool = False) -> str:
    if exc.errno == errno.ELOOP:
        return LOOP
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UNLISTABLE if unlistable else NO_PERMISSION
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return MISSING
    return f"无法读取（{exc.strerror or exc}）：请检查该文件后重新提交"


def unreadable(path: Path) -> str:
    """Why `path` cannot be read as a questionnaire file, or "" when it can be opened as a
    regular file.  Opened without blocking, so a pipe never hangs the batch."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return _os_problem(exc)
    except ValueError:  # a NUL in the name
        return MISSING
    if stat.S_ISDIR(info.st_mode):
        return FOLDER_LIKE_FILE
    if not stat.S_ISREG(info.st_mode):
        return NOT_REGULAR
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return _os_problem(exc)
    os.close(fd)
    return ""


def _real(path: Path) -> Path:
    """The path with its links resolved, as far as they resolve (a loop does not)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        _real(path).relative_to(folder)
    except ValueError:
        return False
    return True


def _walk(folder: Path, exclude: Path | None) -> list[Source]:
    found: list[Source] = []

    def refused(exc: OSError) -> None:
        name = exc.filename if exc.filename is not None else folder
        found.append(Source(Path(name), _os_problem(exc, unlistable=True)))

    # Symbolic links to folders are not followed (see the module docstring).
    for root, dirs, files in os.walk(folder, onerror=refused):
        base = Path(root)
        keep = []
        for d in sorted(dirs):
            path = base / d
            if d.startswith(".") or _inside(path, exclude):
                continue
            if path.is_symlink():
                found.append(Source(path, LINKED_FOLDER))
                continue
            if Path(d).suffix.lower() in SUFFIXES and not is_temp(d):
                found.append(Source(path, FOLDER_LIKE_FILE))
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            path = base / name
            if not is_temp(name) and path.suffix.lower() in SUFFIXES:
                found.append(Source(path, unreadable(path)))
    return found


def discover(inputs: Sequence[Path], exclude: Path | None = None) -> list[Source]:
    """The files to read, in order: each INPUT as given, folders expanded in sorted order;
    a file reached twice is read once.  `exclude`: the output folder."""
    excluded = _real(exclude) if exclude is not None else None
    seen: set[Path] = set()
    out: list[Source] = []

    def add(source: Source) -> None:
        real = _real(source.path)
        if real in seen:
            return
        seen.add(real)
        out.append(source)

    for item in inputs:
        if item.is_dir():
            found = _walk(item, excluded)
            if not found:
                add(Source(item, t("batch.empty_folder")))
            for source in found:
                add(source)
        else:
            add(Source(item, unreadable(item)))
    return out


# ---- who is a refused applicant ----------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _batch_columns(rows: Sequence[Sequence[Any]]) -> dict[str, int | None]:
    """The columns of the name and the credit code in a 批量 sheet, found as the reader
    finds its header (by id, else by label)."""
    from assess.intake import labels

    h = labels.find_header(rows[: labels.HEADER_SEARCH_ROWS])
    return {f: h.column_of(f) if h else None for f in ("name", "credit_code")}


def _batch_identity(row: Sequence[Any], cols: dict[str, int | None]) -> tuple[str, str]:
    values = []
    for f in ("name", "credit_code"):
        col = cols[f]
        values.append(_text(row[col]) if col is not None and col < len(row) else "")
    return values[0], values[1]


def _form_identity(rows: Sequence[Sequence[Any]]) -> tuple[str, str]:
    """Name and credit code from a 问卷 sheet: the row whose id (or label) names the field,
    the value in the 填写值 column, found as the reader finds the form's layout."""
    from assess.intake.form import form_layout
    from assess.intake.labels import field_by_label

    start, id_col, label_col, value_col = form_layout(
        [(i, list(row)) for i, row in enumerate(rows)]
    )
    found = {"name": "", "credit_code": ""}
    for row in rows[start:]:
        cells = [row[c] for c in (id_col, label_col) if c < len(row)]
        names = [v.strip() for v in cells if isinstance(v, str) and v.strip()]
        for f in found:
            hit = any(v == f or ((s := field_by_label(v)) is not None and s.id == f) for v in names)
            if hit and not found[f] and value_col < len(row):
                found[f] = _text(row[value_col])
    return found["name"], found["credit_code"]


class Identify:
    """Best-effort name and credit code of refused records, from what each was read from
    (`intake.sheet.Raw`; a JSON or YAML file is read again); whatever cannot be found is
    "".  The header of a 批量 sheet is found once for its rows."""

    def __init__(self) -> None:
        self._grid: Sequence[Sequence[Any]] | None = None
        self._columns: dict[str, int | None] = {}

    def __call__(self, record: Record, raw: Raw | None) -> tuple[str, str]:
        try:
            if record.sheet is None:
                from assess.intake.firm import read_mapping

                data, _ = read_mapping(Path(record.source))
                return _text(data.get("name")), _text(data.get("credit_code"))
            if raw is None:
                return "", ""
            if record.row is None or raw.row is None:
                return _form_identity(raw.grid)
            if raw.grid is not self._grid:
                self._grid, self._columns = raw.grid, _batch_columns(raw.grid)
            return _batch_identity(raw.row, self._columns)
        except Exception:  # identification is a courtesy; the problems say what matters
            return "", ""
