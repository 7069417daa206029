"""The kit installs the same way for pip, conda and Binder users, and its layers import in one direction."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lock():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_pyproject_environment_yml_and_lock_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {d.lower() for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = dict(re.findall(r"^\s+- ([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "environment.yml").read_text(), re.M))
    assert {n.lower() for n in env} == declared
    lock = _lock()
    assert declared <= set(lock), f"not pinned in requirements.lock: {declared - set(lock)}"
    assert {n.lower(): v for n, v in env.items()} == {n: lock[n] for n in declared}


def test_numeric_layer_does_not_load_plotting_or_widgets():
    code = ("import sys, helpers.pooling, helpers.effect_sizes, helpers.bias, helpers.regression; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets', 'IPython')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lower_layers_never_import_higher_ones():
    order = {"effect_sizes": 0, "pooling": 0, "regression": 0, "bias": 0, "_estimators": 0, "_validate": 0,
             "conventions": 0, "grade": 1, "mcid": 1, "plots": 2, "widgets": 2, "data": 3, "replication": 3,
             "exercises": 3}
    for path in (ROOT / "helpers").glob("*.py"):
        level = order.get(path.stem)
        if level is None:
            continue
        for imported in re.findall(r"from \.(\w+) import|from helpers\.(\w+) import|import helpers\.(\w+)", path.read_text()):
            name = next(n for n in imported if n)
            assert order.get(name, -1) <= level, f"{path.name} (layer {level}) imports {name} (layer {order[name]})"
