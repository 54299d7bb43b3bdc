"""Tests for the named validators.

Real-shaped examples for each validator, hostile input for all of them, and property
tests that check every checksum against a reference written differently here (integer
arithmetic and brute force rather than the module's digit-by-digit loops).
"""

from __future__ import annotations

import doctest
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from formflow.engine import validators
from formflow.engine.validators import (
    VALIDATORS,
    Invalid,
    NamedValidator,
    email,
    fr_phone,
    fr_postcode,
    iban,
    international_phone,
    luhn_ok,
    nir,
    rna,
    siren,
    siret,
)

ALL_VALIDATORS: dict[str, NamedValidator] = {
    **VALIDATORS,
    "international_phone": international_phone,
}
PROPERTY = settings(max_examples=200, deadline=None, database=None)
DIGITS = "0123456789"
ARABIC_INDIC = str.maketrans(DIGITS, "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans(DIGITS, "０１２３４５６７８９")


# --- Reference implementations ------------------------------------------------------

_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def ref_luhn(number: str) -> bool:
    """Luhn by peeling digits off an int from the right (leading zeros add nothing)."""
    rest, total, doubled = int(number), 0, False
    while rest:
        rest, digit = divmod(rest, 10)
        total += _DOUBLED[digit] if doubled else digit
        doubled = not doubled
    return total % 10 == 0


def ref_luhn_complete(body: str) -> str:
    """The body followed by its Luhn check digit, found by trying all ten."""
    return next(body + d for d in DIGITS if ref_luhn(body + d))


def ref_siret(number: str) -> bool:
    if number.startswith("356000000"):
        return ref_luhn(number) or sum(int(c) for c in number) % 5 == 0
    return int(number[:9]) != 0 and ref_luhn(number[:9]) and ref_luhn(number)


def ref_iban_int(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text))


def ref_iban_valid(code: str) -> bool:
    return 2 <= int(code[2:4]) <= 98 and ref_iban_int(code[4:] + code[:4]) % 97 == 1


def ref_iban_make(country: str, bban: str) -> str:
    check = 98 - ref_iban_int(bban + country + "00") % 97
    return f"{country}{check:02d}{bban}"


def ref_nir_key(body: str) -> int:
    """97 - body mod 97, Corsica as 20 minus one (2A = 19) or two (2B = 18) millions."""
    department = body[5:7]
    if department in ("2A", "2B"):
        number = int(body[:5] + "20" + body[7:]) - {"2A": 1, "2B": 2}[department] * 10**6
    else:
        number = int(body)
    return 97 - number % 97


def nir_with_key(body: str) -> str:
    return f"{body}{ref_nir_key(body):02d}"


def mutated(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def test_references_agree_with_known_numbers() -> None:
    assert ref_luhn("732829320")
    assert not ref_luhn("732829321")
    assert ref_luhn_complete("73282932") == "732829320"
    assert ref_siret("73282932000074")
    assert ref_iban_valid("FR7630006000011234567890189")
    assert ref_iban_make("BE", "539007547034") == "BE68539007547034"
    assert ref_nir_key("1841276451089") == 46
    assert ref_nir_key("185052A004123") == 56


# --- Invalid, the mapping, the docstrings -------------------------------------------


def test_validators_mapping_matches_the_names_forms_may_use() -> None:
    from formflow.definitions.forms import NAMED_VALIDATORS

    assert tuple(VALIDATORS) == NAMED_VALIDATORS


def test_validators_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        VALIDATORS["siret"] = siren  # type: ignore[index]


def test_invalid_is_frozen() -> None:
    problem = siret("123")
    assert isinstance(problem, Invalid)
    with pytest.raises(AttributeError):
        problem.code = "other"  # type: ignore[misc]


def test_docstring_examples() -> None:
    result = doctest.testmod(validators)
    assert result.attempted > 20
    assert result.failed == 0


# --- Examples per validator ---------------------------------------------------------


def assert_valid(validator: NamedValidator, value: str, expected: str) -> None:
    assert validator(value) == expected
    assert validator(expected) == expected, "normalising twice changes the value"


def assert_invalid(validator: NamedValidator, value: str, code: str) -> Invalid:
    result = validator(value)
    assert isinstance(result, Invalid), f"{value!r} accepted as {result!r}"
    assert result.code == code
    assert result.message_fr
    assert result.message_en
    return result


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("732829320", "732829320"),
        ("732 829 320", "732829320"),
        (" 732\u00a0829\u202f320\t", "732829320"),
        ("552081317", "552081317"),
        ("130025265", "130025265"),
        ("356000000", "356000000"),
    ],
)
def test_siren_valid(value: str, expected: str) -> None:
    assert_valid(siren, value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "732829321",  # one digit off
        "732829302",  # two digits swapped
        "73282932",
        "7328293200",
        "000000000",
        "732-829-320",
        "732\n829\n320",
        "SIREN732829320",
        "",
        "73282932O",  # letter O for zero
    ],
)
def test_siren_invalid(value: str) -> None:
    assert_invalid(siren, value, "invalid_siren")


