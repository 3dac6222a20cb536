"""The `assess` command: wiring only.  Heavy modules are imported inside the commands that
need them, so `assess --help` and JSON scoring stay fast.

Every word printed comes from the catalog (`assess/catalog/cli.yaml`), in Chinese unless
`--lang en` or an English locale asks otherwise.  The language is settled before the app
is built, so help texts, click's own usage words and every message agree.

Exit codes: 0 done; 1 the firm fell short where --fail-under asked; 2 bad input or rubric
(one short message naming the file and field); 3 an internal error (a bug: please report).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from typer import _click as click
from typer._click import exceptions as errors
from typer.core import TyperCommand, TyperGroup, TyperOption

from assess.catalog import Lang, catalog, language, language_from_env, parse_lang, set_language, t

if TYPE_CHECKING:
    from rich.console import Console

    from assess.intake.firm import Firm
    from assess.report.startup import PdfWriter
    from assess.results import Assessment
    from assess.rubric.models import Rubric

EXIT_OK, EXIT_SHORT, EXIT_USER, EXIT_BUG = 0, 1, 2, 3


class OutFormat(StrEnum):
    text = "text"
    json = "json"


class DocFormat(StrEnum):
    text = "text"
    md = "md"


# Typer words its section titles, defaults and a few errors with gettext's `_()`, bound in
# its modules when they are imported; the English text is the message id.  Its own copy of
# click writes English directly: the command classes and `usage_error` below word those.
CLICK_WORDS: dict[str, str] = {
    "Options": "cli.click.options",
    "Arguments": "cli.click.arguments",
    "Commands": "cli.click.commands",
    "default: {default}": "cli.click.default",
    "required": "cli.click.required",
    "Missing command.": "cli.click.missing_command",
    "No such command {name!r}.": "cli.click.no_such_command",
    "Aborted!": "cli.click.aborted",
}


def click_gettext(message: str) -> str:
    """Typer's `_()`: the catalog's text (placeholders kept for typer to fill) or, for a
    message `assess` never shows, typer's own."""
    key = CLICK_WORDS.get(message)
    return catalog()[key].texts[language()] if key else message


def click_ngettext(singular: str, plural: str, n: int) -> str:
    return click_gettext(singular if n == 1 else plural)


def word_click() -> None:
    """Route typer's gettext words through the catalog: every module of typer (or click)
    that bound gettext's functions gets ours (idempotent)."""
    import gettext

    for name, module in list(sys.modules.items()):
        if module is None or name.split(".", 1)[0] not in ("click", "typer"):
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = click_ngettext  # type: ignore[attr-defined]


class _Worded:
    """The usage line and the help option in the language in force."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        prefix = t("cli.click.usage")
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=prefix)

    def get_help_option(self, ctx: click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = t("cli.click.help")
        return option  # type: ignore[no-any-return]


class PlainGroup(_Worded, TyperGroup):
    pass


class PlainCommand(_Worded, TyperCommand):
    """Typer's plain help, each argument shown by its metavar and help alone: typer adds
    a type tag such as <path>, which is English whatever the language."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((record[0].split(" <", 1)[0], record[1]))
            else:
                opts.append(record)
        if args:
            with formatter.section(click_gettext("Arguments")):
                formatter.write_dl(args)
        if opts:
            with formatter.section(click_gettext("Options")):
                formatter.write_dl(opts)


_EXTRA = re.compile(r"Got unexpected extra arguments? ?(?:\(s\))? \((?P<args>.*)\)$", re.S)
_REQUIRES = re.compile(r"Option (?P<name>'.*') requires ")
_NO_VALUE = re.compile(r"Option (?P<name>'.*') does not take a value")
_GUESS = re.compile(r"^(?P<message>.*?)\.? Did you mean (?P<guess>.*)\?$", re.S)


