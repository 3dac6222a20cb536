"""The HTML report: the view model (`assess.report.view`) rendered by the report's one
Jinja2 template (`assess.report.environment`).

The PDF is WeasyPrint applied to this same HTML (`assess.report.pdf`): one template path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from assess.intake.firm import Firm
from assess.report.environment import template
from assess.report.view import build_context
from assess.results import Assessment, CohortPlace
from assess.rubric import models as m

__all__ = ["build_context", "render_html"]


def render_html(
    assessments: Sequence[Assessment],
    firm: Firm,
    *,
    generated: dt.date | None = None,
    rubrics: Mapping[str, m.Rubric] | None = None,
    cohort: CohortPlace | None = None,
) -> str:
    """The report as one self-contained HTML document (styles and charts inline).

    Everything it shows comes from the assessments: their rubric's texts and their plans
    travel with them.  `rubrics` is accepted for callers that pass the rubrics scored and
    is not needed.  `generated` fixes the date printed (default: today).  `cohort`, from a
    batch run, puts the firm's place in its round on the cover.
    """
    context = build_context(assessments, firm, generated=generated, cohort=cohort)
    return template().render(context)
