#!/usr/bin/env bash
# Install everything assess needs on a fresh Debian/Ubuntu machine, then either run the
# main job on the bundled samples (demo) or run the checks and tests (test).
#
#   bash scripts/bootstrap.sh demo    # install, then score samples/ into out/
#   bash scripts/bootstrap.sh test    # install, then ruff, mypy and pytest
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-demo}"
case "$mode" in demo|test) ;; *) echo "usage: bash scripts/bootstrap.sh demo|test" >&2; exit 2;; esac

# System packages: WeasyPrint needs Pango; Chinese reports need a CJK font; without
# libharfbuzz-subset0 WeasyPrint falls back to a pure-Python font subsetter and a Chinese
# report takes about 15 times longer. poppler-utils gives pdftotext/pdffonts for the tests.
SYSTEM_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils"
# The tests also open the generated questionnaire in LibreOffice, as a firm would, and
# drive the web mode in a real browser: Debian's chromium through its chromedriver.
if [ "$mode" = "test" ]; then
  SYSTEM_PACKAGES="$SYSTEM_PACKAGES libreoffice-calc-nogui chromium chromium-driver"
fi
missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in $SYSTEM_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing="$missing $pkg"
  done
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "==> installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "assess needs these system packages, which are not installed:$missing" >&2
    echo "Ask an administrator to run:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    echo "then run this command again." >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing assess and its Python dependencies"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

if [ "$mode" = "demo" ]; then
  mkdir -p out
  for sample in samples/strong.json samples/borderline.json samples/weak.json; do
    name="$(basename "$sample" .json)"
    echo "==> $sample"
    .venv/bin/assess score "$sample" --pdf "out/$name.pdf"
  done
  echo "==> samples/agency-batch.xlsx (an agency's round of applicants)"
  .venv/bin/assess batch samples/agency-batch.xlsx -o out/agency
  echo "==> reports written to out/ and out/agency/"
else
  echo "==> ruff"
  .venv/bin/ruff check assess tests bench && .venv/bin/ruff format --check assess tests bench
  echo "==> mypy"
  .venv/bin/mypy
  echo "==> import contracts (pyproject.toml [tool.importlinter])"
  .venv/bin/lint-imports
  echo "==> pytest"
  # Two test processes (pytest-xdist): the suite is mostly Python in the test process, so on
  # CI's 2 cores it takes a little over half as long as on one.  xdist hands each process
  # a run of consecutive tests, the first process the first ones, so
  # tests/test_0_startup_pdf.py still runs before anything else in its process.
  .venv/bin/python -m pytest -p no:cacheprovider -n 2 --durations=25
fi
