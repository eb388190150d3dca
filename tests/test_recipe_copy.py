"""zoo recipe copy names the copy after its file, so that the copy and the recipe it came from run side by side (each
in runs/<name>), as docs/recipes.md runs them: zoo recipe copy quickstart my_recipe.yaml, then zoo-run my_recipe.yaml."""
import pytest
import yaml

from resizer_plugin.zoo.cli.recipe import named_copy

from .builders import RECIPES, zoo


def test_a_copy_under_another_file_name_takes_that_name_and_nothing_else_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copied = zoo("recipe", "copy", "quickstart", "my_recipe.yaml")
    assert copied.exit_code == 0, copied.output
    assert copied.output == ("wrote my_recipe.yaml, named my_recipe (was quickstart): its runs go to a folder of their "
                             "own\n")
    original = (RECIPES / "quickstart.yaml").read_text().splitlines(keepends=True)
    copy = (tmp_path / "my_recipe.yaml").read_text().splitlines(keepends=True)
    assert [line for line in original if line not in copy] == ["name: quickstart\n"]  # comments and all kept
    assert [line for line in copy if line not in original] == ["name: my_recipe\n"]
    assert yaml.safe_load("".join(copy)) == dict(yaml.safe_load("".join(original)), name="my_recipe")


@pytest.mark.parametrize("text, expected", [
    ("name: a  # the run\nseed: 1\n", "name: b  # the run\nseed: 1\n"),  # the comment stays
    ("# name: a, said the comment\nname: 'a'\n", "# name: a, said the comment\nname: b\n"),
    ("seed: 1\r\nname: a\r\n", "seed: 1\r\nname: b\r\n"),  # Windows line ends kept
    ("data:\n  name: a\nname: a\n", "data:\n  name: a\nname: b\n"),  # a nested name: is no run name
])
def test_only_the_top_level_name_value_changes(text, expected):
    assert named_copy(text, "b") == (expected, "a")


def test_a_file_name_that_is_no_run_name_leaves_the_name_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert named_copy("name: a\n", "123") == ("name: '123'\n", "a")  # YAML would read 123 as a number
    assert named_copy("name: a\n", "my recipe") == (None, "a")
    copied = zoo("recipe", "copy", "quickstart", "my recipe.yaml")
    assert copied.exit_code == 0 and "its name stays quickstart ('my recipe' is no run name)" in copied.output
    assert (tmp_path / "my recipe.yaml").read_text() == (RECIPES / "quickstart.yaml").read_text()