def usage_error(exc: errors.UsageError) -> str:
    """One line for a command line click refused, in the language in force."""
    if isinstance(exc, errors.NoSuchOption):
        text = t("cli.usage.no_such_option", name=exc.option_name)
        if exc.possibilities:
            guesses = t("cli.list_sep").join(sorted(exc.possibilities))
            text += t("cli.usage.did_you_mean", guess=guesses)
        return text
    if isinstance(exc, errors.BadParameter):
        param = exc.param
        hint = param.get_error_hint() if param is not None else ""
        if isinstance(exc, errors.MissingParameter):
            kind = param.param_type_name if param is not None else ""
            if kind == "option":
                return t("cli.usage.missing_option", name=hint)
            command = exc.ctx.command_path if exc.ctx is not None else "assess"
            return t("cli.usage.missing_argument", name=hint, command=command)
        if param is not None and param.name == "lang":
            return t("cli.usage.bad_value", name=hint, message=exc.message)
        return t("cli.usage.bad_value", name=hint, message=_want(param))
    message = exc.message
    if m := _EXTRA.match(message):
        return t("cli.usage.extra", args=m["args"])
    if m := _REQUIRES.match(message):
        return t("cli.usage.requires_value", name=m["name"])
    if m := _NO_VALUE.match(message):
        return t("cli.usage.no_value", name=m["name"])
    if m := _GUESS.match(message):
        return m["message"].rstrip("。.") + t("cli.usage.did_you_mean", guess=m["guess"])
    return message


def _want(param: click.Parameter | None) -> str:
    """What a refused option value should be, from the option itself."""
    minimum = getattr(param, "min", None)
    kind = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if kind in (int, int | None):
        if minimum is not None:
            return t("cli.usage.want_whole_min", minimum=minimum)
        return t("cli.usage.want_whole")
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if choices:
        return t("cli.usage.want_choice", choices=t("cli.list_sep").join(str(c) for c in choices))
    return t("cli.usage.want_other")


def lang_from_argv(args: Sequence[str]) -> Lang | None:
    """The `--lang` given before the subcommand, if it names a language; an unknown value
    is left for the option itself to refuse, in the locale's language."""
    it = iter(args)
    for arg in it:
        if not arg.startswith("-"):
            return None  # the subcommand: --lang belongs before it
        value = next(it, "") if arg == "--lang" else arg.removeprefix("--lang=")
        if arg == "--lang" or arg.startswith("--lang="):
            try:
                return parse_lang(value)
            except ValueError:
                return None
    return None


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _fail(message: str, code: int = EXIT_USER) -> NoReturn:
    typer.echo(t("cli.error", message=message), err=True)
    raise typer.Exit(code)


def _set_lang(value: str | None) -> str | None:
    if value is not None:
        try:
            set_language(parse_lang(value))
        except ValueError:
            raise typer.BadParameter(t("cli.app.bad_lang", value=value)) from None
    return value


