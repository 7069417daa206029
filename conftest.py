"""Settings every part of the suite needs, whichever path pytest is given: tests, helpers' doctests, notebooks.

They live here rather than in kit.py so that plain ``pytest`` and ``python3 kit.py test`` run the same suite in
the same conditions (the options themselves are in ``[tool.pytest.ini_options]`` of pyproject.toml).
"""

import os
from pathlib import Path

import pytest

# Before matplotlib is first imported: figures render off-screen, in the tests and in the notebook kernels.
os.environ["MPLBACKEND"] = "Agg"
# Notebook kernels inherit it: set and dict-of-set output prints in the order nbval recorded.
os.environ["PYTHONHASHSEED"] = "0"

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    # pyproject names the sanitizer relative to the kit, not to wherever pytest was started.
    sanitizer = config.option.nbval_sanitize_with
    if sanitizer and not Path(sanitizer).is_absolute():
        config.option.nbval_sanitize_with = str(config.rootpath / sanitizer)


def pytest_collection_finish(session):
    """A full run (no paths given) must hold unit tests, doctests and every notebook: a run that quietly lost a
    part (nbval not loaded, a notebook not collected) would otherwise pass green with fewer tests."""
    config = session.config
    narrowed = (config.option.keyword, config.option.markexpr, config.option.deselect, config.option.ignore,
                config.option.ignore_glob)
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS or any(narrowed):
        return  # the user asked for part of the suite
    files = {Path(str(item.path)).resolve() for item in session.items}
    kinds = {type(item).__name__ for item in session.items}
    missing = [f"notebook {p.name}" for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if p not in files]
    missing += [f"{kind} items" for kind in ("Function", "DoctestItem") if kind not in kinds]
    if missing:
        raise pytest.UsageError("the full suite is incomplete, so it cannot pass: nothing collected for "
                                + ", ".join(missing) + ". Is nbval installed (python3 kit.py setup)?")


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.config.get_terminal_writer().line(
            "pytest collected no tests: that is a failure (exit code 5), never a pass.", red=True)
