"""formflow.cli: the ``formflow`` command as a collectivity uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CATALOG, FIXTURES

from formflow.cli import main


def test_validate_the_bundled_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["catalog", "validate", str(CATALOG), "--site", str(CATALOG / "sites/demo.yaml")]) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    # demo.yaml is in the catalogue's sites/ and given with --site: counted once.
    assert out == "ok: 1 form, 1 workflow, 1 card, 1 site file\n"


def test_validate_reports_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "catalog"
    shutil.copytree(CATALOG, broken)
    shutil.copy(FIXTURES / "invalid/forms/trois-erreurs.yaml", broken / "forms")
    shutil.copy(FIXTURES / "invalid/sites/groupe-inconnu.yaml", broken / "sites")
    assert main(["catalog", "validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.count("trois-erreurs.yaml:") == 3
    # A catalogue with problems stops before the sites; a valid one goes on to them.
    (broken / "forms/trois-erreurs.yaml").unlink()
    assert main(["catalog", "validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "groupe-inconnu.yaml:6: roles.receiver[0]: unknown group 'proprte'" in err
    assert err.rstrip().endswith("1 problem found.")


def test_validate_a_missing_site_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "validate", str(CATALOG), "--site", "nowhere.yaml"]) == 1
    assert "formflow: site file 'nowhere.yaml' does not exist" in capsys.readouterr().err


def test_validate_defaults_to_the_bundled_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./catalog here
    assert main(["catalog", "validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "list", str(CATALOG)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["slug", "title", "category", "workflow", "version"]
    assert any(line.startswith("demande-de-bac ") and "traitement-simple" in line for line in lines)


def test_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "show", "demande-de-bac", str(CATALOG)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Demander un bac à déchets  [demande-de-bac, version ")
    assert "page 1: Votre demande [demande]" in out
    assert "if motif == 'remplacement'" in out
    assert "recue: Demande reçue  (initial)" in out
    assert "refuser [receiver] -> refusee" in out


def test_show_unknown_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "show", "demande-de-bak", str(CATALOG)]) == 1
    assert "did you mean 'demande-de-bac'" in capsys.readouterr().err


def test_schema_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schemas"
    assert main(["schema", "--out", str(out), "--check"]) == 1
    assert main(["schema", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "card.schema.json",
        "form.schema.json",
        "site.schema.json",
        "workflow.schema.json",
    ]
    assert main(["schema", "--out", str(out), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "catalog" in capsys.readouterr().out
