"""Reporters: HTML (Jinja2) and PDF (WeasyPrint applied to the same HTML).

Importing this package is cheap: jinja2 loads on first use of `render_html`, WeasyPrint
inside `write_pdf`, so the CLI's start-up stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assess.intake.firm import Firm
    from assess.results import Assessment, CohortPlace
    from assess.rubric.models import Rubric

__all__ = ["pdf_bytes", "render_html", "render_pdf", "write_pdf"]


def render_html(
    assessments: Sequence[Assessment],
    firm: Firm,
    *,
    generated: dt.date | None = None,
    rubrics: Mapping[str, Rubric] | None = None,
    cohort: CohortPlace | None = None,
) -> str:
    """The report as one self-contained HTML document; see `assess.report.html`."""
    from assess.report import html

    return html.render_html(assessments, firm, generated=generated, rubrics=rubrics, cohort=cohort)


def pdf_bytes(html: str, *, font_config: object | None = None) -> bytes:
    """HTML to PDF bytes, reusing `font_config` when given; see `assess.report.pdf`."""
    from assess.report import pdf

    return pdf.pdf_bytes(html, font_config=font_config)


def write_pdf(
    html: str, path: Path, *, fetcher: Any = None, font_config: object | None = None
) -> None:
    """Render HTML to a PDF file atomically; see `assess.report.pdf`."""
    from assess.report import pdf

    pdf.write_pdf(html, path, fetcher=fetcher, font_config=font_config)


def render_pdf(
    assessments: Sequence[Assessment],
    firm: Firm,
    path: Path,
    *,
    generated: dt.date | None = None,
    rubrics: Mapping[str, Rubric] | None = None,
    cohort: CohortPlace | None = None,
    font_config: object | None = None,
) -> str:
    """Render the report straight to a PDF file; return the HTML it was made from.
    `cohort`: the firm's place in its batch round, shown on the cover."""
    from assess.report import pdf

    return pdf.render_pdf(
        assessments,
        firm,
        path,
        generated=generated,
        rubrics=rubrics,
        cohort=cohort,
        font_config=font_config,
    )
