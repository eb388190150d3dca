"""Values that passed the dry run and crashed later: every integer option declares its range, which the dry run
enforces and `zoo list` and the docs show; YAML 1.2 numbers; what ``precision: auto`` resolves to in the dry run;
a run name that is one folder name; running out of memory said in one line."""
import pytest

from resizer_plugin.runtimes import local
from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.config.recipe import RecipeError, load_recipe
from resizer_plugin.zoo.config.schema import run_name, schema_options

from .builders import ROOT, small_recipe, write_recipe, zoo, zoo_run

IMAGE_FOLDER = {"data.source": "image_folder", "data.train_examples": None, "data.val_examples": None}


def _refused(result, phrase):
    assert result.exit_code == 2 and phrase in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("change, override, phrase", [
    ({}, "data.crop_seed=-1", "data.crop_seed: must be between 0 and 4294967294 (got -1)"),
    ({}, "data.crop_seed={}".format(2 ** 40), "data.crop_seed: must be between 0 and 4294967294 (got 1099511627776)"),
    (IMAGE_FOLDER, "data.split_seed=-1", "data.split_seed: must be between 0 and 4294967295 (got -1)"),
    ({}, "seed={}".format(2 ** 32), "seed: must be between 0 and 4294967295 (got 4294967296)"),
    ({}, "model.stages.1.filters=100000", "model.stages[1].filters: must be between 1 and 256 (got 100000)"),
    ({}, "data.shuffle_buffer=100000000", "data.shuffle_buffer: must be between 1 and 65536"),
])
def test_the_dry_run_refuses_an_integer_outside_its_declared_range(tmp_path, change, override, phrase):
    recipe = small_recipe(dict(change, **({"data.data_dir": str(tmp_path)} if change else {})))
    _refused(zoo_run(write_recipe(tmp_path, recipe), "--set", override, "--dry-run"), phrase)


def _integer_options():
    """(where, Option) of every host key and every installed plugin's option that takes an integer."""
    found = [("recipe " + key, option) for key, option in schema_options().items()]
    for group in ("stages", "datasets", "backbones", "runtimes"):
        plugins, _ = getattr(registry, group).load_all()
        found += [("{} {} {}".format(group, name, key), option) for name, plugin in plugins.items()
                  for key, option in plugin.options.items()]
    return [(where, option) for where, option in found if option.bounds is not None or (
        isinstance(option.default, int) and not isinstance(option.default, bool))]


def test_every_integer_option_declares_its_range():
    """A lower end everywhere (seeds from 0, sizes and counts from 1); the upper ends the memory sets are the
    conformance kit's for stages (check_integer_options_have_a_range) and the tests above for the others."""
    options = _integer_options()
    assert {"recipe seed", "datasets photo_crops crop_seed", "stages learnable_resizer filters"} <= {
        where for where, _ in options}
    assert [where for where, option in options if option.bounds is None or option.bounds.min is None] == []


def test_zoo_list_shows_each_range():
    result = zoo("list")
    assert result.exit_code == 0, result.output
    assert "filters: width n of the inner convolutions (default 16; between 1 and 256)" in result.output
    assert "crop_seed: seed of the crops (the validation crops': crop_seed + 1) (default 0; between 0 and " \
           "4294967294)" in result.output


def test_the_docs_show_each_range():
    docs = "\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md")))
    missing = []
    for where, option in _integer_options():
        key = where.split()[-1]
        spelled = "`{}`".format(key), "`runtime.{}`".format(key)
        if not any(str(option.bounds) in line for line in docs.splitlines() if any(s in line for s in spelled)):
            missing.append("{} ({})".format(where, option.bounds))
    assert missing == []


@pytest.mark.parametrize("written", ["1e-3", "1E-3", "1.0e-3", ".1e-2", "+1e-3"])
def test_numbers_with_an_exponent_are_numbers_in_the_file_and_in_set(tmp_path, written):
    """PyYAML reads YAML 1.1, where ``1e-3`` is a string; recipes are read as YAML 1.2 reads numbers."""
    recipe = write_recipe(tmp_path, small_recipe())  # learning_rate: 0.003
    overridden = load_recipe(recipe, ["train.optimizer.learning_rate=" + written])
    assert overridden.train.optimizer.learning_rate == pytest.approx(0.001)
    with open(recipe) as handle:
        text = handle.read()
    (tmp_path / "written.yaml").write_text(text.replace("learning_rate: 0.003", "learning_rate: " + written))
    assert load_recipe(str(tmp_path / "written.yaml")).train.optimizer.learning_rate == pytest.approx(0.001)


def test_the_dry_run_says_what_precision_auto_resolves_to_and_why(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "cpu_flags", lambda: {"avx2", "fma"})  # an AVX2 CPU's
    recipe = write_recipe(tmp_path, small_recipe({"runtime.precision": "auto"}))
    result = zoo_run(recipe, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "precision=auto -> float32: the CPU has no native bfloat16 (AVX512_BF16 or AMX_BF16 not in its flags)" \
           in result.output


@pytest.mark.parametrize("name", ["nl\n", "a/b", "runs/../x", "a\\b", "", ".hidden", "x" * 101])
def test_a_run_name_is_one_folder_name(name):
    with pytest.raises((TypeError, ValueError)):
        run_name(name)


@pytest.mark.parametrize("name", ["a", "small-run_2.1", "x" * 100])
def test_a_folder_name_is_a_run_name(name):
    assert run_name(name) == name


def test_a_name_with_a_slash_is_refused_naming_the_key(tmp_path):
    with pytest.raises(RecipeError) as refused:
        load_recipe(write_recipe(tmp_path, small_recipe({"name": "a/b"})))
    assert refused.value.key == "name" and "one folder name" in str(refused.value)


def _out_of_memory(*args, **kwargs):
    import tensorflow as tf

    raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[100000,100000,3,3]")


@pytest.mark.parametrize("part, phrase", [
    ("stage", "out of memory building model.stages[1] (learnable_resizer) with data.batch_size 8 (stage rescale 0 "
              "parameters): lower data.batch_size, data.image_size or the size options of the largest part"),
    ("backbone", "out of memory building model.backbone (small_cnn) with data.batch_size 8 (stage rescale 0 "
                 "parameters, stage learnable_resizer 1,"),
])
def test_running_out_of_memory_while_building_is_one_line(tmp_path, monkeypatch, part, phrase):
    plugin = registry.stages.load("learnable_resizer") if part == "stage" else registry.backbones.load("small_cnn")
    monkeypatch.setattr(plugin, "_build", _out_of_memory)
    _refused(zoo_run(write_recipe(tmp_path, small_recipe()), "--dry-run"), phrase)


def test_running_out_of_memory_in_training_names_each_part_and_the_batch(tmp_path, monkeypatch):
    from resizer_plugin.zoo.training.run import TrainingRun

    monkeypatch.setattr(TrainingRun, "_fit", _out_of_memory)
    result = zoo_run(write_recipe(tmp_path, small_recipe()), "--output-dir", tmp_path / "run")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    error = next(line for line in result.stderr.splitlines() if line.startswith("zoo-run: error: "))
    assert "out of memory in training with data.batch_size 8 (stage rescale 0 parameters, stage learnable_resizer " \
           "1,699 parameters, backbone small_cnn 1,464 parameters): lower data.batch_size" in error, error
