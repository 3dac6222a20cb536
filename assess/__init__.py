"""assess: score an SME against the 专精特新 criteria and explain what to improve."""

from pathlib import Path

__version__ = "0.1.0"


def data_dir(name: str) -> Path:
    """`rubrics` or `templates`: inside the wheel when installed, beside the package in a
    source checkout.  Here, not in `assess.rubric.loader`, so that the PDF writer finds its
    templates without importing the rubric models."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_data" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cannot find the {name} folder near {package}")  # pragma: no cover
