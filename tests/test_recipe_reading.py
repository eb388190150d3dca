"""Reading a recipe: a YAML error names its line and column (a number or date that is none included), one without
a position is one line too, the file is UTF-8 in any locale, and ``--set`` (or a (key, value) pair) sets a copy: a
value may hold ``=``, a list item is set by an index inside the list, and the caller's mapping is left as it was.
A backbone without a type and a plugin's refusal that names no key are named by their place in the recipe."""
import os
import subprocess
import sys

import pytest
import yaml

from resizer_plugin.compat import BACKEND
from resizer_plugin.zoo.config import recipe
from resizer_plugin.zoo.config.recipe import RecipeError, apply_overrides, load_recipe, read_yaml

from .builders import RECIPES


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


def test_a_set_values_yaml_error_names_its_column():
    with pytest.raises(RecipeError, match=r"--set name: value '\[1, 2' is not YAML: expected ',' or ']', but got "
                                          r"'<stream end>' \(column 6\)"):
        apply_overrides("r.yaml", {}, ["name=[1, 2"])


def test_a_yaml_error_without_a_position_is_one_line_all_the_same(tmp_path, monkeypatch):
    def unplaced_error(stream):
        raise yaml.MarkedYAMLError(problem="no position given")

    monkeypatch.setattr(recipe, "load_yaml", unplaced_error)
    (tmp_path / "r.yaml").write_text("name: a\n")
    with pytest.raises(RecipeError, match=r"r\.yaml: not valid YAML: no position given$"):
        read_yaml(str(tmp_path / "r.yaml"))


@pytest.mark.parametrize("value, reason", [("2020-13-45", "month must be in 1..12"),
                                           ("2021-02-29", "day is out of range for month"),
                                           ("0x_", "invalid literal for int")])
def test_a_number_or_date_that_is_none_is_a_yaml_error_at_its_place(tmp_path, value, reason):
    path = tmp_path / "r.yaml"
    path.write_text("seed: 1\nname: {}\n".format(value))
    with pytest.raises(RecipeError, match=r"not valid YAML at line 2, column 7: '{}' looks like a YAML \w+ but is "
                                          r"not one \({}".format(value, reason)):
        read_yaml(str(path))
    with pytest.raises(RecipeError, match=r"--set name: value '{}' is not YAML: .*\({}.*\) \(column 1\)$".format(
            value, reason)):
        apply_overrides("r.yaml", {}, ["name={}".format(value)])


def test_a_backbone_without_a_type_is_named():
    with pytest.raises(RecipeError, match=r"model\.backbone\.type: is required: family/Model"):
        load_recipe(os.path.join(RECIPES, "quickstart.yaml"), [("model.backbone", {"filters": 16})])


def test_a_plugins_refusal_that_names_no_key_is_named_by_its_section(monkeypatch):
    monkeypatch.setenv("RANK_SIZE", "2")
    monkeypatch.delenv("RANK_TABLE_FILE", raising=False)
    with pytest.raises(RecipeError) as info:
        load_recipe(os.path.join(RECIPES, "quickstart.yaml"), ["runtime.device=ascend"])
    assert info.value.key == "runtime"
    refusal = ("RANK_SIZE=2 needs RANK_TABLE_FILE, the rank table of the cards (npu_device refuses several cards "
               "without one)" if BACKEND == "tensorflow" else "ascend needs Keras' TensorFlow backend")
    assert "quickstart.yaml: runtime: " + refusal in str(info.value)


def test_a_recipe_is_read_as_utf8_whatever_the_locale(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("# le chat, café au lait\nname: chat-café\n", encoding="utf-8")
    ascii_locale = dict(os.environ, LC_ALL="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0")
    read = subprocess.run([sys.executable, "-c", "import sys; from resizer_plugin.zoo.config.recipe import read_yaml; "
                           "print(ascii(read_yaml(sys.argv[1])))", str(path)],
                          env=ascii_locale, capture_output=True, text=True, check=True)
    assert read.stdout.strip() == ascii({"name": "chat-café"})
