"""Recipes by name: the bundled ones through the zoo.recipes entry-point group, another package's beside them, which
one a name runs (a file here, then the alphabetically first distribution), zoo list, zoo recipe show and copy, and
the closest names for a typo."""
import pathlib
import subprocess
import sys
import textwrap
import zipfile

import pytest
import yaml

from resizer_plugin.zoo.config.catalog import find_recipe, installed_recipes

from .builders import RECIPES, ROOT, zoo, zoo_run

BUNDLED = sorted(path.stem for path in RECIPES.glob("*.yaml"))


@pytest.fixture
def other_package(tmp_path, monkeypatch):
    """Install (on sys.path) 'other-recipes 1.0' shipping the recipes given as {entry name: (file, YAML text)}."""
    def install(recipes):
        package = tmp_path / "other_recipes_pkg"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        lines = []
        for name, (file_name, text) in recipes.items():
            if text is not None:
                (package / file_name).write_text(textwrap.dedent(text))
            lines.append("{} = other_recipes_pkg:{}".format(name, file_name))
        dist_info = tmp_path / "other_recipes-1.0.dist-info"
        dist_info.mkdir(exist_ok=True)
        (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: other-recipes\nVersion: 1.0\n")
        (dist_info / "entry_points.txt").write_text("[zoo.recipes]\n" + "\n".join(lines) + "\n")
        monkeypatch.syspath_prepend(str(tmp_path))
    yield install
    sys.modules.pop("other_recipes_pkg", None)


def test_every_bundled_recipe_is_installed_by_name_with_its_first_comment_line():
    installed = installed_recipes()
    assert set(BUNDLED) <= set(installed) and {"quickstart", "densenet_cats_dogs"} <= set(BUNDLED)
    for name in BUNDLED:
        recipe = installed[name][0]
        assert recipe.problem is None and recipe.path == str(RECIPES / (name + ".yaml"))
        assert recipe.distribution.startswith("resizer-plugin ")
        assert recipe.description == open(recipe.path).readline().lstrip("#").strip() != ""


def test_zoo_list_shows_every_bundled_recipe():
    result = zoo("list")
    assert result.exit_code == 0, result.output
    listed = result.output.split("recipes (zoo.recipes):")[1].splitlines()
    assert sorted(line.split()[0] for line in listed if line.strip()) == BUNDLED
    assert any(line.split()[:1] == ["quickstart"] and "Quickstart: which of four photos" in line for line in listed)


def test_a_name_runs_the_recipe_and_a_file_here_wins(tmp_path, monkeypatch):
    path, note = find_recipe("quickstart")
    assert path == str(RECIPES / "quickstart.yaml") and note is None
    monkeypatch.chdir(tmp_path)
    (tmp_path / "quickstart").write_text("name: mine\n")
    path, note = find_recipe("quickstart")
    assert path == "quickstart" and note.startswith("quickstart: the file here is used, not the recipe of that name "
                                                     "from resizer-plugin")


def test_of_two_packages_shipping_one_name_the_first_distribution_wins_and_the_note_says_so(other_package):
    other_package({"quickstart": ("quickstart.yaml", "# theirs\nname: theirs\n")})
    shipped = installed_recipes()["quickstart"]
    assert [r.distribution.split()[0] for r in shipped] == ["other-recipes", "resizer-plugin"]
    path, note = find_recipe("quickstart")
    assert yaml.safe_load(open(path))["name"] == "theirs"
    assert note.startswith("recipe 'quickstart': other-recipes 1.0's is used, not resizer-plugin")


def test_another_packages_recipe_runs_by_name_and_a_broken_entry_spares_the_rest(other_package):
    other_package({"tiny_other": ("tiny.yaml", """\
        # Another package's recipe
        name: tiny-other
        data: {source: photo_crops, image_size: [32, 32], batch_size: 4}
        model:
          stages: [{type: rescale}, {type: resize, target_size: [16, 16]}]
          backbone: {type: small_cnn, blocks: 1}
        """), "gone": ("gone.yaml", None)})
    result = zoo_run("tiny_other", "--dry-run")
    assert result.exit_code == 0 and "recipe      tiny-other" in result.output, result.output
    listed = zoo("list").output
    assert "tiny_other" in listed and "Another package's recipe  [other-recipes 1.0]" in listed
    assert "gone                       BROKEN: points at other_recipes_pkg:gone.yaml, which is not a file" in listed
    assert "quickstart" in listed
    result = zoo_run("gone")
    assert result.exit_code == 2 and "recipe 'gone' from other-recipes 1.0 points at" in result.output


@pytest.mark.parametrize("command", [("train",), ("recipe", "show"), ("recipe", "copy"), ("compare", "quickstart")])
def test_a_name_that_matches_nothing_gets_the_closest_names(command):
    result = zoo(*command, "quickstrat")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'quickstrat' is neither a file nor an installed recipe (did you mean 'quickstart'?)" in result.output


def test_recipe_show_prints_it_and_copy_writes_an_editable_copy(tmp_path, monkeypatch):
    shown = zoo("recipe", "show", "quickstart")
    assert shown.exit_code == 0 and shown.output == (RECIPES / "quickstart.yaml").read_text()
    monkeypatch.chdir(tmp_path)
    copied = zoo("recipe", "copy", "quickstart")
    assert copied.exit_code == 0 and (tmp_path / "quickstart.yaml").read_text() == shown.output
    refused = zoo("recipe", "copy", "quickstart")
    assert refused.exit_code == 2 and "quickstart.yaml already exists; pass --force" in refused.output
    (tmp_path / "mine").mkdir()
    assert zoo("recipe", "copy", "warm_start", "mine").exit_code == 0
    assert (tmp_path / "mine" / "warm_start.yaml").exists()
    (tmp_path / "quickstart.yaml").write_text("edited")
    assert zoo("recipe", "copy", "quickstart", "--force").exit_code == 0
    assert (tmp_path / "quickstart.yaml").read_text() == shown.output


@pytest.mark.parametrize("change, phrase", [
    ({"model.stages": [{"type": "learnable_resizr"}]}, "unknown stage 'learnable_resizr' (did you mean "
                                                       "'learnable_resizer' or 'muller_resizer'?)"),
    ({"train.epoch": 2}, "train.epoch: unknown key (did you mean 'epochs'?)"),
    ({"data.source": "photo_crop"}, "unknown dataset 'photo_crop' (did you mean 'photo_crops'?)"),
    ({"runtime.device": "gpus"}, "unknown runtime 'gpus' (did you mean 'gpu'?)"),
    ({"model.backbone": {"type": "keras.applications/DenseNet12"}}, "has no model 'DenseNet12' (did you mean "
                                                                    "'DenseNet121'"),
    ({"model.backbone": {"type": "small_cnnn"}}, "unknown backbone 'small_cnnn' (did you mean 'small_cnn'?)"),
    ({"data.train_exampels": 3}, "data.train_exampels: unknown option (did you mean 'train_examples'"),
    ({"train.optimizer.type": "adamm"}, "must be one of: sgd, adam, adamw, rmsprop (did you mean 'adam' or "),
])
def test_a_typo_is_answered_with_the_closest_names(tmp_path, change, phrase):
    from .builders import small_recipe, write_recipe

    result = zoo_run(write_recipe(tmp_path, small_recipe(change)), "--dry-run")
    assert result.exit_code == 2 and phrase in result.output and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_readme_path_of_every_bundled_recipe_runs_from_a_checkout(tfds_dir, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = zoo_run("recipes/densenet_cats_dogs.yaml", "--dry-run", "--data-dir", tfds_dir)
    assert result.exit_code == 0 and "\nparameters  7,051,717 (6,967,941 trainable)\n" in result.output, result.output
    for name in BUNDLED:
        assert find_recipe("recipes/{}.yaml".format(name)) == ("recipes/{}.yaml".format(name), None)


@pytest.mark.slow
def test_the_wheel_ships_the_files_of_recipes_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    with zipfile.ZipFile(next(tmp_path.glob("resizer_plugin-*.whl"))) as wheel:
        shipped = {pathlib.PurePosixPath(name).name: wheel.read(name) for name in wheel.namelist()
                   if name.startswith("resizer_plugin/recipes/") and name.endswith(".yaml")}
        registered = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")))
    assert shipped == {path.name: path.read_bytes() for path in RECIPES.glob("*.yaml")}
    for name in BUNDLED:
        assert "{0} = resizer_plugin.recipes:{0}.yaml".format(name) in registered.decode()
