"""Runs every ```python block of README.md as written (tools/check_readme_blocks.py
checks that each one is marked to be run here), in a scratch directory that
has the repository's examples/."""

from __future__ import annotations

import pathlib
import re
from typing import List

import pytest

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def python_blocks() -> List[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)


def test_readme_has_python_blocks() -> None:
    assert python_blocks()


@pytest.mark.parametrize("number", range(len(python_blocks())))
def test_readme_python_block(number: int, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "examples").symlink_to(README.parent / "examples")
    monkeypatch.chdir(tmp_path)
    code = compile(python_blocks()[number], f"README.md python block {number + 1}", "exec")
    exec(code, {"__name__": "__readme__"})  # The README's own code.
    assert capsys.readouterr().out  # It printed its results.
