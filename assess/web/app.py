"""The web application: pages for a firm, a JSON API for other programs.

Pages (server-rendered with the report's Jinja2 environment, no script needed):

* `/`            what the tool does, the standards in force today, the template, the upload
* `/upload`      POST a questionnaire (xlsx) or firm data (JSON) → the result page, or a
                 page listing every problem with its place, with the upload form again
* `/form`        the online questionnaire (the Excel questionnaire's questions); POST it
                 to score it, or to download the answers as a filled questionnaire
* `/r/{token}`   the scorecard: the report's content laid out for a screen, with its PDF
                 (`report.pdf`) and the filled questionnaire (`questionnaire.xlsx`)

API: `POST /api/score`, `GET /api/rubrics`, `GET /api/template`; the OpenAPI document at
`/openapi.json`, read as a page at `/docs`.  `/healthz` answers without any work.

Every word comes from the catalog (`web.*`), in Chinese unless `?lang=en`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from assess.catalog import Lang, language, t, using
from assess.errors import Problem
from assess.web import form as questionnaire_form
from assess.web import work
from assess.web.pool import Busy, Pool
from assess.web.safety import (
    ENVELOPE_BYTES,
    BadBody,
    RateLimit,
    SecurityHeaders,
    TooLarge,
    parse_form,
    parse_multipart,
    read_limited,
    shown_name,
)
from assess.web.store import Held, Store

log = logging.getLogger("assess.web")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class Settings:
    """How the server runs; `assess serve` sets them from its options."""

    workers: int = 2  # processes in each pool (scoring, PDFs)
    upload_limit: int = 5 * 2**20  # bytes
    time_limit: float = 20.0  # seconds for one scoring or one PDF
    rate_per_minute: float = 30.0  # per client, for everything that does work
    burst: int = 20
    ttl: float = 30 * 60.0  # how long a scorecard is kept, seconds
    capacity: int = 200  # scorecards kept at most (the oldest go first)


class Language:
    """Sets the language of a request (`?lang=en`, else Chinese) for everything it words."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lang: Lang = "zh"
        if scope["type"] == "http":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if query.get("lang", [""])[0] == "en":
                lang = "en"
        with using(lang):
            await self.app(scope, receive, send)


# ---------------------------------------------------------------- rendering


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    from assess.report.environment import environment

    lang = language()
    context.setdefault("lang", lang)
    context.setdefault("q", "?lang=en" if lang == "en" else "")
    context.setdefault("version", _version())
    html = environment().get_template(f"web/{name}.html.j2").render(context)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


@functools.cache
def _version() -> str:
    import assess

    return assess.__version__


@functools.cache
def _static(name: str) -> str:
    from assess.report.environment import stylesheet
    from assess.rubric.loader import data_dir

    if name == "report.css":
        return stylesheet()
    return (data_dir("templates") / "web" / name).read_text(encoding="utf-8")


def _place(problem: Problem) -> str:
    """A problem's place as the firm reads it: the sheet and cell, not our file name."""
    where = problem.where
    if " › " in where:
        where = where.split(" › ", 1)[1]
    return where


def _problem_view(problem: Problem) -> dict[str, str]:
    from assess.fields import FIELDS_BY_ID

    spec = FIELDS_BY_ID.get(problem.path)
    label = spec.label if spec is not None else ""
    place = _place(problem)
    return {
        "id": spec.id if spec is not None else "",
        "place": "" if place == label else place,
        "label": label,
        "message": problem.message,
    }


def _error_page(status: int, title_key: str, text_key: str, **params: Any) -> HTMLResponse:
    return _page("error", status, title=t(title_key), text=t(text_key, **params))


def _api_error(status: int, key: str, **params: Any) -> JSONResponse:
    return JSONResponse({"error": t(key, **params)}, status_code=status)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def _disposition(name: str, suffix: str) -> str:
    """An attachment named after the firm (RFC 6266/5987), ASCII fallback alongside."""
    safe = re.sub(r'[\x00-\x1f\x7f"\\/:*?<>|]+', "", name).strip()[:60] or "assess"
    return f"attachment; filename=\"assess{suffix}\"; filename*=UTF-8''{quote(safe + suffix)}"


def _options(standard: str | None, review: str | None) -> work.Options | str:
    """The chosen edition and review, or the catalog's reason they are refused."""
    from assess.rubric.selection import standards

    year: int | None = None
    if standard:
        if not standard.isdigit() or int(standard) not in standards():
            return t(
                "web.upload.bad_standard",
                standard=standard[:10],
                available="、".join(map(str, standards())),
            )
        year = int(standard)
    return work.Options(year, (review or "").lower() in ("1", "true", "on", "yes", "是"))


