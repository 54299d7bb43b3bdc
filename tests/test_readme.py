"""The README's Python example runs as written."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT


def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("FORMFLOW_SECRET_KEY", "readme")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    case = namespace["case"]
    assert case.status == "recue"  # type: ignore[attr-defined]
