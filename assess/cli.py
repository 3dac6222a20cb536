"""The `assess` command: wiring only.  Heavy modules are imported inside the commands that
need them, so `assess --help` and JSON scoring stay fast.

Exit codes: 0 done; 1 the firm fell short where --fail-under asked; 2 bad input or rubric
(one short message naming the file and field); 3 an internal error (a bug: please report).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from assess.intake.firm import Firm
    from assess.results import Assessment
    from assess.rubric.models import Rubric

EXIT_OK, EXIT_SHORT, EXIT_USER, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    name="assess",
    help="专精特新 self-assessment: score a firm against the official MIIT criteria and see "
    "what to improve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rubric_app = typer.Typer(help="Inspect and check rubrics.", no_args_is_help=True)
app.add_typer(rubric_app, name="rubric")


class OutFormat(StrEnum):
    text = "text"
    json = "json"


class DocFormat(StrEnum):
    text = "text"
    md = "md"


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _fail(message: str, code: int = EXIT_USER) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


@app.command("rubrics")
def list_rubrics() -> None:
    """List the bundled rubrics: id, title, version, status, in force from/to."""
    from assess.rubric.loader import builtin_rubrics

    # Two lines per rubric rather than a table: Chinese titles are long and a table
    # squeezed into 80 columns breaks them one character per line.
    console = _console()
    for rubric in sorted(builtin_rubrics().values(), key=lambda r: (r.effective_from, r.id)):
        status = "official" if rubric.status == "official" else "[yellow]provisional[/]"
        console.print(
            f"[bold]{rubric.id}[/]  v{rubric.version}  {status}  "
            f"in force {rubric.effective_from} → {rubric.effective_to or 'now'}"
        )
        console.print(f"    {rubric.title.zh} / {rubric.title.en}")


@rubric_app.command("show")
def rubric_show(
    rubric_id: Annotated[str, typer.Argument(metavar="ID", help="A rubric id or a YAML file.")],
    fmt: Annotated[DocFormat, typer.Option("--format", help="text or md")] = DocFormat.text,
) -> None:
    """Show a rubric's indicators, bands and points, conditions and pass rule."""
    from assess.report import rubric_doc
    from assess.rubric.loader import get_rubric

    rubric = get_rubric(rubric_id)
    if fmt is DocFormat.md:
        sys.stdout.write(rubric_doc.markdown(rubric))
    else:
        rubric_doc.render(rubric, _console())


@rubric_app.command("check")
def rubric_check(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE.yaml...", help="Rubric files to validate.")
    ],
) -> None:
    """Validate rubric files; print every problem with file:line:col and key path."""
    from assess.errors import RubricError
    from assess.rubric.loader import load_rubric

    failed = 0
    for path in files:
        try:
            rubric = load_rubric(path)
        except RubricError as exc:
            failed += 1
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            continue
        typer.echo(
            f"{path}: ok ({rubric.id} v{rubric.version}, "
            f"{len(rubric.indicators)} indicators, {len(rubric.conditions)} conditions)"
        )
    if failed:
        raise typer.Exit(EXIT_USER)


@app.command("template")
def template(
    out: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx file to write.")],
    rubrics: Annotated[
        list[str] | None,
        typer.Option(
            "--rubric", "-r", help="Ask only the fields these rubrics read (default: all)."
        ),
    ] = None,
) -> None:
    """Write the Excel questionnaire: instructions, a one-firm form and a 批量 sheet."""
    from assess.intake.excel import write_template
    from assess.rubric.loader import get_rubric

    if out.suffix.lower() != ".xlsx":
        _fail(f"{out}: the questionnaire is an .xlsx workbook; name the file ….xlsx")
    for ref in rubrics or []:
        get_rubric(ref)  # a wrong id fails here with the list of ids, not deep inside
    write_template(out, rubrics or None)
    typer.echo(f"questionnaire → {out}", err=True)


@app.command("score")
def score(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="Firm data: .json, .yaml or .xlsx questionnaire.")
    ],
    rubrics: Annotated[
        list[str] | None,
        typer.Option("--rubric", "-r", help="Rubric id or YAML file; repeat for several."),
    ] = None,
    fmt: Annotated[OutFormat, typer.Option("--format", help="text or json")] = OutFormat.text,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write a PDF scorecard.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the HTML report.")] = None,
    standard: Annotated[
        int | None,
        typer.Option(
            "--standard",
            help="Without --rubric: the edition of the official ladder (2022 or "
            "2026). Default: the one in force for the firm's assessment_year.",
        ),
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Score a title holder's review (复核): the edition's review rubrics where it "
            "has them (2026), else its own (2022). Also set by the firm's `review` field.",
        ),
    ] = False,
    fail_under: Annotated[
        bool, typer.Option("--fail-under", help="Exit 1 when the firm does not pass every rubric.")
    ] = False,
) -> None:
    """Score a firm's data against one or more rubrics."""
    from assess.engine import evaluate
    from assess.intake import load_records
    from assess.rubric.selection import NO_RUBRIC_IN_FORCE, RubricPlan, reference_rubric

    records = load_records(file)
    if len(records) != 1:
        _fail(
            f"{file}: holds {len(records)} firms; score one firm at a time, or use "
            f"`assess batch` for a 批量 workbook"
        )
    record = records[0]
    if record.firm is None:
        from assess.errors import InputError

        raise InputError(list(record.problems))
    firm = record.firm
    plan = RubricPlan(rubrics or (), standard, review)
    chosen = plan.rubrics_for(firm)
    if not chosen:
        _fail(NO_RUBRIC_IN_FORCE.format(year=firm.get("assessment_year")))
    reference = reference_rubric()
    assessments = [evaluate(rubric, firm, reference) for rubric in chosen]
    if fmt is OutFormat.json:
        from assess.report.jsonout import dumps

        sys.stdout.write(dumps(assessments) + "\n")
    else:
        from assess.report.text import print_assessments

        print_assessments(assessments, _console())
    _write_reports(assessments, firm, pdf, html, {r.id: r for r in chosen})
    if fail_under and not all(a.passed for a in assessments):
        raise typer.Exit(EXIT_SHORT)