def test_siren_messages_tell_format_from_typo() -> None:
    format_problem = assert_invalid(siren, "1234", "invalid_siren")
    typo = assert_invalid(siren, "732829321", "invalid_siren")
    assert "9 chiffres" in format_problem.message_fr
    assert "n'existe pas" in typo.message_fr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("73282932000074", "73282932000074"),
        ("732 829 320 00074", "73282932000074"),
        ("35600000000048", "35600000000048"),  # La Poste head office: Luhn
        ("356 000 000 12341", "35600000012341"),  # La Poste: digit sum 25, not Luhn
        ("35600000012340", "35600000012340"),  # La Poste, Luhn but digit sum 24
    ],
)
def test_siret_valid(value: str, expected: str) -> None:
    assert_valid(siret, value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "73282932000075",
        "7328293200007",
        "732829320000740",
        "73282932100007",  # Luhn holds for the 14 digits but not for the SIREN part
        "00000000000000",
        "35600000012342",  # La Poste: neither Luhn nor a digit sum multiple of 5
        "732 829 320 0007A",
    ],
)
def test_siret_invalid(value: str) -> None:
    if len(value) == 14 and value.isascii() and value.isdigit():
        assert not ref_siret(value)
    assert_invalid(siret, value, "invalid_siret")


def test_siret_format_message_gives_an_example() -> None:
    problem = assert_invalid(siret, "123", "invalid_siret")
    assert problem.message_fr == (
        "Saisissez un numéro SIRET de 14 chiffres, par exemple 732 829 320 00074."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1 84 12 76 451 089 46", "184127645108946"),
        ("184127645108946", "184127645108946"),
        ("1 85 05 2a 004 123 56", "185052A00412356"),  # Corse-du-Sud
        ("2 93 03 2B 050 012 86", "293032B05001286"),  # Haute-Corse
        ("1 75 35 99 135 012 91", "175359913501291"),  # month 35: month unknown
        ("2 80 62 75 056 123 31", "280627505612331"),  # month 62
        ("7 01 01 20 123 456 72", "701012012345672"),  # provisional number
        ("3 99 01 99 216 001 23", "399019921600123"),
        ("1 96 05 96 123 045 57", "196059612304557"),  # born in Tunisia before 1956
    ],
)
def test_nir_valid(value: str, expected: str) -> None:
    assert ref_nir_key(expected[:13]) == int(expected[13:])
    assert_valid(nir, value, expected)


@pytest.mark.parametrize(
    "body",
    [
        "1841376451089",  # month 13
        "1840076451089",  # month 00
        "1841976451089",  # month 19
        "1844576451089",  # month 45
        "5841276451089",  # sex 5
        "0841276451089",  # sex 0
        "184122C451089",  # no department 2C
        "18412764510A9",
    ],
)
def test_nir_invalid_shape_whatever_the_key(body: str) -> None:
    for key in range(100):
        assert_invalid(nir, f"{body}{key:02d}", "invalid_nir")


