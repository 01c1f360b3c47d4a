import yaml

from bot.nlu_lookups import LOOKUP_FILE, LOOKUP_NAME, lookup_entries, main, render, spellings
from services import geo


def test_committed_lookup_file_equals_the_generator_output():
    # When this fails, services/geo changed: run `python -m bot.nlu_lookups` and commit.
    assert LOOKUP_FILE.read_text(encoding="utf-8") == render(lookup_entries())
    assert main(["--check"]) == 0


def test_every_municipality_and_alias_is_in_the_table():
    entries = {entry.casefold() for entry in lookup_entries()}
    names = {m.name.casefold() for m in geo.all_municipalities()}
    assert len(names) == 342
    assert names <= entries
    assert {"den bosch", "den haag", "etten leur", "baarle", "dordt"} <= entries


def test_west_brabant_comes_first():
    entries = lookup_entries()
    home = geo.region_members("regio-west-brabant")
    in_home = [geo.find_municipality(entry).code in home for entry in entries[:20]]
    assert all(in_home)
    assert entries[0] == "Alphen-Chaam"
    assert geo.find_municipality(entries[len(home) * 2]).code not in home


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
