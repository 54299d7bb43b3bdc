"""formflow.catalog: loading catalogues and site files, every problem located."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CATALOG, FIXTURES

from formflow.catalog import Catalog, definition_version, load_catalog, load_site, read_definition
from formflow.exceptions import DefinitionError, NotFoundError
from formflow.loaders import DictLoader

INVALID = FIXTURES / "invalid"
EXPECT = re.compile(r"^# expect: (.*)$", re.MULTILINE)


def _catalogue_files() -> dict[str, bytes]:
    return {
        f"{kind}/{path.name}": path.read_bytes()
        for kind in ("forms", "workflows", "cards", "sites")
        for path in sorted((CATALOG / kind).glob("*.yaml"))
    }


def _located(exc: DefinitionError, file_name: str) -> set[str]:
    """The problems of one file as ``line: path: message``."""
    return {f"{p.line}: {p.path}: {p.message}" for p in exc.problems if p.file.endswith(file_name)}


CATALOGUE_FILES = sorted(
    f"{kind}/{path.name}"
    for kind in ("forms", "workflows", "cards")
    for path in (CATALOG / kind).glob("*.yaml")
)


@pytest.mark.parametrize("name", CATALOGUE_FILES)
def test_every_catalogue_file_is_valid_on_its_own(name: str) -> None:
    kind = name.split("/")[0]
    result = read_definition((CATALOG / name).read_bytes(), kind, name)
    assert result.problems == []
    assert result.definition is not None


def test_the_catalogue_loads_with_every_file(catalog: Catalog) -> None:
    assert set(catalog.forms) == {Path(n).stem for n in CATALOGUE_FILES if n.startswith("forms")}
    assert set(catalog.workflows) == {
        Path(n).stem for n in CATALOGUE_FILES if n.startswith("workflows")
    }
    for entry in catalog.forms.values():
        assert entry.definition.workflow in catalog.workflows


@pytest.mark.parametrize("name", sorted(p.name for p in (CATALOG / "sites").glob("*.yaml")))
def test_every_site_file_loads(catalog: Catalog, name: str) -> None:
    site = load_site(CATALOG / "sites" / name, catalog)
    assert site.procedures
    for procedure in site.procedures.values():
        for role, groups in procedure.roles.items():
            assert groups, f"role {role} of {procedure.slug} is mapped to no group"


INVALID_FILES = sorted(
    f"{kind}/{path.name}"
    for kind in ("forms", "workflows", "cards", "sites")
    for path in (INVALID / kind).glob("*.yaml")
)


@pytest.mark.parametrize("name", INVALID_FILES)
def test_invalid_fixture_gives_its_expected_located_messages(name: str) -> None:
    text = (INVALID / name).read_bytes()
    expected = set(EXPECT.findall(text.decode()))
    assert expected, f"{name} states no '# expect:' line"
    files = _catalogue_files()
    if name.startswith("sites/"):
        catalog = load_catalog(DictLoader(files))
        with pytest.raises(DefinitionError) as caught:
            load_site(text, catalog, name=name)
    else:
        files[name] = text
        with pytest.raises(DefinitionError) as caught:
            load_catalog(DictLoader(files))
    assert _located(caught.value, name) == expected
    # Problems in an invalid file never spill over onto the valid files.
    assert {p.file for p in caught.value.problems} == {name}


def test_three_mistakes_give_three_located_messages_in_one_run() -> None:
    files = _catalogue_files()
    files["forms/trois-erreurs.yaml"] = (INVALID / "forms" / "trois-erreurs.yaml").read_bytes()
    with pytest.raises(DefinitionError) as caught:
        load_catalog(DictLoader(files))
    assert len(caught.value.problems) == 3
    text = str(caught.value)
    assert text.startswith("3 problems:\n")
    # Each problem quotes the offending line under its location.
    assert "forms/trois-erreurs.yaml:15: pages[0].fields[0].type:" in text
    assert "\n    type: choise\n" in text


def test_problem_in_a_shared_workflow_names_the_form_it_is_used_with() -> None:
    files = _catalogue_files()
    workflow = files["workflows/traitement-simple.yaml"].decode()
    files["workflows/traitement-simple.yaml"] = workflow.replace(
        "label: Acceptée", "label: Acceptée\n    message: '{{ answers.nom_inconnu }}'"
    ).encode()
    with pytest.raises(DefinitionError) as caught:
        load_catalog(DictLoader(files))
    [problem] = caught.value.problems
    assert problem.message == "unknown answers.nom_inconnu (with form 'demande-de-bac')"


def test_a_broken_workflow_is_not_also_reported_as_unknown_by_its_forms() -> None:
    files = _catalogue_files()
    files["workflows/traitement-simple.yaml"] = files["workflows/traitement-simple.yaml"].replace(
        b"initial: recue", b"initial: recue\ncolour: red"
    )
    with pytest.raises(DefinitionError) as caught:
        load_catalog(DictLoader(files))
    assert [p.message for p in caught.value.problems] == [
        "unknown key 'colour' (did you mean 'colours'?)"
    ] or all("unknown workflow" not in p.message for p in caught.value.problems)


def test_two_files_with_one_slug_are_refused() -> None:
    files = _catalogue_files()
    files["forms/copie.yaml"] = files["forms/demande-de-bac.yaml"]
    with pytest.raises(DefinitionError) as caught:
        load_catalog(DictLoader(files))
    messages = {p.message for p in caught.value.problems}
    assert "slug 'demande-de-bac' differs from the file name 'copie'" in messages


def test_version_ignores_layout_and_comments_but_not_content() -> None:
    original = (CATALOG / "forms" / "demande-de-bac.yaml").read_bytes()
    reformatted = b"# a comment\n" + original.replace(b"title: Demander", b"title:   Demander")
    changed = original.replace(b"title: Demander", b"title: Commander")
    versions = [
        definition_version(read_definition(text, "forms").definition)  # type: ignore[arg-type]
        for text in (original, reformatted, changed)
    ]
    assert versions[0] == versions[1] != versions[2]
    assert re.fullmatch(r"[0-9a-f]{16}", versions[0])


def test_json_files_are_read_like_yaml() -> None:
    text = b'{"format": 1, "slug": "x", "title": "X", "key": "a", "label": "{{ a }}",'
    text += b' "fields": [{"id": "a", "type": "text", "label": "A"}]}'
    files = {"cards/x.json": text}
    catalog = load_catalog(files)
    assert catalog.card("x").definition.key == "a"


def test_lookups_suggest_the_nearest_name(catalog: Catalog) -> None:
    with pytest.raises(NotFoundError, match=r"did you mean 'demande-de-bac'"):
        catalog.form("demande-de-bak")
    with pytest.raises(NotFoundError, match="no workflow"):
        catalog.workflow("nope")
    with pytest.raises(NotFoundError, match="no card"):
        catalog.card("nope")


def test_site_resolves_parameters_roles_and_titles(catalog: Catalog) -> None:
    site = load_site("catalog/sites/demo.yaml", catalog)
    procedure = site.procedure("demande-de-bac")
    # The site's value wins over the default; a parameter it omits takes the default.
    assert procedure.parameters == {"delai_jours": 10, "service": "Service propreté"}
    assert procedure.roles == {"receiver": ("proprete",)}
    assert procedure.title == "Demander un bac à déchets"
    assert procedure.workflow.definition.slug == "traitement-simple"


def test_site_can_be_given_as_data_or_by_name(catalog: Catalog) -> None:
    data = {
        "format": 1,
        "slug": "petite-commune",
        "name": "Petite commune",
        "groups": {"mairie": "Mairie"},
        "roles": {"receiver": "mairie"},
        "procedures": {"demande-de-bac": {"title": "Un bac", "enabled": False}},
    }
    site = load_site(data, catalog)
    assert site.procedures["demande-de-bac"].title == "Un bac"
    with pytest.raises(NotFoundError, match="offers no procedure"):
        site.procedure("demande-de-bac")  # disabled
    assert load_site("demo", catalog).definition.slug == "demo"
    with pytest.raises(NotFoundError):
        load_site("nowhere", catalog)
    with pytest.raises(NotFoundError):
        load_site("missing/site.yaml", catalog)


def test_a_required_parameter_without_default_must_be_set(catalog: Catalog) -> None:
    files = _catalogue_files()
    form = files["forms/demande-de-bac.yaml"].decode()
    files["forms/demande-de-bac.yaml"] = form.replace(
        "    default: Service propreté\n", ""
    ).encode()
    catalog = load_catalog(DictLoader(files))
    site = {
        "format": 1,
        "slug": "s",
        "name": "S",
        "groups": {"g": "G"},
        "roles": {"receiver": "g"},
        "procedures": {"demande-de-bac": None},
    }
    with pytest.raises(DefinitionError) as caught:
        load_site(site, catalog)
    [problem] = caught.value.problems
    assert problem.path == "procedures.demande-de-bac"
    assert problem.message.startswith("parameter 'service' of 'demande-de-bac' has no default")


def test_an_empty_catalogue_is_valid_but_empty() -> None:
    catalog = load_catalog({})
    assert not catalog.forms
    assert catalog.site_files() == []


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(DefinitionError, match="a form file must be a mapping"):
        load_catalog({"forms/x.yaml": "- a\n- b\n"})


def test_a_shared_workflow_is_checked_against_each_form_once() -> None:
    files = _catalogue_files()
    workflow = files["workflows/traitement-simple.yaml"].decode()
    files["workflows/traitement-simple.yaml"] = workflow.replace(
        "      - {do: anonymise}", "      - {do: anonymise, keep: [adresse, telephon]}"
    ).encode()
    with pytest.raises(DefinitionError) as caught:
        load_catalog(DictLoader(files))
    assert [p.message for p in caught.value.problems] == [
        "unknown field 'telephon' (did you mean 'telephone'?) (with form 'demande-de-bac')"
    ]


def test_boolean_parameters_default_to_false(catalog: Catalog) -> None:
    files = _catalogue_files()
    form = files["forms/demande-de-bac.yaml"].decode()
    files["forms/demande-de-bac.yaml"] = form.replace(
        "parameters:\n", "parameters:\n  sur_rendez_vous: {type: boolean, label: Sur rendez-vous}\n"
    ).encode()
    site = load_site(CATALOG / "sites/demo.yaml", load_catalog(DictLoader(files)))
    assert site.procedure("demande-de-bac").parameters["sur_rendez_vous"] is False


@pytest.mark.parametrize("value", ["yes", "on", "oui", 1])
def test_booleans_must_be_true_or_false(value: object) -> None:
    text = (CATALOG / "forms/demande-de-bac.yaml").read_text().replace(
        "tracking_code", "x"
    ) + f"tracking_code: {value}\n"
    result = read_definition(text.encode(), "forms", "forms/demande-de-bac.yaml")
    assert [p.path for p in result.problems] == ["tracking_code"]


def test_format_is_required() -> None:
    text = (CATALOG / "cards/modeles-de-bac.yaml").read_text().replace("format: 1\n", "")
    result = read_definition(text, "cards", "cards/modeles-de-bac.yaml")
    assert [(p.path, p.message) for p in result.problems] == [
        ("format", "missing required key 'format'")
    ]
