#!/usr/bin/env python3
"""Set up and run the meta-analysis kit. Needs only Python 3.11+ (standard library).

    python3 kit.py lab         set up, then open JupyterLab on notebooks/00_start_here.ipynb
    python3 kit.py test        set up, then run every test: unit tests, doctests, notebooks (nbval); same as `pytest`
    python3 kit.py student     build the student edition (no solutions, no outputs) into student_edition/
    python3 kit.py replicate   set up, then re-run the replications and print one verdict table
    python3 kit.py bench       set up, then time the fits (against statsmodels and PyMARE), widgets and notebooks

"Set up" makes a virtual environment in .venv and installs the pinned versions in
requirements.lock into it; it is skipped when nothing it depends on has changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".kit-installed"
INPUTS = ("requirements.lock", "pyproject.toml")


def _fingerprint() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*args: object, **kwargs) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"The kit needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("Installing the kit's pinned dependencies (first run: a minute or two) ...", flush=True)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "requirements.lock")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-build-isolation", "-e", ".")
    _quiet_jupyterlab()
    STAMP.write_text(_fingerprint())


def _quiet_jupyterlab() -> None:
    """No "get notified about Jupyter news?" pop-up over a student's first notebook (and no network call)."""
    settings = VENV / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(
        '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}\n')


def lab() -> None:
    setup()
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # e.g. in a container
    os.execv(PYTHON, [str(PYTHON), "-m", "jupyterlab", *root, "notebooks/00_start_here.ipynb"])


def _ensure_browser() -> None:
    """Debian's Chromium for the browser test (tests/browser): install it where we can, else say why not."""
    if shutil.which("chromium"):
        return
    if os.name == "posix" and shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing Chromium for the browser test (Debian package 'chromium') ...", flush=True)
        quiet = dict(stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if (subprocess.run(["apt-get", "update", "-qq"], **quiet).returncode == 0
                and subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], **quiet).returncode == 0):
            return
        os.environ["KIT_NO_BROWSER"] = "apt-get could not install the Debian package 'chromium'"
    else:
        os.environ["KIT_NO_BROWSER"] = ("Chromium is not installed and cannot be installed here "
                                        "(needs Debian's apt-get as root): install the 'chromium' package to run it")
    fate = "fail (CI is set, so it must run)" if os.environ.get("CI") else "be skipped"
    print(f"Browser test will {fate}: {os.environ['KIT_NO_BROWSER']}", flush=True)


def test() -> int:
    """Set up, then plain pytest: what it runs (tests, doctests, notebooks) is configured in pyproject.toml."""
    setup()
    _ensure_browser()
    code = subprocess.run([str(PYTHON), "-m", "pytest", *sys.argv[2:]], cwd=ROOT).returncode
    if code == 5:  # pytest's "no tests collected" must never read as a pass
        print("No tests were collected: the test run fails.", file=sys.stderr)
    return code


STUDENT = ROOT / "student_edition"


def student_notebook(nb: dict) -> dict:
    """The student's copy of one notebook: cells tagged "solution" dropped, every output and count cleared.

    Widget state goes too: it holds what the instructor's run computed.
    """
    cells = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        if "solution" in meta.get("tags", []):
            continue
        cell = dict(cell, metadata={k: v for k, v in meta.items() if k != "execution"})
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
        cells.append(cell)
    return dict(nb, cells=cells, metadata={k: v for k, v in nb["metadata"].items() if k != "widgets"})


def build_student_edition(dest: Path = STUDENT) -> list[Path]:
    """Write the student edition to ``dest``: notebooks/ (student copies) beside a copy of data/, so the
    notebooks' relative paths still work. The answer keys stay with the kit: helpers.exercises finds them."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "notebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "data", dest / "data")
    written = []
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = student_notebook(json.loads(source.read_text(encoding="utf-8")))
        target = dest / "notebooks" / source.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


def student() -> int:
    dest = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else STUDENT
    written = build_student_edition(dest)
    print(f"Student edition: {len(written)} notebooks in {dest / 'notebooks'} (solutions removed, outputs cleared).")
    print("Hand out that folder; the notebooks run in the kit's environment. Its answer keys (notebooks/keys/*.json,\n"
          "plain text) and the instructor's notebooks come with the kit: the checks are feedback, not an exam.\n"
          "See docs/instructor_guide.md, 'Where the answers are, and who can read them'.")
    return 0


def replicate() -> int:
    setup()
    return subprocess.run([str(PYTHON), "-m", "helpers.replication", *sys.argv[2:]], cwd=ROOT,
                          env=dict(os.environ, MPLBACKEND="Agg")).returncode


def bench() -> int:
    setup()
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "benchmarks/requirements.txt")
    codes = [subprocess.run([str(PYTHON), f"benchmarks/{script}", *sys.argv[2:]], cwd=ROOT).returncode
             for script in ("bench_pooling.py", "bench_notebooks.py")]
    return max(codes)


COMMANDS = {"lab": lab, "test": test, "student": student, "replicate": replicate, "bench": bench, "setup": setup}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]]() or 0)