@pytest.mark.parametrize(
    "value",
    [
        "1 84 12 76 451 089 47",
        "1 84 12 76 451 098 46",
        "18412764510894",
        "1841276451089466",
        "1 84 12 76 451 089",
        "185052A00412300",
    ],
)
def test_nir_invalid(value: str) -> None:
    assert_invalid(nir, value, "invalid_nir")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR7630006000011234567890189", "FR7630006000011234567890189"),
        ("fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("BE68539007547034", "BE68539007547034"),
        ("BE68 5390 0754 7034", "BE68539007547034"),
        ("DE89370400440532013000", "DE89370400440532013000"),
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("CH9300762011623852957", "CH9300762011623852957"),
        ("LU280019400644750000", "LU280019400644750000"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("ES9121000418450200051332", "ES9121000418450200051332"),
        ("IT60X0542811101000000123456", "IT60X0542811101000000123456"),
        ("MC5811222000010123456789030", "MC5811222000010123456789030"),
        ("FR9730006000011234567890005", "FR9730006000011234567890005"),
    ],
)
def test_iban_valid(value: str, expected: str) -> None:
    assert_valid(iban, value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "FR7630006000011234567890188",
        "FR7630006000011234567890198",  # two digits swapped
        "FR763000600001123456789018",  # one character short for France
        "BE6853900754703",
        "BE68539007547034X",
        "FR0030006000011234567890005",  # mod 97 holds, but 00 is never issued
        "7630006000011234567890189",
        "F17630006000011234567890189",
        "FR7630006000011234567890I89",
        "FR76-3000-6000-0112-3456-7890-189",
        "XX12",
    ],
)
def test_iban_invalid(value: str) -> None:
    assert_invalid(iban, value, "invalid_iban")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("75001", "75001"),
        (" 75 001 ", "75001"),
        ("01000", "01000"),
        ("20000", "20000"),  # Ajaccio: Corsica keeps 20 in postcodes
        ("20620", "20620"),
        ("95000", "95000"),
        ("97400", "97400"),
        ("98000", "98000"),
    ],
)
def test_fr_postcode_valid(value: str, expected: str) -> None:
    assert_valid(fr_postcode, value, expected)


@pytest.mark.parametrize(
    "value", ["00100", "96000", "99000", "7500", "750011", "2A000", "75OO1", "75-001", ""]
)
def test_fr_postcode_invalid(value: str) -> None:
    assert_invalid(fr_postcode, value, "invalid_fr_postcode")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("W751234567", "W751234567"),
        ("w751234567", "W751234567"),
        ("W 751 234 567", "W751234567"),
        ("W2A1002345", "W2A1002345"),
        ("w9r2001234", "W9R2001234"),
    ],
)
def test_rna_valid(value: str, expected: str) -> None:
    assert_valid(rna, value, expected)


