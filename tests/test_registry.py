"""Entry-point discovery: real registrations, broken plugins, clashing names, and stage option validation."""
import subprocess
import sys
import textwrap

import pytest

from resizer_plugin import stages as our_stages
from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.contract import ImageSpec, StageConfigError
from resizer_plugin.zoo.config.registry import DuplicatePluginError, PluginLoadError, Registry, UnknownPluginError


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """Install (on sys.path) a distribution 'thirdparty-stages 0.3' whose zoo.stages entries are given as text."""
    def install(entry_points, module_source=""):
        dist_info = tmp_path / "thirdparty_stages-0.3.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-stages\nVersion: 0.3\n")
        (dist_info / "entry_points.txt").write_text("[zoo.stages]\n" + textwrap.dedent(entry_points))
        (tmp_path / "thirdparty_stages_mod.py").write_text(textwrap.dedent(module_source))
        monkeypatch.syspath_prepend(str(tmp_path))
    yield install
    sys.modules.pop("thirdparty_stages_mod", None)


STAGES = ['learnable_resizer', 'muller_resizer', 'rand_augment', 'random_brightness', 'random_contrast', 'random_crop',
          'random_flip', 'random_rotation', 'rescale', 'resize']


def test_entry_points_list_every_stage_after_install():
    code = ("from importlib.metadata import entry_points; "
            "print(sorted(e.name for e in entry_points(group='zoo.stages')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(STAGES)


def test_registered_stages_are_this_packages_objects():
    assert registry.stages.load("learnable_resizer") is our_stages.learnable_resizer
    assert registry.stages.entry("rescale").distribution.startswith("resizer-plugin ")


def test_unknown_name_lists_installed_stages():
    with pytest.raises(UnknownPluginError, match=r"unknown stage 'bilinearr'.*: " + ", ".join(STAGES)):
        registry.stages.load("bilinearr")


def test_broken_plugin_is_reported_and_spares_the_others(fake_distribution):
    fake_distribution("broken = thirdparty_missing_module_zz:stage\n")
    with pytest.raises(PluginLoadError) as info:
        registry.stages.load("broken")
    message = str(info.value)
    assert "thirdparty-stages 0.3" in message and "ModuleNotFoundError" in message
    loaded, errors = registry.stages.load_all()
    assert set(errors) == {"broken"}
    assert {"rescale", "resize", "learnable_resizer"} <= set(loaded)


def test_entry_point_of_the_wrong_type_is_rejected(fake_distribution):
    fake_distribution("not_a_stage = thirdparty_stages_mod:thing\n", "thing = 42\n")
    with pytest.raises(PluginLoadError, match="not_a_stage.*is a int, not a Stage"):
        registry.stages.load("not_a_stage")


def test_two_distributions_with_one_name_is_an_error_naming_both(fake_distribution):
    fake_distribution("resize = thirdparty_stages_mod:stage\n", "stage = None\n")
    with pytest.raises(DuplicatePluginError) as info:
        registry.stages.load("resize")
    assert "resizer-plugin" in str(info.value) and "thirdparty-stages 0.3" in str(info.value)
    loaded, errors = registry.stages.load_all()
    assert set(errors) == {"resize"} and "learnable_resizer" in loaded


def test_third_party_stage_is_found(fake_distribution):
    fake_distribution("double = thirdparty_stages_mod:double\n", """
        from resizer_plugin.zoo.contract import Stage
        from resizer_plugin.compat import keras
        double = Stage("double", build=lambda o, spec: (keras.layers.Rescaling(2.0), spec), options={}, trainable=False)
    """)
    stage = registry.stages.load("double")
    layer, spec = stage({}, ImageSpec(10, 12, 3))
    assert spec == ImageSpec(10, 12, 3) and float(layer([[[[1.0, 1.0, 1.0]]]])[0, 0, 0, 0]) == 2.0


def test_empty_group_says_none_installed():
    with pytest.raises(UnknownPluginError, match=r"\(none installed\)"):
        Registry("zoo.no_such_group_zz").load("x")


@pytest.mark.parametrize("stage, config, key, phrase", [
    ("learnable_resizer", {"filters": 0}, "filters", "between 1 and 256"),
    ("learnable_resizer", {"filters": 16.5}, "filters", "must be an integer"),
    ("learnable_resizer", {"filters": True}, "filters", "must be an integer"),
    ("learnable_resizer", {"num_res_blocks": -1}, "num_res_blocks", "between 0 and 16"),
    ("learnable_resizer", {"target_size": [150, -150]}, "target_size", "between 1 and 16384"),
    ("learnable_resizer", {"target_size": 150}, "target_size", "[height, width]"),
    ("learnable_resizer", {"interpolation": "bilinearr"}, "interpolation", "one of"),
    ("learnable_resizer", {"filter": 16}, "filter", "unknown option"),
    ("resize", {"antialias": "yes"}, "antialias", "true or false"),
    ("rescale", {"scale": "1/255"}, "scale", "must be a number"),
])
def test_bad_options_name_the_stage_and_key(stage, config, key, phrase):
    with pytest.raises(StageConfigError) as info:
        registry.stages.load(stage)(config, ImageSpec(300, 300, 3))
    message = str(info.value)
    assert "stage {!r}, option {!r}".format(stage, key) in message and phrase in message
    assert info.value.stage == stage and info.value.key == key


def test_options_are_filled_with_defaults():
    options = registry.stages.load("learnable_resizer").validate({"target_size": [224, 160]})
    assert options == {"target_size": (224, 160), "interpolation": "bilinear", "antialias": False,
                       "filters": 16, "num_res_blocks": 1, "zero_init_residual": False}