@app.command("batch")
def batch(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT",
            help="Questionnaire files (.json, .yaml, .xlsx), folders of them "
            "(searched recursively) and 批量 workbooks, in any mix.",
        ),
    ],
    outdir: Annotated[
        Path,
        typer.Option("--out", "-o", metavar="OUTDIR", help="The folder to write the outputs into."),
    ],
    rubrics: Annotated[
        list[str] | None,
        typer.Option(
            "--rubric",
            "-r",
            help="Rubric id or YAML file; repeat for several. Default: the "
            "official ladder in force for each firm's assessment_year, plus readiness.",
        ),
    ] = None,
    standard: Annotated[
        int | None,
        typer.Option(
            "--standard",
            help="Without --rubric: the edition of the official ladder (2022 or "
            "2026) for every firm.",
        ),
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Score a title holder's review (复核): the edition's review rubrics where it "
            "has them (2026), else its own (2022). Also set by the firm's `review` field.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=0,
            help="Local worker processes (default: one per CPU; 0: score in this process).",
        ),
    ] = None,
    no_pdf: Annotated[
        bool, typer.Option("--no-pdf", help="Skip the per-applicant PDF reports.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Skip applicants already done in OUTDIR whose data and rubrics are unchanged.",
        ),
    ] = False,
    reader_memory: Annotated[
        int,
        typer.Option(
            "--reader-memory",
            metavar="MB",
            min=64,
            help="Memory (MB) the process that reads the input files may use; a file that "
            "needs more is listed as unreadable and the batch goes on.",
        ),
    ] = 2048,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run the applicants on a Dask cluster, e.g. "
            "tcp://host:8786 (needs the Dask extra: srdi-assess with 'cluster').",
        ),
    ] = None,
) -> None:
    """Score a round of applicants: summary.xlsx, results.jsonl, reports/*.pdf, cohort.pdf.

    Exit 0 when every applicant was scored, 1 when some were rejected or failed (all are
    still reported, unreadable files and folders included), 2 when nothing could be read,
    when another batch is using OUTDIR, or when OUTDIR cannot be written (full, read-only).
    """
    from assess.batch import BatchOptions, run_batch

    result = run_batch(
        BatchOptions(
            inputs=tuple(inputs),
            outdir=outdir,
            rubrics=tuple(rubrics or ()),
            standard=standard,
            review=review,
            workers=workers,
            pdf=not no_pdf,
            resume=resume,
            scheduler=scheduler,
            reader_memory_mb=reader_memory,
        )
    )
    raise typer.Exit(result.exit_code)


def _write_reports(
    assessments: list[Assessment],
    firm: Firm,
    pdf: Path | None,
    html: Path | None,
    rubrics: dict[str, Rubric],
) -> None:
    if pdf is None and html is None:
        return
    from assess.report.html import render_html

    text = render_html(assessments, firm, rubrics=rubrics)
    if html is not None:
        from assess.atomic import write_text

        write_text(html, text)
        typer.echo(f"HTML → {html}", err=True)
    if pdf is not None:
        from assess.report.pdf import write_pdf

        write_pdf(text, pdf)
        typer.echo(f"PDF → {pdf}", err=True)


def main() -> None:
    """Entry point: user errors exit 2 with a short message, bugs exit 3.

    Click's standalone mode handles usage errors (exit 2) and exits with each command's
    code; everything else that escapes a command is ours to classify.
    """
    from assess.errors import UserError

    try:
        app()
    except UserError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_USER)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        from assess.atomic import output_problem

        message = output_problem(exc)
        if message is None:
            _bug()
        typer.echo(f"error: {message}", err=True)
        sys.exit(EXIT_USER)
    except Exception:
        _bug()


def _bug() -> NoReturn:
    import traceback

    traceback.print_exc()
    typer.echo(
        "internal error: this is a bug in assess; please report it with the traceback above",
        err=True,
    )
    sys.exit(EXIT_BUG)
