import yaml

from services import geo
from tools.nlu_lookups import (
    LOOKUP_FILE,
    LOOKUP_NAME,
    PLACES_THAT_ARE_WORDS,
    lookup_entries,
    main,
    places_by_code,
    render,
    spellings,
)


def test_committed_lookup_file_equals_the_generator_output():
    # When this fails, services/geo changed: run `python -m tools.nlu_lookups` and commit.
    assert LOOKUP_FILE.read_text(encoding="utf-8") == render(lookup_entries())
    assert main(["--check"]) == 0


def test_every_municipality_and_alias_is_in_the_table():
    entries = {entry.casefold() for entry in lookup_entries()}
    names = {m.name.casefold() for m in geo.all_municipalities()}
    assert len(names) == 342
    assert names <= entries
    assert {"den bosch", "den haag", "etten leur", "baarle", "dordt"} <= entries


def test_west_brabant_comes_first_with_its_towns_and_villages():
    entries = lookup_entries()
    home = geo.region_members("regio-west-brabant")
    # Every entry is a name the geo service resolves, a town or village included.
    in_home = [geo.municipality_for_place(entry).code in home for entry in entries]
    first_elsewhere = in_home.index(False)
    assert all(in_home[:first_elsewhere]) and not any(in_home[first_elsewhere:])
    assert entries[:4] == ["Alphen-Chaam", "Alphen Chaam", "Alphen", "Chaam"]
    assert {"Prinsenbeek", "Oudenbosch", "Sint Willebrord", "Lage Zwaluwe"} <= set(entries)
    assert "Klein Zundert" in entries  # hyphenated places also with a space


def test_places_that_are_everyday_words_stay_out():
    # "ik heb dorst" (I am thirsty) must not look like a place to the classifier.
    entries = {entry.casefold() for entry in lookup_entries()}
    assert "dorst" not in entries and "schijf" not in entries
    listed = {name.casefold() for names in places_by_code().values() for name in names}
    assert not listed & PLACES_THAT_ARE_WORDS
    assert geo.municipality_for_place("Dorst").name == "Oosterhout"


def test_no_spelling_is_listed_twice():
    entries = [entry.casefold() for entry in lookup_entries()]
    assert len(entries) == len(set(entries))


def test_hyphenated_names_also_appear_with_spaces():
    assert list(spellings("Etten-Leur")) == ["Etten-Leur", "Etten Leur"]
    assert list(spellings("Breda")) == ["Breda"]


def test_file_is_a_rasa_lookup_table():
    document = yaml.safe_load(LOOKUP_FILE.read_text(encoding="utf-8"))
    (table,) = document["nlu"]
    assert table["lookup"] == LOOKUP_NAME
    listed = [line[2:] for line in table["examples"].splitlines()]
    assert listed == lookup_entries()