def build_app() -> typer.Typer:
    """The command, worded in the language in force (set it first)."""
    plain = {
        "no_args_is_help": True,
        "cls": PlainGroup,
        # Click's plain help: its words go through the catalog (typer's rich panels
        # would print their own English titles and type names).
        "rich_markup_mode": None,
        "options_metavar": t("cli.metavar.options"),
        "subcommand_metavar": t("cli.metavar.command"),
    }
    app = typer.Typer(
        name="assess",
        help=t("cli.app.help"),
        add_completion=False,
        pretty_exceptions_enable=False,
        **plain,  # type: ignore[arg-type]
    )
    rubric_app = typer.Typer(help=t("cli.rubric.help"), **plain)  # type: ignore[arg-type]
    app.add_typer(rubric_app, name="rubric")
    opts = t("cli.metavar.options")

    @app.callback()
    def options(
        lang: Annotated[
            str | None,
            typer.Option(
                "--lang",
                metavar=t("cli.metavar.lang"),
                help=t("cli.app.lang"),
                callback=_set_lang,
                is_eager=True,
            ),
        ] = None,
    ) -> None:
        pass

    @app.command("rubrics", help=t("cli.rubrics.help"), options_metavar=opts, cls=PlainCommand)
    def list_rubrics() -> None:
        from assess.catalog import table
        from assess.rubric.loader import builtin_rubrics

        statuses = table("label.rubric_status")
        # Two lines per rubric rather than a table: Chinese titles are long and a table
        # squeezed into 80 columns breaks them one character per line.
        console = _console()
        for rubric in sorted(builtin_rubrics().values(), key=lambda r: (r.effective_from, r.id)):
            status = statuses[rubric.status]
            if rubric.status != "official":
                status = f"[yellow]{status}[/]"
            line = t(
                "cli.rubrics.line",
                id=f"[bold]{rubric.id}[/]",
                version=rubric.version,
                status=status,
                start=rubric.effective_from,
                end=rubric.effective_to or t("cli.rubrics.now"),
            )
            console.print(line)
            title = rubric.title.zh if language() == "zh" else rubric.title.en
            console.print(f"    {title}")

    @rubric_app.command("show", help=t("cli.show.help"), options_metavar=opts, cls=PlainCommand)
    def rubric_show(
        rubric_id: Annotated[
            str, typer.Argument(metavar=t("cli.metavar.id"), help=t("cli.show.id"))
        ],
        fmt: Annotated[
            DocFormat, typer.Option("--format", metavar="text|md", help=t("cli.show.format"))
        ] = DocFormat.text,
    ) -> None:
        from assess.report import rubric_doc
        from assess.rubric.loader import get_rubric

        rubric = get_rubric(rubric_id)
        if fmt is DocFormat.md:
            sys.stdout.write(rubric_doc.markdown(rubric))
        else:
            rubric_doc.render(rubric, _console())

    @rubric_app.command("check", help=t("cli.check.help"), options_metavar=opts, cls=PlainCommand)
    def rubric_check(
        files: Annotated[
            list[Path],
            typer.Argument(metavar=t("cli.metavar.files_yaml"), help=t("cli.check.files")),
        ],
    ) -> None:
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
                t(
                    "cli.check.ok",
                    path=path,
                    id=rubric.id,
                    version=rubric.version,
                    indicators=len(rubric.indicators),
                    conditions=len(rubric.conditions),
                )
            )
        if failed:
            raise typer.Exit(EXIT_USER)

    @app.command("template", help=t("cli.template.help"), options_metavar=opts, cls=PlainCommand)
    def template(
        out: Annotated[
            Path,
            typer.Option(
                "-o", "--output", metavar=t("cli.metavar.xlsx"), help=t("cli.template.output")
            ),
        ],
        rubrics: Annotated[
            list[str] | None,
            typer.Option(
                "--rubric",
                "-r",
                metavar=t("cli.metavar.rubric"),
                help=t("cli.template.rubric"),
            ),
        ] = None,
        province: Annotated[
            str | None,
            typer.Option(
                "--province",
                metavar=t("cli.metavar.province"),
                help=t("cli.template.province"),
            ),
        ] = None,
    ) -> None:
        from assess.intake.template import write_template
        from assess.rubric.loader import get_rubric

        if out.suffix.lower() != ".xlsx":
            _fail(t("cli.template.not_xlsx", path=out))
        for ref in rubrics or []:
            get_rubric(ref)  # a wrong id fails here with the list of ids, not deep inside
        write_template(out, rubrics or None, province=province)
        typer.echo(t("cli.template.done", path=out), err=True)

    @app.command("score", help=t("cli.score.help"), options_metavar=opts, cls=PlainCommand)
    def score(
        file: Annotated[
            Path, typer.Argument(metavar=t("cli.metavar.file"), help=t("cli.score.file"))
        ],
        rubrics: Annotated[
            list[str] | None,
            typer.Option(
                "--rubric", "-r", metavar=t("cli.metavar.rubric"), help=t("cli.score.rubric")
            ),
        ] = None,
        fmt: Annotated[
            OutFormat,
            typer.Option("--format", metavar="text|json", help=t("cli.score.format")),
        ] = OutFormat.text,
        pdf: Annotated[
            Path | None,
            typer.Option("--pdf", metavar=t("cli.metavar.file"), help=t("cli.score.pdf")),
        ] = None,
        html: Annotated[
            Path | None,
            typer.Option("--html", metavar=t("cli.metavar.file"), help=t("cli.score.html")),
        ] = None,
        standard: Annotated[
            int | None,
            typer.Option("--standard", metavar=t("cli.metavar.year"), help=t("cli.score.standard")),
        ] = None,
        review: Annotated[bool, typer.Option("--review", help=t("cli.score.review"))] = False,
        fail_under: Annotated[
            bool, typer.Option("--fail-under", help=t("cli.score.fail_under"))
        ] = False,
    ) -> None:
        from contextlib import nullcontext

        writer = _EARLY.pop("pdf", None)
        if writer is not None and pdf is None:
            writer.close()
            writer = None
        elif writer is None and pdf is not None:
            # WeasyPrint gets ready in a child process while this one scores.
            from assess.report.startup import PdfWriter

            writer = PdfWriter.start()
        with writer or nullcontext():
            assessments, firm, chosen = _score_one(file, rubrics, standard, review)
            if fmt is OutFormat.json:
                from assess.report.jsonout import dumps

                sys.stdout.write(dumps(assessments) + "\n")
            else:
                from assess.report.text import print_assessments

                print_assessments(assessments, _console())
            _write_reports(assessments, firm, pdf, html, {r.id: r for r in chosen}, writer)
        if fail_under and not all(a.passed for a in assessments):
            raise typer.Exit(EXIT_SHORT)

    @app.command("serve", help=t("web.serve.help"), options_metavar=opts, cls=PlainCommand)
    def serve(
        host: Annotated[
            str,
            typer.Option("--host", metavar=t("web.serve.host_metavar"), help=t("web.serve.host")),
        ] = "127.0.0.1",
        port: Annotated[
            int,
            typer.Option(
                "--port",
                min=1,
                max=65535,
                metavar=t("web.serve.port_metavar"),
                help=t("web.serve.port"),
            ),
        ] = 8000,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                "-w",
                min=1,
                metavar=t("cli.metavar.count"),
                help=t("web.serve.workers"),
            ),
        ] = None,
        upload_mb: Annotated[
            float,
            typer.Option(
                "--upload-limit", min=0.1, metavar=t("cli.metavar.mb"), help=t("web.serve.upload")
            ),
        ] = 5.0,
        time_limit: Annotated[
            float,
            typer.Option(
                "--time-limit", min=1.0, metavar=t("web.serve.seconds"), help=t("web.serve.time")
            ),
        ] = 20.0,
        rate: Annotated[
            float,
            typer.Option(
                "--rate", min=1.0, metavar=t("cli.metavar.count"), help=t("web.serve.rate")
            ),
        ] = 30.0,
        forwarded: Annotated[
            str,
            typer.Option(
                "--forwarded-allow-ips", metavar=t("web.serve.ips"), help=t("web.serve.forwarded")
            ),
        ] = "127.0.0.1",
    ) -> None:
        import os

        from assess.web.app import Settings
        from assess.web.server import serve as run_server

        settings = Settings(
            workers=workers or os.cpu_count() or 1,
            upload_limit=int(upload_mb * 2**20),
            time_limit=time_limit,
            rate_per_minute=rate,
        )
        run_server(host, port, settings, forwarded_allow_ips=forwarded)

    @app.command("batch", help=t("cli.batch.help"), options_metavar=opts, cls=PlainCommand)
    def batch(
        inputs: Annotated[
            list[Path],
            typer.Argument(metavar=t("cli.metavar.input"), help=t("cli.batch.inputs")),
        ],
        outdir: Annotated[
            Path,
            typer.Option("--out", "-o", metavar=t("cli.metavar.outdir"), help=t("cli.batch.out")),
        ],
        rubrics: Annotated[
            list[str] | None,
            typer.Option(
                "--rubric", "-r", metavar=t("cli.metavar.rubric"), help=t("cli.batch.rubric")
            ),
        ] = None,
        standard: Annotated[
            int | None,
            typer.Option("--standard", metavar=t("cli.metavar.year"), help=t("cli.batch.standard")),
        ] = None,
        review: Annotated[bool, typer.Option("--review", help=t("cli.score.review"))] = False,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                "-w",
                min=0,
                metavar=t("cli.metavar.count"),
                help=t("cli.batch.workers"),
            ),
        ] = None,
        no_pdf: Annotated[bool, typer.Option("--no-pdf", help=t("cli.batch.no_pdf"))] = False,
        resume: Annotated[bool, typer.Option("--resume", help=t("cli.batch.resume"))] = False,
        reader_memory: Annotated[
            int,
            typer.Option(
                "--reader-memory",
                metavar=t("cli.metavar.mb"),
                min=64,
                help=t("cli.batch.reader_memory"),
            ),
        ] = 2048,
        scheduler: Annotated[
            str | None,
            typer.Option(
                "--scheduler", metavar=t("cli.metavar.address"), help=t("cli.batch.scheduler")
            ),
        ] = None,
        cover_rank: Annotated[
            bool,
            typer.Option("--cover-rank/--no-cover-rank", help=t("batch.cli.cover_rank")),
        ] = False,
        previous: Annotated[
            Path | None,
            typer.Option(
                "--previous", metavar=t("cli.metavar.outdir"), help=t("batch.cli.previous")
            ),
        ] = None,
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help=t("batch.cli.overwrite"))
        ] = False,
    ) -> None:
        from assess.batch import BatchOptions, run_batch
        from assess.batch.interrupt import ignore_sigint

        options = BatchOptions(
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
            cover_rank=cover_rank,
            previous=previous,
            overwrite=overwrite,
        )
        try:
            result = run_batch(options)
        except KeyboardInterrupt:
            # Interrupted (run_batch raises once the outputs are written) and about to exit:
            # a further Ctrl-C would only print the traceback of the pools' clean-up at exit.
            ignore_sigint()
            raise
        raise typer.Exit(result.exit_code)

    return app


