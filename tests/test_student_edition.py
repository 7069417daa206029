"""The student edition (``python3 kit.py student``) holds no solution and no output, and runs top to bottom untouched.

Every notebook is executed in a kernel of this environment, as a student opening the handed-out folder would,
and every exercise cell must then say it is not answered yet (not raise, and not say "Correct").
"""

import importlib.util
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOT_ANSWERED = "Not answered yet"


def _kit():
    spec = importlib.util.spec_from_file_location("kit", ROOT / "kit.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    return kit


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    dest = tmp_path_factory.mktemp("student") / "student_edition"
    start = time.perf_counter()
    written = _kit().build_student_edition(dest)
    print(f"\nstudent edition built in {time.perf_counter() - start:.2f} s")
    return dest, written


def _is_exercise(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    # the old form, until every notebook is converted: an untagged cell that starts from answer = None
    return cell["cell_type"] == "code" and ("exercise" in tags or "answer = None" in "".join(cell["source"]))


def test_every_notebook_is_built_beside_its_data(edition):
    dest, written = edition
    assert [p.name for p in written] == [p.name for p in SOURCES]
    assert (dest / "data" / "teaching" / "bcg.csv").read_bytes() == (ROOT / "data" / "teaching" / "bcg.csv").read_bytes()


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_solution_no_output_and_every_other_cell_kept(edition, source):
    dest, _ = edition
    nb = json.loads((dest / "notebooks" / source.name).read_text())
    original = json.loads(source.read_text())
    kept = [c for c in original["cells"] if "solution" not in c.get("metadata", {}).get("tags", [])]
    assert [c["source"] for c in nb["cells"]] == [c["source"] for c in kept]
    assert len(kept) < len(original["cells"]), "the instructor's notebook has no solution cell"
    for cell in nb["cells"]:
        assert "solution" not in cell["metadata"].get("tags", [])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert "widgets" not in nb["metadata"]
    assert "Correct" not in json.dumps([c.get("outputs", []) for c in nb["cells"]])
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_student_notebook_runs_top_to_bottom_untouched(edition, source):
    dest, _ = edition
    path = dest / "notebooks" / source.name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    exercises = [c for c in nb.cells if _is_exercise(c)]
    assert exercises, f"{source.name} has no exercise"
    for cell in exercises:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert NOT_ANSWERED in text and "Correct" not in text, (cell.source, text)


def test_the_instructors_guide_names_every_notebook_and_only_notebooks_that_exist():
    guide = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b((?:\d\d|A\d)_[a-z0-9]+(?:_[a-z0-9]+)*)\b", guide))
    stems = {p.stem for p in SOURCES}
    assert named - stems == set(), "the guide names notebooks that do not exist"
    assert stems - named == set(), "notebooks missing from the guide's table"
