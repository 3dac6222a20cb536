"""A firm's whole visit in a real browser: Debian's headless Chromium, driven by selenium
through Debian's chromedriver, against `assess serve` on 127.0.0.1.

It downloads the questionnaire from the home page, fills it in (as Excel would: values in
column D of 问卷), uploads it, reads the verdicts, downloads the PDF; then answers the
online questionnaire for the same firm and must read the same verdicts.  One test, so the
suite pays for one browser and one server.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest

from assess.fields import FIELDS_BY_ID, FieldType
from assess.intake.layout import SHEET_FORM
from assess.intake.template import cell_value
from assess.web.form import answer_text
from tests.web_server import ROOT, running

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30.0  # seconds for any page or download on a loaded machine

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (scripts/bootstrap.sh test installs them)",
)


def _browser(downloads: Path) -> WebDriver:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1000")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return driver


def _downloaded(folder: Path, suffix: str) -> Path:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == suffix]
        if done and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded within {WAIT} s: {list(folder.iterdir())}")


def _fill_questionnaire(path: Path, answers: dict[str, object]) -> None:
    """What a firm does in Excel: type each answer into column D of 问卷."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET_FORM]
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        field_id = row[0].value
        if field_id in answers:
            row[3].value = cell_value(FIELDS_BY_ID[field_id], answers[field_id])
            seen.add(field_id)
    assert seen == set(answers), set(answers) - seen
    book.save(path)


def _verdicts(driver: WebDriver) -> list[str]:
    from selenium.webdriver.common.by import By

    chips = driver.find_elements(By.CSS_SELECTOR, ".verdict-chips .vchip")
    return [chip.text.replace("\n", " ") for chip in chips]


def test_a_firm_uploads_its_questionnaire_then_fills_it_online(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait

    answers = json.loads((ROOT / "samples" / "strong.json").read_text(encoding="utf-8"))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with running("--workers", "1") as server:
        driver = _browser(downloads)
        try:
            wait = WebDriverWait(driver, WAIT)
            driver.get(server.url + "/")
            assert "专精特新" in driver.title
            driver.find_element(By.CSS_SELECTOR, "a.button[href^='/template.xlsx']").click()
            template = _downloaded(downloads, ".xlsx")
            filled = tmp_path / "申报表.xlsx"
            shutil.move(template, filled)
            _fill_questionnaire(filled, answers)

            driver.find_element(By.ID, "file").send_keys(str(filled))
            driver.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".verdict-chips")))
            uploaded = _verdicts(driver)
            assert uploaded and any("通过" in v for v in uploaded), uploaded
            assert answers["name"] in driver.find_element(By.CSS_SELECTOR, ".actions h1").text

            driver.find_element(By.CSS_SELECTOR, "a[href$='/report.pdf']").click()
            pdf = _downloaded(downloads, ".pdf")
            assert pdf.read_bytes().startswith(b"%PDF")

            driver.get(server.url + "/form")
            for field_id, value in answers.items():
                spec = FIELDS_BY_ID[field_id]
                element = driver.find_element(By.ID, f"f-{field_id}")
                text = answer_text(spec, value)
                if spec.type in (FieldType.BOOL, FieldType.ENUM):
                    Select(element).select_by_value(text)
                else:
                    element.clear()
                    element.send_keys(text)
            driver.find_element(By.CSS_SELECTOR, "button[value=score]").click()
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".verdict-chips")))
            assert _verdicts(driver) == uploaded
        finally:
            driver.quit()
