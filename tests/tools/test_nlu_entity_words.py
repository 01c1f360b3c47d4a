import pytest
import yaml

from tools.nlu_entity_words import (
    LOOKUP_FILE,
    SKIPPED_TYPES,
    entity_type_by_value,
    main,
    render,
    synonyms,
    tables,
)


def test_committed_file_equals_the_generator_output():
    # When this fails, synonyms.yml changed: run `python -m tools.nlu_entity_words` and commit.
    assert LOOKUP_FILE.read_text(encoding="utf-8") == render(tables())
    assert main(["--check"]) == 0


def test_every_synonym_spelling_is_in_the_table_of_its_entity_type():
    types = entity_type_by_value()
    grouped = tables()
    for value, spellings in synonyms():
        if types[value] in SKIPPED_TYPES:
            continue
        assert set(spellings) <= set(grouped[types[value]]), value
    assert "computerles" in grouped["topic"]
    assert "avond" in grouped["time_of_day"]


def test_municipalities_keep_their_own_table():
    assert "municipality" not in tables()


def test_file_is_a_set_of_rasa_lookup_tables():
    document = yaml.safe_load(LOOKUP_FILE.read_text(encoding="utf-8"))
    names = [table["lookup"] for table in document["nlu"]]
    assert names == [f"{entity}_words" for entity in tables()]
    assert {"topic_words", "language_words", "situation_words", "help_kind_words"} <= set(names)


def test_a_synonym_without_an_annotated_entity_is_an_error(tmp_path):
    synonyms_file = tmp_path / "synonyms.yml"
    synonyms_file.write_text(
        'version: "3.1"\nnlu:\n  - synonym: nowhere\n    examples: |\n      - ergens\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="nowhere"):
        tables(synonyms_file=synonyms_file, nlu_dir=tmp_path)
