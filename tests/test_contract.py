"""The written-down contracts: option collisions with host keys, skipped-input reports, runtime flags and scopes."""
import pytest
import yaml

from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.contract import (BackboneFamily, DatasetInfo, DatasetSource, LaunchFlag, Option, Runtime,
                                         SkippedInputs, Stage, integer, split_options)
from resizer_plugin.zoo.config.recipe import RecipeError, load_recipe

RECIPE = {
    "name": "t",
    "data": {"source": "photo_crops", "image_size": [32, 32]},
    "model": {"stages": [{"type": "rescale"}], "backbone": {"type": "small_cnn", "blocks": 1}},
    "runtime": {"device": "cpu"},
}


def _recipe_with(tmp_path, monkeypatch, group, name, plugin, section_change):
    """Load RECIPE with ``plugin`` registered as ``name`` in ``group`` (a registry attribute)."""
    real = getattr(registry, group)
    original_load = real.load
    monkeypatch.setattr(real, "load", lambda n: plugin if n == name else original_load(n))
    recipe = yaml.safe_load(yaml.safe_dump(RECIPE))
    section_change(recipe)
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return load_recipe(str(path))


def _dataset(option):
    return DatasetSource("clashing", options=dict({option: Option(integer(), 1, "")}, **split_options("train", "val")),
                         describe=lambda o: DatasetInfo(["a", "b"], "here"), load=None)


class _Runtime(Runtime):
    def start(self, options):
        raise AssertionError("not started in these tests")


@pytest.mark.parametrize("group, name, plugin, change, key, host_key", [
    ("datasets", "clashing", _dataset("batch_size"), lambda r: r["data"].update(source="clashing"), "data",
     "data.batch_size"),
    ("runtimes", "clashing", _Runtime("clashing", options={"device": Option(integer(), 0, "")}),
     lambda r: r["runtime"].update(device="clashing"), "runtime", "runtime.device"),
    ("stages", "clashing", Stage("clashing", build=None, options={"type": Option(integer(), 0, "")}, trainable=False),
     lambda r: r["model"]["stages"].append({"type": "clashing"}), "model.stages[1]", "model.stages[1].type"),
    ("backbones", "clashing", BackboneFamily("clashing", options={"type": Option(integer(), 0, "")}, build=None),
     lambda r: r["model"].update(backbone={"type": "clashing"}), "model.backbone", "model.backbone.type"),
])
def test_a_plugin_option_named_like_a_host_key_is_an_error_naming_both(tmp_path, monkeypatch, group, name, plugin,
                                                                        change, key, host_key):
    with pytest.raises(RecipeError) as info:
        _recipe_with(tmp_path, monkeypatch, group, name, plugin, change)
    assert info.value.key == key
    assert "{} 'clashing' declares an option".format(plugin.kind) in str(info.value) and host_key in str(info.value)


def test_a_plugin_option_beside_host_keys_is_accepted(tmp_path, monkeypatch):
    recipe = _recipe_with(tmp_path, monkeypatch, "datasets", "clashing", _dataset("examples"),
                          lambda r: r["data"].update(source="clashing", examples=7))
    assert recipe.dataset_options["examples"] == 7 and recipe.data.batch_size == 32


def test_skipped_inputs_summary_counts_reasons_and_names_the_first():
    skipped = SkippedInputs({"empty": ["/d/b.jpg"], "not an image": ["/d/a.txt", "/d/c.txt"]}, 10)
    assert skipped.counts() == {"empty": 1, "not an image": 2}
    assert skipped.summary("folder /d") == ("folder /d: skipped 3 of 10 files (1 empty, 2 not an image); "
                                            "first: /d/a.txt")
    assert SkippedInputs({}, 10).summary("folder /d") is None


def test_runtime_flags_set_their_keys_and_select_their_runtime():
    class Flagged(_Runtime):
        def launch_flags(self):
            return (LaunchFlag("--mode", "runtime.mode", str, "", selects=True),
                    LaunchFlag("--epochs_", "train.epochs", int, ""))

    runtime = Flagged("flagged", options={})
    assert runtime.flag_overrides({"mode": None, "epochs_": 3}) == [("train.epochs", 3)]
    assert runtime.flag_overrides({"mode": "x", "epochs_": None}) == [("runtime.mode", "x"),
                                                                       ("runtime.device", "flagged")]


def test_a_runtime_resolves_to_itself_and_adds_no_flags_by_default():
    runtime = _Runtime("plain", options={})
    assert runtime.resolve(lambda name: None) is runtime and runtime.launch_flags() == ()


def _forms_inside(session):
    from resizer_plugin.layers import conv_forms

    with session.computation_scope():
        return conv_forms.active()


@pytest.mark.parametrize("pays_off, expected", [(True, "cpu"), (False, "stock")])
def test_the_cpu_runtime_switches_the_cpu_forms_on_only_where_they_pay_off(monkeypatch, pays_off, expected):
    from resizer_plugin.layers import conv_forms
    from resizer_plugin.runtimes import local

    monkeypatch.setattr(local, "cpu_conv_forms_pay_off", lambda: pays_off)
    session = local.cpu.start(local.cpu.validate({}))
    assert _forms_inside(session) == expected and conv_forms.active() == "stock"
    assert session.description.endswith("{} resizer convolutions)".format(expected))


def test_the_gpu_runtime_never_switches_the_cpu_forms_on(monkeypatch):
    from resizer_plugin.runtimes import local

    monkeypatch.setattr(local, "cpu_conv_forms_pay_off", lambda: True)
    session = local.gpu.start(local.gpu.validate({}))  # starts without a GPU too: only its availability checks
    assert _forms_inside(session) == "stock" and session.description.endswith("stock resizer convolutions)")