def _score_one(
    file: Path, rubrics: list[str] | None, standard: int | None, review: bool
) -> tuple[list[Assessment], Firm, list[Rubric]]:
    """`assess score`'s firm, read from `file`, and its assessments by the rubrics chosen."""
    from assess.engine import evaluate
    from assess.intake import load_records
    from assess.rubric.selection import RubricPlan, no_rubric_in_force, reference_rubric

    records = load_records(file)
    if len(records) != 1:
        _fail(t("cli.score.many_firms", path=file, count=len(records)))
    record = records[0]
    if record.firm is None:
        from assess.errors import InputError

        raise InputError(list(record.problems))
    firm = record.firm
    plan = RubricPlan(rubrics or (), standard, review)
    chosen = plan.rubrics_for(firm)
    if not chosen:
        _fail(no_rubric_in_force(firm.get("assessment_year")))
    reference = reference_rubric()
    return [evaluate(rubric, firm, reference) for rubric in chosen], firm, chosen


def _write_reports(
    assessments: list[Assessment],
    firm: Firm,
    pdf: Path | None,
    html: Path | None,
    rubrics: dict[str, Rubric],
    writer: PdfWriter | None = None,
) -> None:
    if pdf is None and html is None:
        return
    from assess.report.html import render_html

    text = render_html(assessments, firm, rubrics=rubrics)
    if html is not None:
        from assess.atomic import write_text

        write_text(html, text)
        typer.echo(t("cli.score.written", kind="HTML", path=html), err=True)
    if pdf is not None:
        if writer is None or not writer.write(text, pdf):
            from assess.report.pdf import write_pdf
            from assess.report.startup import import_weasyprint

            import_weasyprint()
            write_pdf(text, pdf)
        typer.echo(t("cli.score.written", kind="PDF", path=pdf), err=True)


