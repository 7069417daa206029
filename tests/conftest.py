import json
from pathlib import Path

import pytest

REFERENCE = Path(__file__).parent / "reference" / "metafor_reference.json"


@pytest.fixture(scope="session")
def reference():
    """metafor 3.8-1 results on dat.bcg and dat.normand1999 (see reference/README.md)."""
    return json.loads(REFERENCE.read_text())
