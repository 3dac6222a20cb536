"""Imported by the local pool's forkserver when the batch makes PDFs (`executors.PRELOAD_PDF`):
WeasyPrint, its native libraries found through one `ldconfig -p` rather than some thirty
lookups (`report.startup.import_weasyprint`), so that no worker imports it again."""

from __future__ import annotations

from assess.report.startup import import_weasyprint

import_weasyprint()