# The PDF writer `main` starts before the command line is parsed, for `score` to use.
_EARLY: dict[str, PdfWriter] = {}


def wants_pdf(args: Sequence[str]) -> bool:
    """Whether the command line is `assess [--lang X] score … --pdf FILE`.  A guess made
    before click parses it: a wrong one only starts a PDF writer that is stopped unused."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] == "--lang" else 1
    if i >= len(args) or args[i] != "score":
        return False
    tail = args[i + 1 :]
    return "--help" not in tail and any(a == "--pdf" or a.startswith("--pdf=") for a in tail)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: user errors exit 2 with a short message, bugs exit 3.

    Click's standalone mode handles usage errors (exit 2) and exits with each command's
    code; everything else that escapes a command is ours to classify.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_pdf(args):
        # WeasyPrint gets ready in a child process while this one parses and scores.
        from assess.report.startup import PdfWriter

        writer = PdfWriter.start()
        if writer is not None:
            _EARLY["pdf"] = writer
    try:
        _main(args)
    finally:
        unused = _EARLY.pop("pdf", None)
        if unused is not None:
            unused.close()


def _main(args: list[str]) -> NoReturn:
    from assess.errors import UserError

    set_language(lang_from_argv(args) or language_from_env())
    word_click()
    try:
        code = build_app()(args, prog_name="assess", standalone_mode=False)
    except errors.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(EXIT_USER)
    except errors.UsageError as exc:
        if exc.ctx is not None:
            typer.echo(exc.ctx.get_usage(), err=True)
            command = exc.ctx.command_path
            typer.echo(t("cli.usage.try_help", command=f"{command} --help"), err=True)
        typer.echo(t("cli.error", message=usage_error(exc)), err=True)
        sys.exit(EXIT_USER)
    except errors.ClickException as exc:
        typer.echo(t("cli.error", message=exc.format_message()), err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo(t("cli.click.aborted"), err=True)
        sys.exit(1)
    except UserError as exc:
        for problem in exc.problems:
            typer.echo(t("cli.error", message=problem), err=True)
        sys.exit(EXIT_USER)
    except KeyboardInterrupt:
        typer.echo(t("cli.interrupted"), err=True)
        sys.exit(130)
    except OSError as exc:
        from assess.atomic import output_problem

        message = output_problem(exc)
        if message is None:
            _bug()
        typer.echo(t("cli.error", message=message), err=True)
        sys.exit(EXIT_USER)
    except Exception:
        _bug()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _bug() -> NoReturn:
    import traceback

    traceback.print_exc()
    typer.echo(t("cli.bug"), err=True)
    sys.exit(EXIT_BUG)