@pytest.mark.parametrize(
    "value",
    ["751234567", "W75123456", "W7512345678", "X751234567", "W75123456A", "W75A23456B", ""],
)
def test_rna_invalid(value: str) -> None:
    assert_invalid(rna, value, "invalid_rna")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01 23 45 67 89", "+33123456789"),
        ("0123456789", "+33123456789"),
        ("01.23.45.67.89", "+33123456789"),
        ("01-23-45-67-89", "+33123456789"),
        ("+33 1 23 45 67 89", "+33123456789"),
        ("+33123456789", "+33123456789"),
        ("0033123456789", "+33123456789"),
        ("0033 1 23 45 67 89", "+33123456789"),
        ("+33 (0)1 23 45 67 89", "+33123456789"),
        ("+33 06 12 34 56 78", "+33612345678"),
        ("07 12 34 56 78", "+33712345678"),
        ("09 70 12 34 56", "+33970123456"),
        ("0262 12 34 56", "+262262123456"),  # La Réunion
        ("0692 12 34 56", "+262692123456"),
        ("+262 692 12 34 56", "+262692123456"),
        ("+33 6 92 12 34 56", "+262692123456"),
        ("0269 61 23 45", "+262269612345"),  # Mayotte
        ("0590 12 34 56", "+590590123456"),  # Guadeloupe
        ("0694 12 34 56", "+594694123456"),  # Guyane
        ("0596 12 34 56", "+596596123456"),  # Martinique
        ("05 08 41 12 34", "+508411234"),  # Saint-Pierre-et-Miquelon
        ("+508 41 12 34", "+508411234"),
        ("+508 012345", "+508012345"),  # a 0 after +508 is not always a trunk zero
    ],
)
def test_fr_phone_valid(value: str, expected: str) -> None:
    assert_valid(fr_phone, value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "00 12 34 56 78",  # 00 is the international prefix, not an area
        "0012345678",
        "1234567890",
        "012345678",
        "01234567890",
        "+32 2 123 45 67",
        "+33 00 12 34 56 78",
        "+33 1 23 45 67",
        "+262 1 23 45 67 89",  # a mainland number behind La Réunion's code
        "+508 41 12 3",
        "++33123456789",
        "01 23 45 67 8O",
        "01/23/45/67/89",
        "",
    ],
)
def test_fr_phone_invalid(value: str) -> None:
    assert_invalid(fr_phone, value, "invalid_fr_phone")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+32 2 123 45 67", "+3221234567"),
        ("0032 2 123 45 67", "+3221234567"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+1 (202) 555-0100", "+12025550100"),
        ("+33.1.23.45.67.89", "+33123456789"),
        ("+352 12345", "+35212345"),  # eight digits in all
        ("+123456789012345", "+123456789012345"),  # fifteen
    ],
)
def test_international_phone_valid(value: str, expected: str) -> None:
    assert_valid(international_phone, value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "02 123 45 67",
        "+3212345",
        "+1234567890123456",
        "+0 123 456 789",
        "000 32 2 123 45 67",
        "+32 2 123 45 6x",
        "+",
        "",
    ],
)
def test_international_phone_invalid(value: str) -> None:
    assert_invalid(international_phone, value, "invalid_international_phone")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jean.dupont@mairie.fr", "jean.dupont@mairie.fr"),
        ("  Jean.Dupont@Mairie.FR ", "Jean.Dupont@mairie.fr"),
        ("jean+demarches@exemple.co.uk", "jean+demarches@exemple.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("contact@ÉLYSÉE.fr", "contact@élysée.fr"),
        ("hélène@exemple.fr", "hélène@exemple.fr"),
        ("a@b.fr", "a@b.fr"),
        ("user@xn--lyse-9oad.fr", "user@xn--lyse-9oad.fr"),  # élysée.fr, as punycode
        ("user@exemple\uff0efr", "user@exemple.fr"),
        (f"{'a' * 64}@exemple.fr", f"{'a' * 64}@exemple.fr"),
    ],
)
def test_email_valid(value: str, expected: str) -> None:
    assert_valid(email, value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "jean.dupont",
        "jean.dupont@",
        "@mairie.fr",
        "jean@dupont@mairie.fr",
        "jean dupont@mairie.fr",
        "jean@mairie",
        "jean@mairie.fr.",
        "jean@.mairie.fr",
        "jean@mairie..fr",
        "jean@-mairie.fr",
        "jean@mairie-.fr",
        "jean@mai_rie.fr",
        "jean@192.168.0.1",
        "jean@[192.168.0.1]",
        ".jean@mairie.fr",
        "jean.@mairie.fr",
        "jean..dupont@mairie.fr",
        '"jean"@mairie.fr',
        "jean\x00@mairie.fr",
        "jean\u200b@mairie.fr",  # zero-width space
        "jean@mai\u202erie.fr",  # right-to-left override
        "jean@xn--zz.fr",  # not valid punycode
        f"{'a' * 65}@exemple.fr",
        f"{'é' * 33}@exemple.fr",  # 66 bytes of UTF-8
        f"jean@{'a' * 64}.fr",
        "",
    ],
)
def test_email_invalid(value: str) -> None:
    assert_invalid(email, value, "invalid_email")


def test_email_at_most_254_characters() -> None:
    domain = ".".join(["b" * 60] * 4) + ".fr"
    local = "a" * (254 - 1 - len(domain))
    assert email(f"{local}@{domain}") == f"{local}@{domain}"
    assert isinstance(email(f"{local}a@{domain}"), Invalid)


# --- Hostile input, for every validator ---------------------------------------------

HOSTILE = [
    pytest.param("", id="empty"),
    pytest.param(" \t\n\u3000\u00a0 ", id="whitespace-only"),
    pytest.param("7 3\n2\t8 \u2028 2 9 3 2 0", id="nested-whitespace"),
    pytest.param("\x00", id="nul"),
    pytest.param("732829320\x00", id="trailing-nul"),
    pytest.param("\x00" * 999, id="nuls"),
    pytest.param("1" * 10_000_000, id="10MB-digits"),
    pytest.param(" " * 10_000_000, id="10MB-spaces"),
    pytest.param("a@" + "b." * 5_000_000 + "fr", id="10MB-email"),
    pytest.param("1" * 1001, id="just-too-long"),
    pytest.param("٧٣٢٨٢٩٣٢٠", id="arabic-indic"),
    pytest.param("７３２８２９３２０", id="full-width"),
    pytest.param("😀" * 10, id="emoji"),
    pytest.param("\ud800\udfff", id="lone-surrogates"),
    pytest.param("\u202e732829320", id="bidi-override"),
    pytest.param("@" * 500, id="ats"),
    pytest.param("." * 500 + "@" + "." * 499, id="dots"),
    pytest.param("+" + "(" * 999, id="parentheses"),
    pytest.param("ﬀ" * 9, id="ligatures"),
]


