"""Augmentation stages in a recipe: trained in front of the resizer, the identity when the run is measured again,
and bad options named with their key."""
import json

import pytest

from resizer_plugin.compat import keras

from .builders import small_recipe, write_recipe, zoo

#: every augmentation stage whose Keras layer this Keras has (stages.LAYERS_SINCE: the others refuse to build)
AUGMENTATIONS = [{"type": "random_flip"}, {"type": "random_crop", "mode": "zoom", "fraction": 0.2},
                 {"type": "random_rotation"}, {"type": "random_contrast"}]
AUGMENTATIONS += [{"type": "random_brightness", "factor": 0.1}] if hasattr(keras.layers, "RandomBrightness") else []
AUGMENTATIONS += [{"type": "rand_augment", "num_ops": 1}] if hasattr(keras.layers, "RandAugment") else []


def _recipe(tmp_path, stages):
    resizer = small_recipe()["model"]["stages"][1]
    return write_recipe(tmp_path, small_recipe({"name": "augmented", "seed": 5, "train.epochs": 2,
                                                "model.stages": [{"type": "rescale"}] + stages + [resizer]}),
                        "augmented.yaml")


@pytest.mark.slow
def test_a_recipe_trains_with_every_augmentation_and_measures_without_them(tmp_path):
    out = tmp_path / "run"
    trained = zoo("train", _recipe(tmp_path, AUGMENTATIONS), "--output-dir", str(out))
    assert trained.exit_code == 0, trained.output
    evaluated = zoo("eval", str(out))
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / "eval.json").read_text())["accuracy"] == pytest.approx(metrics["best_val_accuracy"])


@pytest.mark.parametrize("stage, phrase", [
    ({"type": "random_flip", "mode": "diagonal"}, "model.stages[1].mode"),
    ({"type": "random_crop", "fraction": 1.5}, "model.stages[1].fraction"),
    ({"type": "random_contrast", "value_range": [1, 0]}, "model.stages[1].value_range"),
    ({"type": "random_rotation", "angle": 10}, "model.stages[1].angle"),
])
def test_bad_augmentation_options_are_one_line_naming_the_key(tmp_path, stage, phrase):
    result = zoo("train", _recipe(tmp_path, [stage]), "--dry-run")
    assert result.exit_code == 2 and phrase in result.output and "Traceback" not in result.output, result.output
