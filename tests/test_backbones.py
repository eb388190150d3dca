"""Backbones of the zoo.backbones group: keras.applications, keras-cv, keras-hub (no download), local weights."""
import numpy as np
import pytest

from resizer_plugin.compat import keras, set_random_seed
from resizer_plugin.zoo.config import registry
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


#: small keras-hub backbones from constructor arguments (the input size comes from the stage before)
KERAS_HUB_ARGS = {
    "ResNetBackbone": dict(input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 64],
                           stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
                           use_pre_activation=False),
    "DenseNetBackbone": dict(stackwise_num_repeats=[2, 2], growth_rate=16, compression_ratio=0.5),
    "MobileNetBackbone": dict(stackwise_expansion=[[32, 48]], stackwise_num_blocks=[2],
                              stackwise_num_filters=[[16, 24]], stackwise_kernel_size=[[3, 3]],
                              stackwise_num_strides=[[2, 2]], stackwise_se_ratio=[[None, 0.25]],
                              stackwise_activation=[["relu", "hard_swish"]], stackwise_padding=[[1, 1]],
                              output_num_filters=64, depthwise_filters=8, depthwise_stride=2,
                              depthwise_residual=False, last_layer_filter=64, squeeze_and_excite=0.5,
                              input_num_filters=8, input_activation="hard_swish", output_activation="hard_swish"),
    "EfficientNetBackbone": dict(stackwise_kernel_sizes=[3, 3], stackwise_num_repeats=[1, 1],
                                 stackwise_input_filters=[16, 16], stackwise_output_filters=[16, 32],
                                 stackwise_expansion_ratios=[1, 4], stackwise_squeeze_and_excite_ratios=[0.0, 0.25],
                                 stackwise_strides=[1, 2], stackwise_block_types=["fused", "unfused"],
                                 width_coefficient=1.0, depth_coefficient=1.0),
    "ViTBackbone": dict(patch_size=8, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128),
}


def _photo_batch(size=64):
    """Four real photos (two cats, two others), centre crops resized to ``size``, as uint8, and their labels."""
    import tensorflow as tf
    from skimage import data

    photos = [data.chelsea(), data.coffee(), data.chelsea()[::-1], data.astronaut()]
    crops = [tf.image.resize(photo[:300, :300], (size, size)).numpy().round().astype("uint8") for photo in photos]
    return np.stack(crops), keras.utils.to_categorical([0, 1, 0, 1], 2)


@pytest.mark.parametrize("model", sorted(KERAS_HUB_ARGS))
def test_keras_hub_backbones_build_offline_and_train_a_step_behind_the_resizer(model, tmp_path):
    import yaml

    from resizer_plugin.zoo.training.model import build_model
    from resizer_plugin.zoo.config.recipe import load_recipe

    recipe = {"name": "hub", "data": {"source": "photo_crops", "image_size": [64, 64]},
              "model": {"stages": [{"type": "rescale"},
                                   {"type": "learnable_resizer", "target_size": [32, 32], "filters": 4}],
                        "backbone": {"type": "keras_hub/" + model, "args": KERAS_HUB_ARGS[model]}},
              "runtime": {"device": "cpu"}}
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump(recipe))
    built = build_model(load_recipe(str(tmp_path / "hub.yaml")), 2)
    assert type(built.backbone).__name__ == model and tuple(built.backbone.input.shape) == (None, 32, 32, 3)
    assert len(built.backbone.output.shape) == (3 if model == "ViTBackbone" else 4)  # ViT: tokens, pooled by the head
    built.model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
    before = [w.copy() for w in built.backbone.get_weights()]
    images, labels = _photo_batch()
    loss = built.model.fit(images, labels, batch_size=4, epochs=1, verbose=0).history["loss"][0]
    assert np.isfinite(loss)
    assert not all(np.array_equal(a, b) for a, b in zip(before, built.backbone.get_weights()))


def test_keras_hub_loads_a_local_weights_file_and_refuses_presets(tmp_path):
    set_random_seed(5)
    source = _build("keras_hub/ResNetBackbone", ImageSpec(32, 32, 3), args=KERAS_HUB_ARGS["ResNetBackbone"])
    path = str(tmp_path / "resnet.weights.h5")
    source.save_weights(path)
    set_random_seed(6)
    loaded = _build("keras_hub/ResNetBackbone", ImageSpec(32, 32, 3), args=KERAS_HUB_ARGS["ResNetBackbone"],
                    weights=path)
    for expected, actual in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(expected, actual)
    with pytest.raises(ValueError, match="does not fit keras_hub.models.DenseNetBackbone"):
        _build("keras_hub/DenseNetBackbone", ImageSpec(32, 32, 3), args=KERAS_HUB_ARGS["DenseNetBackbone"],
               weights=path)
    with pytest.raises(ValueError, match="keras_hub has no model 'resnet_50_imagenet'"):  # a preset: it downloads
        _build("keras_hub/resnet_50_imagenet")


def test_keras_hub_names_the_arguments_it_refuses():
    with pytest.raises(ValueError, match=r"keras_hub.models.ViTBackbone rejects args \{'patch_size': 7\}"):
        _build("keras_hub/ViTBackbone", ImageSpec(32, 32, 3), args={"patch_size": 7})


def test_keras_3_libraries_refuse_keras_2_in_one_line(monkeypatch):
    from resizer_plugin import compat

    monkeypatch.setattr(compat, "IS_KERAS_3", False)
    with pytest.raises(ValueError, match="keras-hub backbones need Keras 3"):
        compat.import_keras_3_library("keras_hub", "keras-hub", "keras-hub")
