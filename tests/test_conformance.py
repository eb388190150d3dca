"""The conformance kit on every registered stage, and proof that each of its checks can fail."""
import pytest

from resizer_plugin.testing import conformance
from resizer_plugin.testing.conformance import (CHECKS, ConformanceError, check_stage, checks_for,
                                                parametrize_with_checks)
from resizer_plugin.compat import XLA_IN_COMPILE, keras
from resizer_plugin.stages import LAYERS_SINCE
from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.contract import ImageSpec, Stage, StageConfigError

from .broken_stages import BROKEN, ChannelMean, forgets_config, produces_nan

REGISTERED = registry.stages.names()


def test_this_package_registers_the_resizer_stages():
    assert {"rescale", "resize", "learnable_resizer"} <= set(REGISTERED)


#: stage -> the Keras layer it wraps, for the stages whose layer this Keras may lack (stages.LAYERS_SINCE)
NEWER_LAYERS = {"random_brightness": "RandomBrightness", "rand_augment": "RandAugment"}
MISSING = {stage: layer for stage, layer in NEWER_LAYERS.items() if not hasattr(keras.layers, layer)}


@parametrize_with_checks(REGISTERED)
def test_registered_stage_conforms(stage, check):
    if stage.name in MISSING:
        pytest.skip("keras.layers.{} is newer than this Keras; the stage refuses to build (tested below)".format(
            MISSING[stage.name]))
    check(stage)


@pytest.mark.parametrize("stage", sorted(NEWER_LAYERS))
def test_a_stage_whose_keras_layer_is_missing_says_which_keras_brought_it(stage, monkeypatch):
    layer = NEWER_LAYERS[stage]
    monkeypatch.delattr(keras.layers, layer, raising=False)
    expected = r"{}.*needs keras.layers.{} \(Keras {} and later\); this is Keras".format(stage, layer,
                                                                                        LAYERS_SINCE[layer])
    with pytest.raises(StageConfigError, match=expected):
        registry.stages.load(stage)({}, ImageSpec(32, 32, 3))


def test_augmentations_are_declared_and_the_others_are_not():
    declared = {name for name in REGISTERED if registry.stages.load(name).augmentation}
    assert {"random_flip", "random_crop", "random_rotation", "random_contrast", "random_brightness",
            "rand_augment"} <= declared and not declared & {"rescale", "resize", "learnable_resizer"}


def test_every_check_has_a_broken_stage():
    assert set(BROKEN) == {c.__name__ for c in CHECKS}


@pytest.mark.parametrize("check_name, broken, phrase",
                         [(c, s, p) for c, cases in BROKEN.items() for s, p in cases],
                         ids=lambda v: v.name if hasattr(v, "name") else None)
def test_check_fails_on_broken_stage(check_name, broken, phrase):
    if "jit_compile=True" in phrase and not XLA_IN_COMPILE:
        pytest.skip("XLA is checked only where Model.compile offers it (tf.keras >= 2.8)")
    check = getattr(conformance, check_name)
    with pytest.raises(ConformanceError) as info:
        check(broken)
    assert broken.name in str(info.value)
    assert phrase.lower() in str(info.value).lower()


def test_check_stage_reports_every_failure():
    with pytest.raises(ConformanceError) as info:
        check_stage(produces_nan)
    message = str(info.value)
    assert "check_fit_step_in_front_of_backbone" in message and "check_mixed_precision" in message
    assert "check_output_spec" not in message


def test_check_stage_passes_on_registered_name():
    assert check_stage("resize") == [c.__name__ for c in CHECKS if c is not conformance.check_augmentation]


def test_a_stage_gets_the_checks_of_its_declared_traits_only():
    augmentation, other = registry.stages.load("random_flip"), registry.stages.load("learnable_resizer")
    assert augmentation.augmentation and not other.augmentation
    assert checks_for(augmentation) == CHECKS
    assert checks_for(other) == tuple(c for c in CHECKS if c is not conformance.check_augmentation)
    ids = [p.id for p in parametrize_with_checks([other, augmentation]).args[1]]
    assert "learnable_resizer-check_augmentation" not in ids and "random_flip-check_augmentation" in ids


def test_parametrize_ids_read_well():
    mark = parametrize_with_checks([forgets_config], checks=CHECKS[:2])
    assert [p.id for p in mark.args[1]] == ["forgets_config-check_builds_from_defaults",
                                            "forgets_config-check_output_spec"]


def test_pytest_plugin_runs_kit_on_named_stage(pytester):
    result = pytester.runpytest_subprocess("--zoo-stage", "resize", "-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(CHECKS) - 1)  # resize is no augmentation


def test_pytest_plugin_reports_unknown_stage(pytester):
    result = pytester.runpytest_subprocess("--zoo-stage", "no_such_stage_zz", "-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown stage 'no_such_stage_zz'*"])


def test_pytest_plugin_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, resizer_plugin.testing.pytest_plugin; "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_public_kit_api_from_the_testing_package():
    from resizer_plugin import testing

    assert testing.check_stage is check_stage and testing.CHECKS is CHECKS


def test_every_check_runs_alone_from_the_testing_package():
    from resizer_plugin import testing

    assert set(testing.__all__) == set(conformance.__all__)
    for check in CHECKS:
        assert getattr(testing, check.__name__) is check


def test_a_stage_of_one_channel_builds_from_defaults():
    class OneChannel(ChannelMean):
        def call(self, inputs, training=None):
            return super().call(inputs)[..., None]

    gray = Stage("gray", build=lambda o, spec: (OneChannel(), ImageSpec(spec.height, spec.width, 1)), options={},
                 trainable=False)
    conformance.check_builds_from_defaults(gray)


def test_check_stage_runs_only_the_checks_it_is_given():
    assert check_stage("resize", checks=[conformance.check_builds_from_defaults]) == ["check_builds_from_defaults"]


def test_parametrize_names_the_test_arguments_stage_and_check():
    assert parametrize_with_checks(["resize"]).args[0] == "stage, check"


def test_the_save_and_load_check_leaves_the_working_directory_as_it_was(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conformance.check_keras_save_load("resize")
    assert list(tmp_path.iterdir()) == []
