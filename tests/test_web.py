"""The web mode through FastAPI's test client: every route, every refusal.

Two applications, each with its own pools of one process: `client` as `assess serve` runs
by default, `strict` with a tiny upload limit, a time limit no job can meet and a rate
limit of a few requests, for the refusals those settings cause.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

with warnings.catch_warnings():  # Starlette asks for httpx2, which is not packaged yet
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from assess.fields import FIELDS_BY_ID
from assess.intake.layout import SHEET_FORM
from assess.web import form as web_form
from assess.web.app import Settings, create_app
from assess.web.safety import CSP, shown_name

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(Settings(workers=1, rate_per_minute=6000, burst=1000))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def strict() -> Iterator[TestClient]:
    settings = Settings(
        workers=1, upload_limit=64 * 1024, time_limit=1e-4, rate_per_minute=1, burst=4
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def upload(client: TestClient, name: str, data: bytes, **fields: str) -> Any:
    return client.post("/upload", files={"file": (name, data)}, data=fields, follow_redirects=False)


def scored(client: TestClient, response: Any) -> tuple[str, list[dict[str, Any]]]:
    """The token a scoring redirect names, and the score records it holds."""
    assert response.status_code == 303, text_of(response.text)[:500]
    token = response.headers["location"].split("/r/", 1)[1].split("?")[0]
    held = client.app.state.store.get(token)  # type: ignore[attr-defined]
    assert held is not None
    return token, held.records


def edited(path: Path, field_id: str, value: object) -> bytes:
    """The sample questionnaire with one answer (column D of 问卷) changed."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET_FORM]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == field_id:
            row[3].value = value
            break
    else:
        raise AssertionError(f"{field_id} not on the sample's 问卷 sheet")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def verdicts(records: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    return [(r["rubric"], r["pass_status"], r["total"]) for r in records]


def contract(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The score records less the name of the file they came from."""
    return [{k: v for k, v in r.items() if k != "source"} for r in records]


# ------------------------------------------------------------------ pages


def test_home_page_in_chinese_with_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    page = text_of(r.text)
    assert "上传填好的问卷" in page and "今天适用的评价标准" in page
    assert 'href="/template.xlsx"' in r.text and 'action="/upload"' in r.text
    assert "<script" not in r.text and "style=" not in r.text
    assert r.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


def test_home_page_in_english_on_request(client: TestClient) -> None:
    page = text_of(client.get("/?lang=en").text)
    assert "Upload a filled questionnaire" in page and "上传填好的问卷" not in page


def test_health_and_stylesheets(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    for name in ("web.css", "report.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/app.py").status_code == 404


def test_unknown_page_and_wrong_method_are_friendly_pages(client: TestClient) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and "页面不存在或结果已过期" in r.text
    r = client.get("/upload")
    assert r.status_code == 405 and "不能这样访问" in r.text
    r = client.get("/api/nowhere")
    assert r.status_code == 404 and "error" in r.json()


# ------------------------------------------------------------------ upload → result


def test_upload_questionnaire_shows_the_scorecard_and_its_downloads(client: TestClient) -> None:
    token, records = scored(
        client, upload(client, "申报表.xlsx", (SAMPLES / "strong.xlsx").read_bytes())
    )
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    body = text_of(page.text)
    assert "下载 PDF 报告" in body and "下载填好的问卷" in body
    # The report's own content: verdicts, the plan, the evidence checklist.
    assert "评定结论" in body and "证明材料" in body
    for record in records:
        assert record["title"] in body
    assert client.get(f"/r/{token}/bars.css").status_code == 200
    pdf = client.get(f"/r/{token}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    filled = client.get(f"/r/{token}/questionnaire.xlsx")
    assert filled.status_code == 200 and filled.content.startswith(b"PK")
    # The filled questionnaire scores as the upload did.
    _, again = scored(client, upload(client, "问卷.xlsx", filled.content))
    assert verdicts(again) == verdicts(records)


def test_upload_json_scores_like_the_cli(client: TestClient) -> None:
    from assess.engine import evaluate
    from assess.intake import load_records
    from assess.report.jsonout import record
    from assess.rubric.selection import RubricPlan, reference_rubric

    firm = load_records(SAMPLES / "borderline.json")[0].firm
    assert firm is not None
    rubrics = RubricPlan((), None).rubrics_for(firm)
    expected = [record(evaluate(r, firm, reference_rubric())) for r in rubrics]
    _, records = scored(
        client, upload(client, "x.json", (SAMPLES / "borderline.json").read_bytes())
    )
    assert verdicts(records) == verdicts(expected)
    assert contract(records) == contract(expected)


def test_bad_values_are_listed_with_cell_label_and_what_to_write(client: TestClient) -> None:
    data = edited(SAMPLES / "strong.xlsx", "revenue", "约三千万")
    r = upload(client, "申报表.xlsx", data)
    assert r.status_code == 422
    page = text_of(r.text)
    assert "问卷需要修改" in page and "申报表.xlsx" in page
    assert re.search(r"问卷!D\d+", page)
    assert FIELDS_BY_ID["revenue"].label in page
    assert "约三千万" in page
    assert 'action="/upload"' in r.text  # upload the corrected file from the same page
    assert "/proc/self/fd" not in r.text and "Traceback" not in r.text


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.xlsx", b"just some text, not a workbook\n", "文本文件"),
        ("a.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        ("a.json", b'{"name": "x", "name": "y"}', "name"),
        ("a.json", b'{"revenue": ', "1 行 13 列"),
        ("empty.xlsx", b"", "没有收到文件"),  # what a browser sends when no file is chosen
    ],
)
def test_unreadable_uploads_are_named_by_content(
    client: TestClient, name: str, data: bytes, words: str
) -> None:
    r = upload(client, name, data)
    assert r.status_code == 422
    assert words in text_of(r.text)
    assert "Traceback" not in r.text


def test_a_round_of_firms_is_sent_to_the_batch(client: TestClient) -> None:
    r = upload(client, "园区.xlsx", (SAMPLES / "agency-batch.xlsx").read_bytes())
    assert r.status_code == 422 and "assess batch" in r.text


def test_upload_without_a_file_or_not_multipart(client: TestClient) -> None:
    r = client.post("/upload", data={"standard": ""}, files={"x": ("", b"")})
    assert r.status_code == 422 and "没有收到文件" in r.text
    r = client.post("/upload", content=b"file=abc", headers={"content-type": "text/plain"})
    assert r.status_code == 400 and "请求无法识别" in r.text


def test_bad_standard_is_refused_with_the_editions(client: TestClient) -> None:
    r = upload(client, "a.xlsx", (SAMPLES / "strong.xlsx").read_bytes(), standard="1999")
    assert r.status_code == 422 and "2022" in r.text and "2026" in r.text


def test_a_chosen_edition_and_review_are_applied(client: TestClient) -> None:
    data = (SAMPLES / "strong.json").read_bytes()
    _, records = scored(client, upload(client, "a.json", data, standard="2022"))
    assert all(r["rubric"].startswith(("miit-2022", "srdi-")) for r in records)
    _, reviews = scored(client, upload(client, "a.json", data, standard="2026", review="1"))
    assert any(r["rubric"].endswith("-review") for r in reviews)


def test_unknown_or_malformed_tokens_are_not_found(client: TestClient) -> None:
    for path in ("/r/abc", "/r/" + "A" * 32, "/r/" + "A" * 32 + "/report.pdf"):
        r = client.get(path)
        assert r.status_code == 404 and "过期" in r.text
    for tail in ("/questionnaire.xlsx", "/bars.css"):
        assert client.get("/r/" + "A" * 32 + tail).status_code == 404
    assert client.get("/form?from=" + "A" * 32).status_code == 404


def test_uploaded_file_name_never_reaches_a_path(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown_name("../../etc/passwd", "x") == "passwd"
    assert shown_name("C:\\Users\\a\\申报表.xlsx", "x") == "申报表.xlsx"
    assert shown_name("\x00\n", "上传的文件") == "上传的文件"
    # Over 1 MB: the size at which Starlette's own form parser would spool to a temporary
    # file.  The server process's temporary folder is an empty one of the test's own.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    padded = (SAMPLES / "strong.json").read_bytes().rstrip() + b" " * (1_200_000)
    r = upload(client, "../../../tmp/evil.json", padded)
    assert r.status_code == 303
    assert list(tmp_path.iterdir()) == []
    assert not (Path("/tmp") / "evil.json").exists()


# ------------------------------------------------------------------ the online questionnaire


def answers_of_sample(name: str) -> dict[str, str]:
    data = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return {k: web_form.answer_text(FIELDS_BY_ID[k], v) for k, v in data.items()}


def test_form_has_every_question_of_the_excel_questionnaire(client: TestClient) -> None:
    from assess.intake.template import template_fields

    r = client.get("/form")
    assert r.status_code == 200
    names = set(re.findall(r'name="([a-z0-9_]+)"', r.text))
    for spec in template_fields():
        assert spec.id in names, spec.id
        assert spec.label in r.text
    legends = re.findall(r"<legend>(.*?)</legend>", r.text)
    sections = list(dict.fromkeys(s.section.label for s in template_fields()))
    assert legends[: len(sections)] == sections
    assert "<select" in r.text and 'inputmode="decimal"' in r.text
    assert 'class="req"' in r.text
    english = client.get("/form?lang=en").text
    assert "Basic information" in english and FIELDS_BY_ID["revenue"].label_en in english


def test_form_scores_exactly_like_the_same_data_uploaded_as_xlsx(client: TestClient) -> None:
    _, from_xlsx = scored(client, upload(client, "a.xlsx", (SAMPLES / "strong.xlsx").read_bytes()))
    answers = answers_of_sample("strong.json")
    r = client.post("/form", data={**answers, "action": "score"}, follow_redirects=False)
    token, from_form = scored(client, r)
    assert contract(from_form) == contract(from_xlsx)
    # Continue editing: the form comes back filled with the same answers.
    again = client.get(f"/form?from={token}")
    assert again.status_code == 200
    assert f'value="{answers["name"]}"' in again.text


def test_form_problems_are_shown_beside_their_questions(client: TestClient) -> None:
    answers = {**answers_of_sample("strong.json"), "employees": "很多", "name": ""}
    r = client.post("/form", data=answers)
    assert r.status_code == 422
    block = r.text.split('id="f-employees"', 1)[1].split('class="question', 1)[0]
    assert "error-text" in block and "很多" in block
    assert "has-error" in r.text.split('id="f-name"', 1)[0].rsplit('class="question', 1)[1]
    assert FIELDS_BY_ID["name"].label in text_of(r.text)
    assert 'value="很多"' in r.text  # the answers are kept to correct


def test_form_answers_download_as_a_filled_questionnaire(client: TestClient) -> None:
    answers = answers_of_sample("strong.json")
    r = client.post("/form", data={**answers, "action": "save"})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert r.content.startswith(b"PK")
    _, from_saved = scored(client, upload(client, "saved.xlsx", r.content))
    _, from_xlsx = scored(client, upload(client, "a.xlsx", (SAMPLES / "strong.xlsx").read_bytes()))
    assert verdicts(from_saved) == verdicts(from_xlsx)
    partial = client.post("/form", data={"name": "半成品有限公司", "action": "save"})
    assert partial.status_code == 200 and partial.content.startswith(b"PK")
    bad = client.post("/form", data={"employees": "很多", "action": "save"})
    assert bad.status_code == 422 and "很多" in bad.text


def test_template_download(client: TestClient) -> None:
    for path in ("/template.xlsx", "/api/template"):
        r = client.get(path)
        assert r.status_code == 200 and r.content.startswith(b"PK")
        assert r.headers["content-type"] == XLSX
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        assert SHEET_FORM in book.sheetnames


# ------------------------------------------------------------------ API


def test_api_scores_json_xlsx_and_multipart_alike(client: TestClient) -> None:
    xlsx = (SAMPLES / "strong.xlsx").read_bytes()
    by_json = client.post(
        "/api/score",
        content=(SAMPLES / "strong.json").read_bytes(),
        headers={"content-type": "application/json"},
    )
    by_body = client.post("/api/score", content=xlsx, headers={"content-type": XLSX})
    by_form = client.post("/api/score", files={"file": ("a.xlsx", xlsx)})
    for r in (by_json, by_body, by_form):
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["results"] and all("plan" in rec for rec in out["results"])
        assert client.get(out["pdf"]).content.startswith(b"%PDF")
        break  # one PDF is enough; the others share the renderer
    assert verdicts(by_body.json()["results"]) == verdicts(by_form.json()["results"])
    assert verdicts(by_json.json()["results"]) == verdicts(by_body.json()["results"])


def test_api_refusals_are_json_with_codes_and_places(client: TestClient) -> None:
    r = client.post(
        "/api/score",
        content='{"employees": "很多"}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    problem = r.json()["problems"][0]
    assert problem["path"] == "employees" and problem["code"].startswith("intake.")
    r = client.post("/api/score?standard=1999", content=b"{}")
    assert r.status_code == 422 and "2022" in r.json()["problems"][0]["message"]
    r = client.post("/api/score", content=b"")
    assert r.status_code == 422 and "文件是空的" in r.json()["problems"][0]["message"]
    r = client.post(
        "/api/score", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"}
    )
    assert r.status_code == 400 and "error" in r.json()


def test_api_rubrics_and_the_openapi_document(client: TestClient) -> None:
    rubrics = client.get("/api/rubrics").json()
    ids = {r["id"] for r in rubrics}
    assert {"miit-2022-innovative", "srdi-readiness"} <= ids
    assert any(r["in_force_today"] for r in rubrics)
    spec = client.get("/openapi.json").json()
    assert {"/api/score", "/api/rubrics", "/api/template"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/score" in docs.text and "<script" not in docs.text


def test_an_internal_error_shows_no_trace(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assess.web.app as web_app

    def broken() -> list[dict[str, Any]]:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(web_app, "_rubric_list", broken)
    r = client.get("/api/rubrics")
    assert r.status_code == 500 and "secret" not in r.text and "Traceback" not in r.text
    assert "程序" in r.json()["error"]
    monkeypatch.setattr(web_app, "_standards_today", broken)
    r = client.get("/")
    assert r.status_code == 500 and "程序内部错误" in r.text and "secret" not in r.text


# ------------------------------------------------------------------ limits


def test_limits_size_time_and_rate(strict: TestClient) -> None:
    big = b"PK" + b"\0" * (65 * 1024)
    r = strict.post("/upload", files={"file": ("big.xlsx", big)})
    assert r.status_code == 413 and "文件太大" in r.text
    r = strict.post("/api/score", content=big, headers={"content-length": str(len(big))})
    assert r.status_code == 413 and "MB" in r.json()["error"]
    # No scoring finishes in 0.1 ms: the job is stopped and the firm told so.
    r = strict.post("/upload", files={"file": ("a.json", (SAMPLES / "strong.json").read_bytes())})
    assert r.status_code == 503 and "处理超时" in r.text
    r = strict.post("/api/score", content=(SAMPLES / "strong.json").read_bytes())
    assert r.status_code == 503 and "秒" in r.json()["error"]
    assert strict.get("/healthz").status_code == 200  # the pool still answers
    # Four requests were the burst; the next is refused until the bucket refills.
    r = strict.post("/upload", files={"file": ("a.json", b"{}")})
    assert r.status_code == 429 and "请稍后再试" in r.text and int(r.headers["retry-after"]) > 0
    r = strict.post("/api/score", content=b"{}")
    assert r.status_code == 429 and "error" in r.json()
    assert strict.get("/").status_code == 200  # reading pages is not limited


def test_the_time_limit_holds_where_python_wraps_the_signal() -> None:
    """A job stopped inside a class body (its `__set_name__`, e.g. during a first import)
    gets a RuntimeError from Python: still the time limit, not an internal error."""
    from assess.web.work import Overtime, limited

    def spin() -> None:
        class Slot:
            def __set_name__(self, owner: type, name: str) -> None:
                while True:
                    pass

        type("Held", (), {"slot": Slot()})

    with pytest.raises(Overtime):
        limited(0.05, spin)

    def wrong() -> None:
        raise RuntimeError("a plain failure")

    with pytest.raises(RuntimeError):
        limited(5, wrong)


def test_serve_refuses_an_address_in_use_in_chinese() -> None:
    import socket

    from assess.errors import UserError
    from assess.web.server import check_address

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError) as caught:
            check_address("127.0.0.1", port)
    assert f"127.0.0.1:{port}" in str(caught.value) and "已被占用" in str(caught.value)
