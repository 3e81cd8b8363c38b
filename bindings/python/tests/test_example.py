"""The example script runs against the installed package."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_search_catalogue_example() -> None:
    script = REPO / "bindings" / "python" / "examples" / "search_catalogue.py"
    out = subprocess.run([sys.executable, str(script)], check=True, capture_output=True, text=True).stdout
    assert "indexed 10000 products" in out
    assert ">>> 'peanut butter': 97 matches" in out
    assert "Peanut Butter" in out and "how 'sugar -salt' is read" in out
    assert "bad query -> InvalidArgument: query position 0: unknown field 'colour'" in out
