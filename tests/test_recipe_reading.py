"""Reading a recipe: a YAML error names its line and column, and ``--set`` (or a (key, value) pair) sets a copy:
a value may hold ``=``, a list item is set by an index inside the list, and the caller's mapping is left as it was."""
import pytest

from resizer_plugin.zoo.config.recipe import RecipeError, apply_overrides, read_yaml


def test_a_yaml_error_names_its_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: a\nseed: 1\n  bad: 2\n")  # line 3's colon, column 6, opens a mapping inside a value
    with pytest.raises(RecipeError, match=r"not valid YAML at line 3, column 6: mapping values are not allowed here"):
        read_yaml(str(path))


def test_a_set_value_may_hold_equals_signs():
    assert apply_overrides("r.yaml", {"name": "a"}, ["name=a=b"]) == {"name": "a=b"}


def test_set_changes_a_copy_and_leaves_the_callers_mapping_as_it_was():
    raw = {"data": {"batch_size": 8}}
    assert apply_overrides("r.yaml", raw, ["data.batch_size=4"]) == {"data": {"batch_size": 4}}
    assert apply_overrides("r.yaml", raw, [("data.batch_size", 2)]) == {"data": {"batch_size": 2}}
    assert raw == {"data": {"batch_size": 8}}


@pytest.mark.parametrize("item", ["stages.2=x", ("stages.2", "x")])
def test_a_list_item_is_set_only_by_an_index_inside_the_list(item):
    raw = {"stages": [{"type": "rescale"}, {"type": "resize"}]}
    assert apply_overrides("r.yaml", raw, ["stages.1=x"]) == {"stages": [{"type": "rescale"}, "x"]}
    with pytest.raises(RecipeError, match=r"--set stages\.2: no list item 2 here"):
        apply_overrides("r.yaml", raw, [item])
    with pytest.raises(RecipeError, match=r"--set stages\.first: no list item first here"):
        apply_overrides("r.yaml", raw, ["stages.first=x"])
