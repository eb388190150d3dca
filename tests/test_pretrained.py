"""A backbone from a local weights file, frozen for the first epochs while the resizer learns, then trained; and a
weights file of another architecture refused in one line."""
import numpy as np
import pytest

from resizer_plugin.compat import keras, set_random_seed

from .builders import small_recipe, write_recipe, zoo


def _weights_file(tmp_path):
    """MobileNetV2 (alpha 0.35, no top, 32x32) with seeded random weights, saved as a local weights file."""
    set_random_seed(11)
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.35)
    path = str(tmp_path / "mobilenet.weights.h5")
    backbone.save_weights(path)
    return path, backbone.get_weights()


def _recipe(tmp_path, backbone, freeze):
    return write_recipe(tmp_path, small_recipe({
        "name": "warm-start", "seed": 2, "data.val_examples": 2, "model.backbone": backbone,
        "model.stages": [{"type": "rescale"}, {"type": "learnable_resizer", "target_size": [32, 32], "filters": 4}],
        "train.epochs": 2, "train.freeze_backbone_epochs": freeze}), "warm.yaml")


def _opened(run_dir, checkpoint):
    from resizer_plugin.zoo.finished_run import open_run

    return open_run(str(run_dir), checkpoint).model


@pytest.mark.slow
def test_a_local_backbone_stays_as_loaded_while_frozen_then_trains(tmp_path):
    path, loaded = _weights_file(tmp_path)
    recipe = _recipe(tmp_path, {"type": "keras.applications/MobileNetV2", "weights": path, "alpha": 0.35}, 1)
    result = zoo("train", recipe, "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    assert "epochs from 1: backbone frozen" in result.output and "epochs from 2: backbone training" in result.output
    first, second = _opened(tmp_path / "run", "1"), _opened(tmp_path / "run", "2")
    assert all(np.array_equal(a, b) for a, b in zip(first.backbone.get_weights(), loaded))  # BN statistics too
    assert not all(np.array_equal(a, b) for a, b in zip(second.backbone.get_weights(), loaded))
    resizer = [layer for layer in first.model.layers if layer.name.startswith("learnable_resizer")][0]
    resized_later = [layer for layer in second.model.layers if layer.name.startswith("learnable_resizer")][0]
    assert not np.array_equal(resizer.get_weights()[0], resized_later.get_weights()[0])
    from resizer_plugin.zoo.training.model import build_model
    from resizer_plugin.zoo.config.recipe import load_recipe

    initial = [layer for layer in build_model(load_recipe(recipe), 4).model.layers
               if layer.name.startswith("learnable_resizer")][0]
    assert not np.array_equal(initial.get_weights()[0], resizer.get_weights()[0])  # the resizer learned in epoch 1


def test_a_weights_file_of_another_architecture_is_one_line_and_status_2(tmp_path):
    path, _ = _weights_file(tmp_path)
    recipe = _recipe(tmp_path, {"type": "keras.applications/DenseNet121", "weights": path}, 0)
    result = zoo("train", recipe, "--dry-run")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "model.backbone: weights file {} does not fit DenseNet121 without its top".format(path) in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_freeze_backbone_epochs_must_not_be_negative(tmp_path):
    recipe = _recipe(tmp_path, {"type": "small_cnn"}, -1)
    result = zoo("train", recipe, "--dry-run")
    assert result.exit_code == 2 and "train.freeze_backbone_epochs" in result.output
