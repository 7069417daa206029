"""The one loader of sourced CSVs: it refuses a file whose rows do not say where they come from, and says where.

The files here are written by hand so that each error's line number is known independently of the loader.
"""

import pytest

from helpers._sourced import MissingFileError, read_sourced_csv, require_columns, row_location
from helpers.data import DATA

COLUMNS = ["study", "value", "source", "location"]
GOOD = "study,value,source,location\nA,1.5,Smith 2020,Table 2\nB,,Jones 2021,p. 4\n"


def _csv(tmp_path, text, name="sourced.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_comes_back_as_text_exactly_as_written(tmp_path):
    table = read_sourced_csv(_csv(tmp_path, GOOD + "NA,0.10,Lee 2019,Fig 1\n"), COLUMNS,
                             provenance=["source", "location"], label="study")
    assert table.to_dict("list") == {"study": ["A", "B", "NA"], "value": ["1.5", "", "0.10"],
                                     "source": ["Smith 2020", "Jones 2021", "Lee 2019"],
                                     "location": ["Table 2", "p. 4", "Fig 1"]}
    assert list(table.index) == [0, 1, 2]


def test_a_missing_column_is_named_with_the_file(tmp_path):
    path = _csv(tmp_path, "study,value,source\nA,1,Smith\n")
    with pytest.raises(ValueError, match=r"sourced.csv: missing column\(s\) \['location'\]"):
        read_sourced_csv(path, COLUMNS)
    # a provenance or choice field is required even when not listed among the columns
    with pytest.raises(ValueError, match=r"missing column\(s\) \['quote'\]"):
        read_sourced_csv(path, ["study"], provenance=["source", "quote"])
    with pytest.raises(ValueError, match=r"extraction sheet: missing column\(s\) \['source', 'location'\]"):
        require_columns(read_sourced_csv(path, ["study"]).drop(columns="source"), COLUMNS[2:], "extraction sheet")


@pytest.mark.parametrize("cell", ["", "   "])
def test_an_empty_provenance_cell_names_file_line_row_and_field(tmp_path, cell):
    path = _csv(tmp_path, GOOD + f"C,2,Lee 2019,{cell}\n")  # header is line 1: C is on line 4
    with pytest.raises(ValueError, match=r"^sourced.csv line 4 \(C\): location is empty"):
        read_sourced_csv(path, COLUMNS, provenance=["source", "location"], label="study")


def test_the_first_bad_line_is_reported_and_lines_count_as_an_editor_counts_them(tmp_path):
    # a quoted cell over two lines and a blank line before the bad rows: D starts on line 6, E on line 7
    text = 'study,value,source,location\nA,1,"Smith 2020,\nsecond line",Table 2\n\nB,2,Jones,p. 4\nD,3,,p. 5\nE,4,,\n'
    with pytest.raises(ValueError, match=r"line 6 \(D\): source is empty"):
        read_sourced_csv(_csv(tmp_path, text), COLUMNS, provenance=["source", "location"], label="study")


def test_choices_a_label_of_several_columns_and_an_unlabelled_row(tmp_path):
    path = _csv(tmp_path, "study,arm,value,source,location\nA,peer,1,S,T\n,ctrl,2,S,T\n")
    with pytest.raises(ValueError, match=r"line 3 \(ctrl\): arm must be one of \('peer', 'control'\), got 'ctrl'"):
        read_sourced_csv(path, ["study"], label=("study", "arm"), choices={"arm": ("peer", "control")})
    table = read_sourced_csv(path, ["study"])
    assert row_location(path, table, 0, ("study", "arm")) == "sourced.csv line 2 (A, peer)"
    assert row_location(path, table, 1, "study") == "sourced.csv line 3 (no study)"
    assert row_location(path, table, 1, ()) == "sourced.csv line 3"


def test_strip_cleans_every_cell_before_the_checks(tmp_path):
    path = _csv(tmp_path, "study,unit,source,location\n A , points ,S,T\n")
    with pytest.raises(ValueError, match="unit must be one of"):
        read_sourced_csv(path, ["study"], choices={"unit": ("points",)})
    table = read_sourced_csv(path, ["study"], choices={"unit": ("points",)}, strip=True)
    assert table.loc[0, "study"] == "A" and table.loc[0, "unit"] == "points"


def test_an_empty_or_absent_file(tmp_path):
    path = _csv(tmp_path, "study,value,source,location\n")
    with pytest.raises(ValueError, match="sourced.csv: no rows in the file"):
        read_sourced_csv(path, COLUMNS, provenance=["source"])
    assert read_sourced_csv(path, COLUMNS, provenance=["source"], allow_empty=True).empty
    # data's loaders promised FileNotFoundError, mcid's ValueError: one error keeps both promises
    with pytest.raises(FileNotFoundError, match="nope.csv: file not found"):
        read_sourced_csv(tmp_path / "nope.csv", COLUMNS)
    with pytest.raises(ValueError, match="not found"):
        read_sourced_csv(tmp_path / "nope.csv", COLUMNS)
    assert issubclass(MissingFileError, FileNotFoundError) and issubclass(MissingFileError, ValueError)


def test_every_shipped_sourced_file_passes_and_counts_its_lines_like_pandas():
    for name in ("published_results.csv", "trials.csv", "eclipse.csv", "grade_rules.csv", "mcid_thresholds.csv",
                 "peer_support/instruments.csv"):
        path = DATA / name
        table = read_sourced_csv(path, ["source"], provenance=["source"])
        # no shipped file has a cell over several lines, so record i sits on line i + 2
        assert row_location(path, table, len(table) - 1) == f"{path.name} line {len(table) + 1}"
        assert len(path.read_text(encoding="utf-8").splitlines()) == len(table) + 1