@pytest.mark.parametrize("name", list(ALL_VALIDATORS))
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_is_refused_quickly(name: str, value: str) -> None:
    started = time.perf_counter()
    result = ALL_VALIDATORS[name](value)
    elapsed = time.perf_counter() - started
    assert isinstance(result, Invalid)
    assert result.code == f"invalid_{name}"
    assert elapsed < 0.5


@pytest.mark.parametrize(
    ("name", "example"),
    [
        ("siren", "732829320"),
        ("siret", "73282932000074"),
        ("nir", "184127645108946"),
        ("iban", "BE68539007547034"),
        ("fr_postcode", "75001"),
        ("rna", "W751234567"),
        ("fr_phone", "0123456789"),
        ("fr_phone", "+33123456789"),
        ("international_phone", "+3221234567"),
    ],
)
@pytest.mark.parametrize("script", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_digits_from_other_scripts_are_refused(
    name: str, example: str, script: dict[int, str]
) -> None:
    validator = ALL_VALIDATORS[name]
    assert isinstance(validator(example), str)
    assert isinstance(validator(example.translate(script)), Invalid)
    # A single foreign digit is enough to refuse.
    assert isinstance(validator(example[:-1] + example[-1].translate(script)), Invalid)


def test_luhn_ok_refuses_anything_but_ascii_digits() -> None:
    assert not luhn_ok("")
    assert not luhn_ok("٠")
    assert not luhn_ok("０")
    assert not luhn_ok("732 829 320")
    assert luhn_ok("0")


def test_luhn_ok_is_fast_on_huge_input() -> None:
    started = time.perf_counter()
    assert luhn_ok("0" * 10_000_000)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("name", list(ALL_VALIDATORS))
@PROPERTY
@given(value=st.text(max_size=60))
def test_any_text_gives_a_value_or_invalid_and_values_are_stable(name: str, value: str) -> None:
    validator = ALL_VALIDATORS[name]
    result = validator(value)
    if isinstance(result, str):
        assert validator(result) == result
    else:
        assert isinstance(result, Invalid)


# --- Checksums against the references -----------------------------------------------


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=DIGITS, min_size=size, max_size=size)


@PROPERTY
@given(number=st.text(alphabet=DIGITS, min_size=1, max_size=40))
def test_luhn_ok_matches_reference(number: str) -> None:
    assert luhn_ok(number) == ref_luhn(number)


@PROPERTY
@given(body=digits(8), data=st.data())
def test_siren_accepts_reference_numbers_and_refuses_one_digit_typos(
    body: str, data: st.DataObject
) -> None:
    assume(body != "00000000")
    number = ref_luhn_complete(body)
    assert siren(number) == number
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert siren(spaced) == number
    index = data.draw(st.integers(0, 8))
    char = data.draw(st.sampled_from(DIGITS).filter(lambda c: c != number[index]))
    typo = mutated(number, index, char)
    assert not ref_luhn(typo)  # Luhn catches every single-digit error
    assert isinstance(siren(typo), Invalid)


@PROPERTY
@given(body=digits(8), establishment=digits(4), data=st.data())
def test_siret_accepts_reference_numbers_and_refuses_one_digit_typos(
    body: str, establishment: str, data: st.DataObject
) -> None:
    company = ref_luhn_complete(body)
    assume(company not in ("000000000", "356000000"))
    number = ref_luhn_complete(company + establishment)
    assert siret(number) == number
    index = data.draw(st.integers(0, 13))
    char = data.draw(st.sampled_from(DIGITS).filter(lambda c: c != number[index]))
    typo = mutated(number, index, char)
    assert (siret(typo) == typo) is ref_siret(typo)


@PROPERTY
@given(establishment=digits(5))
def test_la_poste_siret_matches_reference(establishment: str) -> None:
    number = "356000000" + establishment
    assert (siret(number) == number) is ref_siret(number)


