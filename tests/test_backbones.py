"""Backbones from the zoo.backbones group: keras.applications, keras-cv (no download), local weights files."""
import numpy as np
import pytest

from resizer_plugin.compat import keras
from resizer_plugin.zoo import registry
from resizer_plugin.zoo.contract import ImageSpec

APPLICATIONS = ["DenseNet121", "DenseNet169", "DenseNet201", "ResNet50", "ResNet101", "MobileNetV2"] + \
    ["EfficientNetB{}".format(i) for i in range(8)]


def _build(type_, spec=ImageSpec(64, 64, 3), **options):
    family_name, _, model = type_.partition("/")
    family = registry.backbones.load(family_name)
    return family.build(model, family.validate(options), spec)


@pytest.mark.slow
@pytest.mark.parametrize("model", APPLICATIONS)
def test_keras_applications_build_without_top_and_without_download(model):
    backbone = _build("keras.applications/" + model)
    assert len(backbone.output.shape) == 4  # a feature map, no classifier: the recipe's head goes on top
    assert not any(isinstance(layer, keras.layers.Dense) for layer in backbone.layers)


def test_densenet121_feature_extractor_plus_head_equals_the_reference_classifier():
    backbone = _build("keras.applications/DenseNet121", ImageSpec(150, 150, 3))
    assert backbone.count_params() + (1024 * 2 + 2) == 7039554


def test_keras_cv_densenet_builds_offline_from_constructor_arguments():
    backbone = _build("keras_cv/DenseNetBackbone", ImageSpec(150, 150, 3),
                      args={"stackwise_num_repeats": [6, 12, 24, 16]})
    assert backbone.count_params() == 7037504


def test_local_weights_file_is_loaded(tmp_path):
    source = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(64, 64, 3), alpha=0.35)
    path = str(tmp_path / "mobilenet_v2_0.35_notop.weights.h5")
    source.save_weights(path)
    backbone = _build("keras.applications/MobileNetV2", weights=path, alpha=0.35)
    for expected, actual in zip(source.get_weights(), backbone.get_weights()):
        np.testing.assert_array_equal(expected, actual)


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="nothing is downloaded"):
        _build("keras.applications/ResNet50", weights=str(tmp_path / "resnet50.h5"))


def test_alpha_only_for_mobilenets():
    with pytest.raises(ValueError, match="alpha applies to MobileNet"):
        _build("keras.applications/ResNet50", alpha=0.5)


def test_small_cnn_halves_the_size_per_block():
    backbone = _build("small_cnn", ImageSpec(48, 40, 3), filters=8, blocks=3)
    assert tuple(backbone.output.shape) == (None, 6, 5, 32)
