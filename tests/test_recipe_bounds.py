"""A recipe's size bounds (``zoo/config/bounds.py``: strings, lists and values once aliases expand) at their exact
ends and with the key path they name, the run-name check's suggested slug, and the metrics list: pure functions, held
directly (the mutation run found these ends and paths untested through whole commands)."""
import pytest

from resizer_plugin.zoo.config.bounds import (MAX_FILE_BYTES, MAX_LIST_ITEMS, MAX_STRING_CHARS, MAX_VALUES, excess,
                                              file_excess)
from resizer_plugin.zoo.config.schema import SCHEMA, run_name


def test_a_string_and_a_list_may_be_as_long_as_their_bound_and_not_one_longer():
    assert excess({"name": "x" * MAX_STRING_CHARS, "metrics": [0] * MAX_LIST_ITEMS}) is None
    assert excess({"name": "x" * (MAX_STRING_CHARS + 1)}) == ("name", "a string of 4,097 characters, more than 4,096")
    assert excess({"metrics": [0] * (MAX_LIST_ITEMS + 1)}) == ("metrics", "a list of 1,001 items, more than 1,000")


def test_a_recipe_may_hold_as_many_values_as_its_bound_counting_itself_and_not_one_more():
    keys = MAX_VALUES - 1  # the mapping itself is one value
    assert excess({key: 0 for key in range(keys)}) is None
    assert excess({key: 0 for key in range(keys + 1)}) == (
        "(top level)", "more than 100,000 values once YAML's aliases are expanded")


def test_a_file_may_be_as_large_as_its_bound_and_not_one_byte_larger(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_bytes(b"#" * MAX_FILE_BYTES)
    assert file_excess(str(path)) is None
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert file_excess(str(path)) == "is 1,048,577 bytes, more than a recipe may be (1,048,576)"


def test_nesting_deeper_than_python_can_walk_is_named_not_raised():
    nested = []
    for _ in range(100_000):
        nested = [nested]
    assert excess({"seed": nested}) == ("(top level)", "nested too deeply")


def test_the_excess_is_named_by_its_key_path():
    deep = {"model": {"stages": [{"type": "resize"}, {"target_size": "x" * 5000}]}}
    assert excess(deep)[0] == "model.stages[1].target_size"
    assert excess(["x" * 5000])[0] == "[0]"


def test_values_reached_twice_through_aliases_count_twice():
    shared = [0] * 999  # 1,000 values
    assert excess({"a": [shared] * 99}) is None  # 1 + 1 + 99 * 1,000 = 99,002
    assert excess({"a": [shared] * 100})[0] == "a"  # 100,002, over at the list that holds them
    assert excess({"a": [shared] * 60, "b": [None] * 60}) is None  # a null is one value, whatever was counted before


@pytest.mark.parametrize("name, slug", [
    ("Ä/B", "A_B"), ("/X/", "X"), ("名前", "run"), ("é" + "x" * 150, "e" + "x" * 99), ("a b.", "a_b"),
])
def test_a_refused_run_name_suggests_a_name_that_would_do(name, slug):
    with pytest.raises(ValueError) as refused:
        run_name(name)
    assert str(refused.value).endswith("e.g. {!r}".format(slug)) and run_name(slug) == slug


def test_metrics_are_a_list_of_known_names():
    metrics = SCHEMA["train"]["metrics"].validate
    assert metrics(["accuracy"]) == ["accuracy"]
    with pytest.raises(ValueError, match="must be one of: .*did you mean 'accuracy'"):
        metrics(["acuracy"])
    with pytest.raises(TypeError, match="must be a list"):
        metrics(5)