IBAN_COUNTRIES = [
    ("FR", 27),
    ("BE", 16),
    ("LU", 20),
    ("DE", 22),
    ("ES", 24),
    ("IT", 27),
    ("NL", 18),
    ("CH", 21),
    ("MC", 27),
    ("GB", 22),
    ("NO", 15),
    ("MT", 31),
    ("XK", 20),  # not in the module's table: any length from 15 to 34
    ("QA", 29),
    ("LC", 32),
]
BBAN_ALPHABET = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@PROPERTY
@given(country=st.sampled_from(IBAN_COUNTRIES), data=st.data())
def test_iban_accepts_reference_numbers_and_refuses_one_character_typos(
    country: tuple[str, int], data: st.DataObject
) -> None:
    code, length = country
    bban = data.draw(st.text(alphabet=BBAN_ALPHABET, min_size=length - 4, max_size=length - 4))
    number = ref_iban_make(code, bban)
    assert ref_iban_valid(number)
    assert iban(number) == number
    assert iban(" ".join(number[i : i + 4] for i in range(0, length, 4)).lower()) == number
    index = data.draw(st.integers(2, length - 1))
    alphabet = DIGITS if index < 4 else BBAN_ALPHABET
    char = data.draw(st.sampled_from(alphabet).filter(lambda c: c != number[index]))
    typo = mutated(number, index, char)
    assert (iban(typo) == typo) is ref_iban_valid(typo)


@PROPERTY
@given(
    country=st.sampled_from(IBAN_COUNTRIES),
    extra=st.sampled_from([-1, 1]),
    bban=st.text(alphabet=DIGITS, min_size=40, max_size=40),
)
def test_iban_length_is_checked_by_country(country: tuple[str, int], extra: int, bban: str) -> None:
    code, length = country
    number = ref_iban_make(code, bban[: length - 4 + extra])
    known = code in {"FR", "BE", "LU", "DE", "ES", "IT", "NL", "CH", "MC", "GB", "NO", "MT"}
    assert isinstance(iban(number), Invalid) is known


NIR_BODIES = st.builds(
    lambda sex, year, month, department, rest: sex + year + month + department + rest,
    sex=st.sampled_from("123478"),
    year=digits(2),
    month=st.sampled_from([f"{m:02d}" for m in [*range(1, 13), *range(20, 43), *range(50, 100)]]),
    department=st.one_of(digits(2), st.sampled_from(["2A", "2B"])),
    rest=digits(6),
)
# Positions whose digits are free: year, commune and order, and the key.
NIR_FREE_POSITIONS = [1, 2, 7, 8, 9, 10, 11, 12, 13, 14]


@PROPERTY
@given(body=NIR_BODIES, data=st.data())
def test_nir_accepts_reference_keys_and_refuses_one_digit_typos(
    body: str, data: st.DataObject
) -> None:
    number = nir_with_key(body)
    assert nir(number) == number
    assert nir(number.lower()) == number
    index = data.draw(st.sampled_from(NIR_FREE_POSITIONS))
    char = data.draw(st.sampled_from(DIGITS).filter(lambda c: c != number[index]))
    typo = mutated(number, index, char)
    reference_valid = ref_nir_key(typo[:13]) == int(typo[13:])
    assert (nir(typo) == typo) is reference_valid


@PROPERTY
@given(body=NIR_BODIES, key=st.integers(0, 99))
def test_nir_accepts_exactly_the_reference_key(body: str, key: int) -> None:
    number = f"{body}{key:02d}"
    assert (nir(number) == number) is (key == ref_nir_key(body))


@PROPERTY
@given(first=st.sampled_from("123456789"), rest=digits(8), data=st.data())
def test_fr_phone_forms_agree(first: str, rest: str, data: st.DataObject) -> None:
    national = "0" + first + rest
    e164 = fr_phone(national)
    assert isinstance(e164, str)
    assert e164.startswith("+")
    assert fr_phone(e164) == e164
    separator = data.draw(st.sampled_from([" ", ".", "-", ""]))
    grouped = separator.join(national[i : i + 2] for i in range(0, 10, 2))
    assert fr_phone(grouped) == e164
    assert fr_phone("0033" + national[1:]) == e164
    assert fr_phone("+33 (0)" + national[1:]) == e164
    assert international_phone(e164) == e164