# ---------------------------------------------------------------- the application


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    score_pool = Pool(settings.workers, work.warm)
    pdf_pool = Pool(settings.workers, work.warm_pdf)
    store = Store(settings.ttl, settings.capacity)
    limiter = RateLimit(settings.rate_per_minute, settings.burst)
    blank_template: dict[str, bytes] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import asyncio

        await asyncio.gather(asyncio.to_thread(score_pool.start), asyncio.to_thread(pdf_pool.start))
        try:
            yield
        finally:
            score_pool.close()
            pdf_pool.close()

    app = FastAPI(
        title="assess",
        summary="专精特新自评 / SRDI self-assessment",
        version=_version(),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.add_middleware(Language)
    app.add_middleware(SecurityHeaders)

    def limited(request: Request) -> Response | None:
        if limiter.allow(_client(request)):
            return None
        headers = {"retry-after": str(limiter.retry_after())}
        if _wants_json(request):
            response: Response = _api_error(429, "web.error.rate_text")
        else:
            response = _error_page(429, "web.error.rate_title", "web.error.rate_text")
        response.headers.update(headers)
        return response

    async def body_of(request: Request, limit: int) -> bytes:
        return await read_limited(dict(request.headers), request.stream(), limit)

    def too_large(request: Request) -> Response:
        mb = f"{settings.upload_limit / 2**20:g}"
        if _wants_json(request):
            return _api_error(413, "web.error.too_large_text", limit=mb)
        return _error_page(413, "web.error.too_large_title", "web.error.too_large_text", limit=mb)

    def busy(request: Request) -> Response:
        seconds = f"{settings.time_limit:g}"
        if _wants_json(request):
            return _api_error(503, "web.error.busy_text", seconds=seconds)
        return _error_page(503, "web.error.busy_title", "web.error.busy_text", seconds=seconds)

    def keep(outcome: work.Scored) -> str:
        html = outcome.report_html
        body = html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
        styles = re.findall(r"<style>\n?(.*?)</style>", html, flags=re.S)
        held = Held(
            name=outcome.name,
            lang=language(),
            report_html=html,
            body=body,
            bars_css="\n".join(styles[1:]),
            records=outcome.records,
            values=outcome.values,
            warnings=outcome.warnings,
            summary=outcome.summary,
        )
        return store.put(held)

    def held_or_404(token: str) -> Held:
        held = store.get(token) if TOKEN.match(token) else None
        if held is None:
            raise HTTPException(404)
        return held

    # ------------------------------------------------------------ errors

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        status = exc.status_code
        key = {404: "not_found", 405: "method"}.get(status, "bad_request")
        if _wants_json(request):
            return _api_error(status, f"web.error.{key}_text")
        return _error_page(status, f"web.error.{key}_title", f"web.error.{key}_text")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return _api_error(500, "web.error.bug_text")
        return _error_page(500, "web.error.bug_title", "web.error.bug_text")

    # ------------------------------------------------------------ pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home() -> Response:
        return _page(
            "home",
            standards=_standards_today(),
            limit=f"{settings.upload_limit / 2**20:g}",
            ttl=f"{settings.ttl / 60:g}",
        )

    @app.get("/healthz", include_in_schema=False)
    async def health() -> Response:
        return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in ("web.css", "report.css"):
            raise HTTPException(404)
        return Response(
            _static(name),
            media_type="text/css; charset=utf-8",
            headers={"cache-control": "public, max-age=3600"},
        )

    async def template_bytes() -> bytes:
        lang = language()
        if lang not in blank_template:  # not a firm's data: made once per language, kept
            blank_template[lang] = await score_pool.run(
                settings.time_limit, work.questionnaire, None, lang
            )
        return blank_template[lang]

    @app.get("/template.xlsx", include_in_schema=False)
    async def template_download(request: Request) -> Response:
        if (refused := limited(request)) is not None:
            return refused
        try:
            data = await template_bytes()
        except Busy:
            return busy(request)
        return Response(
            data,
            media_type=XLSX,
            headers={"content-disposition": _disposition(t("web.file.template"), ".xlsx")},
        )

    async def refused_upload(problems: list[Problem], filename: str) -> Response:
        return _page(
            "problems",
            422,
            filename=filename,
            problems=[_problem_view(p) for p in problems],
            standards=_standards_today(),
            limit=f"{settings.upload_limit / 2**20:g}",
        )

    @app.post("/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload(request: Request) -> Response:
        if (refused := limited(request)) is not None:
            return refused
        try:
            body = await body_of(request, settings.upload_limit + ENVELOPE_BYTES)
            parts = parse_multipart(body, request.headers.get("content-type", ""))
        except TooLarge:
            return too_large(request)
        except BadBody:
            return _error_page(400, "web.error.bad_request_title", "web.error.bad_request_text")
        part = parts.get("file")
        fallback = t("web.file.upload")
        if part is None or not part.data:
            problem = Problem.coded("", "", "web.upload.no_file")
            return await refused_upload([problem], fallback)
        if len(part.data) > settings.upload_limit:
            return too_large(request)
        name = shown_name(part.filename, fallback)

        def text(key: str) -> str | None:
            p = parts.get(key)
            return p.data.decode("utf-8", "replace")[:20] if p is not None else None

        options = _options(text("standard"), text("review"))
        if isinstance(options, str):
            return await refused_upload([Problem("", "", options)], name)
        try:
            outcome = await score_pool.run(
                settings.time_limit, work.score_upload, part.data, name, options, language()
            )
        except Busy:
            return busy(request)
        if isinstance(outcome, work.Refused):
            return await refused_upload(outcome.problems, name)
        token = keep(outcome)
        return RedirectResponse(f"/r/{token}{_q()}", status_code=303)

    @app.get("/r/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def result(token: str) -> Response:
        held = held_or_404(token)
        return _page("result", held=held, token=token, ttl=f"{settings.ttl / 60:g}")

    @app.get("/r/{token}/bars.css", include_in_schema=False)
    async def result_css(token: str) -> Response:
        held = held_or_404(token)
        return Response(
            held.bars_css,
            media_type="text/css; charset=utf-8",
            headers={"cache-control": "private, max-age=600"},
        )

    @app.get("/r/{token}/report.pdf", include_in_schema=False)
    async def result_pdf(request: Request, token: str) -> Response:
        held = held_or_404(token)
        if held.pdf is None:
            if (refused := limited(request)) is not None:
                return refused
            try:
                held.pdf = await pdf_pool.run(
                    settings.time_limit, work.render_pdf, held.report_html
                )
            except Busy:
                return busy(request)
        return Response(
            held.pdf,
            media_type="application/pdf",
            headers={
                "content-disposition": _disposition(held.name + t("web.file.report"), ".pdf"),
                "cache-control": "private, no-store",
            },
        )

    @app.get("/r/{token}/questionnaire.xlsx", include_in_schema=False)
    async def result_xlsx(request: Request, token: str) -> Response:
        held = held_or_404(token)
        if (refused := limited(request)) is not None:
            return refused
        try:
            data = await score_pool.run(
                settings.time_limit, work.questionnaire, held.values, held.lang
            )
        except Busy:
            return busy(request)
        return Response(
            data,
            media_type=XLSX,
            headers={
                "content-disposition": _disposition(held.name + t("web.file.filled"), ".xlsx"),
                "cache-control": "private, no-store",
            },
        )

    @app.get("/form", response_class=HTMLResponse, include_in_schema=False)
    async def online_form(request: Request) -> Response:
        token = request.query_params.get("from", "")
        answers: dict[str, str] = {}
        if token:
            answers = questionnaire_form.answers_of(held_or_404(token).values)
        return _form_page(answers, [], 200)

    @app.post("/form", response_class=HTMLResponse, include_in_schema=False)
    async def submit_form(request: Request) -> Response:
        if (refused := limited(request)) is not None:
            return refused
        try:
            fields = parse_form(await body_of(request, 256 * 1024))
        except TooLarge:
            return too_large(request)
        except BadBody:
            return _error_page(400, "web.error.bad_request_title", "web.error.bad_request_text")
        known = questionnaire_form.field_ids()
        answers = {k: v for k, v in fields.items() if k in known}
        source = t("web.form.source")
        try:
            if fields.get("action") == "save":
                saved = await score_pool.run(
                    settings.time_limit, work.answers_workbook, answers, source, language()
                )
                if isinstance(saved, work.Workbook):
                    return Response(
                        saved.data,
                        media_type=XLSX,
                        headers={
                            "content-disposition": _disposition(
                                saved.name + t("web.file.filled"), ".xlsx"
                            ),
                            "cache-control": "no-store",
                        },
                    )
                return _form_page(answers, saved.problems, 422)
            options = _options(fields.get("standard"), fields.get("review"))
            if isinstance(options, str):
                return _form_page(answers, [Problem("", "", options)], 422)
            outcome = await score_pool.run(
                settings.time_limit, work.score_form, answers, source, options, language()
            )
        except Busy:
            return busy(request)
        if isinstance(outcome, work.Refused):
            return _form_page(answers, outcome.problems, 422)
        token = keep(outcome)
        return RedirectResponse(f"/r/{token}{_q()}", status_code=303)

    # ------------------------------------------------------------ API

    @app.get("/api/rubrics", summary="The bundled standards, with those in force today")
    async def api_rubrics() -> list[dict[str, Any]]:
        return _rubric_list()

    @app.get(
        "/api/template",
        summary="The blank Excel questionnaire",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    async def api_template(request: Request) -> Response:
        return await template_download(request)

    @app.post(
        "/api/score",
        summary="Score one firm: an xlsx questionnaire or JSON firm data → the score contract",
        responses={
            200: {"description": "firm, results (the score contract, plan included), pdf"},
            413: {"description": "larger than the upload limit"},
            422: {"description": "problems: every one with where, path, code, message"},
            429: {"description": "too many requests from this client"},
            503: {"description": "scoring passed its time limit"},
        },
        openapi_extra={
            "parameters": [
                {"name": "standard", "in": "query", "schema": {"type": "integer"}},
                {"name": "review", "in": "query", "schema": {"type": "boolean"}},
                {"name": "lang", "in": "query", "schema": {"enum": ["zh", "en"]}},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            },
        },
    )
    async def api_score(request: Request) -> Response:
        if (refused := limited(request)) is not None:
            return refused
        ctype = request.headers.get("content-type", "")
        try:
            body = await body_of(request, settings.upload_limit + ENVELOPE_BYTES)
            if ctype.startswith("multipart/form-data"):
                part = parse_multipart(body, ctype).get("file")
                data, name = (part.data, shown_name(part.filename, "upload")) if part else (b"", "")
            else:
                data, name = body, "upload"
        except TooLarge:
            return too_large(request)
        except BadBody:
            return _api_error(400, "web.error.bad_request_text")
        if len(data) > settings.upload_limit:
            return too_large(request)
        options = _options(request.query_params.get("standard"), request.query_params.get("review"))
        if isinstance(options, str):
            return JSONResponse({"problems": [Problem("", "", options).record()]}, 422)
        try:
            outcome = await score_pool.run(
                settings.time_limit, work.score_upload, data, name or "upload", options, language()
            )
        except Busy:
            return busy(request)
        if isinstance(outcome, work.Refused):
            return JSONResponse({"problems": [p.record() for p in outcome.problems]}, 422)
        token = keep(outcome)
        return JSONResponse(
            {
                "firm": outcome.name,
                "results": outcome.records,
                "warnings": outcome.warnings,
                "report": f"/r/{token}",
                "pdf": f"/r/{token}/report.pdf",
                "expires_in": int(settings.ttl),
            }
        )

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> Response:
        return _page("docs", operations=_operations(app.openapi()))

    return app


def _q() -> str:
    return "?lang=en" if language() == "en" else ""


def _form_page(answers: Mapping[str, str], problems: list[Problem], status: int) -> Response:
    from assess.rubric.selection import standards

    return _page(
        "form",
        status,
        groups=questionnaire_form.groups(answers, problems),
        problems=[_problem_view(p) for p in problems],
        editions=standards(),
    )


def _rubric_list() -> list[dict[str, Any]]:
    from assess.rubric.loader import builtin_rubrics

    today = {r.id for r in _in_force_today()}
    return [
        {
            "id": r.id,
            "title": r.title.zh if language() == "zh" else r.title.en,
            "version": r.version,
            "status": r.status,
            "tier": r.tier,
            "effective_from": r.effective_from.isoformat(),
            "effective_to": r.effective_to.isoformat() if r.effective_to else None,
            "in_force_today": r.id in today,
        }
        for r in sorted(builtin_rubrics().values(), key=lambda r: (r.effective_from, r.id))
    ]


def _in_force_today() -> list[Any]:
    from assess.firm import Firm
    from assess.rubric.selection import default_rubrics

    return default_rubrics(Firm({}), today=dt.date.today())


def _standards_today() -> list[dict[str, str]]:
    from assess.catalog import table

    tiers = table("label.tier")
    out = []
    for r in _in_force_today():
        out.append(
            {
                "tier": tiers.get(r.tier, ""),
                "title": r.title.zh if language() == "zh" else r.title.en,
                "status": table("label.rubric_status")[r.status],
                "since": r.effective_from.isoformat(),
            }
        )
    return out


# What each operation does, in the reader's language (the OpenAPI document's summaries
# are English, for programs).
_OPERATION_WORDS = {
    "/api/score": "web.docs.op_score",
    "/api/rubrics": "web.docs.op_rubrics",
    "/api/template": "web.docs.op_template",
}


def _operations(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI document's operations, for the /docs page."""
    out = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [p.get("name", "") for p in op.get("parameters", [])]
            body = list(op.get("requestBody", {}).get("content", {}))
            responses = list(op.get("responses", {}))
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": t(_OPERATION_WORDS[path])
                    if path in _OPERATION_WORDS
                    else op.get("summary", ""),
                    "params": params,
                    "body": body,
                    "responses": responses,
                }
            )
    return out
