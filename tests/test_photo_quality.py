"""The photo_quality source: its classes really differ at full resolution, training and validation photos are
disjoint, every crop appears once per class, and bad options are named; and the study's recipes on it: the arms of
each set differ in their front alone, which sees native pixels."""
import numpy as np
import pytest
import yaml

from resizer_plugin.datasets import photo_quality as source
from resizer_plugin.photos import FREE_PHOTOS, load_photo
from resizer_plugin.zoo.contract import DataError, OptionError

from .builders import RECIPES, zoo_run

OPTIONS = source.photo_quality.validate({"train_crops": 6, "val_crops": 3, "crop_size": 96})


def _laplacian_energy(image):
    gray = image.astype(np.float64).mean(axis=2)
    return np.mean((4 * gray[1:-1, 1:-1] - gray[:-2, 1:-1] - gray[2:, 1:-1] - gray[1:-1, :-2] - gray[1:-1, 2:]) ** 2)


def test_each_degradation_changes_a_real_photo_as_its_name_says():
    crop = load_photo("astronaut")[100:292, 200:392]
    rng = np.random.RandomState(0)
    versions = {kind: source.degrade(crop, kind, OPTIONS, rng) for kind in source.DEGRADATIONS}
    assert np.array_equal(versions["none"], crop) and all(v.dtype == np.uint8 for v in versions.values())
    assert _laplacian_energy(versions["blur"]) < 0.5 * _laplacian_energy(crop)  # sigma 1 takes the fine detail
    noise = versions["noise"].astype(float) - crop
    assert abs(noise.std() - OPTIONS["noise_sigma"]) < 0.5 and abs(noise.mean()) < 0.5
    jpeg = np.abs(versions["jpeg"].astype(float) - crop)
    assert 1.0 < jpeg.mean() < 10.0 and _laplacian_energy(versions["jpeg"]) != _laplacian_energy(crop)


def _by_photo(monkeypatch):
    """load_photo replaced by flat images whose value is the photo's index in FREE_PHOTOS."""
    monkeypatch.setattr(source, "load_photo",
                        lambda name: np.full((320, 320, 3), FREE_PHOTOS.index(name), dtype=np.uint8))


def _first_of_each_crop(pairs, classes):
    return [image for image, label in pairs[::classes]]


def test_training_and_validation_crops_come_from_disjoint_photos(monkeypatch):
    _by_photo(monkeypatch)
    options = dict(OPTIONS, degradations=["none", "jpeg"], train_crops=40)
    seen = {name: {int(image[0, 0, 0]) for image in _first_of_each_crop(source._examples(options, name), 2)}
            for name in ("train", "val")}
    val = {FREE_PHOTOS.index(p) for p in OPTIONS["val_photos"]}
    assert seen["val"] <= val and seen["train"].isdisjoint(val) and len(seen["train"]) >= 5


def test_every_crop_appears_once_per_class_in_order():
    pairs = source._examples(OPTIONS, "val")
    assert len(pairs) == 3 * 4 and [label for _, label in pairs] == [0, 1, 2, 3] * 3
    assert all(image.shape == (96, 96, 3) for image, _ in pairs)
    for start in range(0, len(pairs), 4):
        none, blur = pairs[start][0], pairs[start + 1][0]
        assert np.abs(none.astype(int) - blur).mean() > 0.2  # one crop, two classes, different pixels
    dataset = source.photo_quality.load(OPTIONS, "val", None)
    assert int(dataset.cardinality()) == 12
    assert source.photo_quality.describe(OPTIONS).class_names == ["none", "blur", "jpeg", "noise"]


@pytest.mark.parametrize("options, phrase", [
    ({"degradations": ["none"]}, "at least two of none, blur, jpeg, noise"),
    ({"degradations": ["none", "fog"]}, "['fog']"),
    ({"degradations": ["none", "none"]}, "repeated"),
    ({"val_photos": ["moon"]}, "unknown photos ['moon']"),
    ({"val_photos": list(FREE_PHOTOS)}, "leave at least two photos for training"),
    ({"jpeg_quality": 0}, "jpeg_quality"),
])
def test_bad_options_are_named(options, phrase):
    with pytest.raises(OptionError) as error:
        source.photo_quality.validate(options)
    assert phrase in str(error.value)


def test_a_crop_larger_than_a_photo_is_a_data_error_naming_the_key():
    with pytest.raises(DataError) as error:
        source._examples(dict(OPTIONS, crop_size=310), "train")
    assert error.value.key == "crop_size" and "chelsea" in str(error.value)


#: the study's two sets of arms (docs/compare.md): recipe file -> its front, the stages after the rescale
STUDY_SETS = {
    "small CNN": {"quality_bilinear": [{"type": "resize", "target_size": [48, 48], "interpolation": "bilinear"}],
                  "quality_muller": [{"type": "muller_resizer", "target_size": [48, 48], "num_layers": 2,
                                      "kernel_size": 5, "stddev": 1.0}],
                  "quality_resizer": [{"type": "learnable_resizer", "target_size": [48, 48], "filters": 16,
                                       "num_res_blocks": 1}],
                  "quality_full_resolution": []},
    "MobileNetV2": {"quality_mobilenetv2_bilinear": [{"type": "resize", "target_size": [64, 64],
                                                      "interpolation": "bilinear"}],
                    "quality_mobilenetv2_muller": [{"type": "muller_resizer", "target_size": [64, 64],
                                                    "num_layers": 2, "kernel_size": 5, "stddev": 1.0}],
                    "quality_mobilenetv2_resizer": [{"type": "learnable_resizer", "target_size": [64, 64],
                                                     "filters": 16, "num_res_blocks": 1}],
                    "quality_mobilenetv2_resizer_zero_init": [{"type": "learnable_resizer", "target_size": [64, 64],
                                                               "filters": 16, "num_res_blocks": 1,
                                                               "zero_init_residual": True}],
                    "quality_mobilenetv2_full_resolution": []}}


@pytest.mark.parametrize("arms", STUDY_SETS.values(), ids=list(STUDY_SETS))
def test_the_arms_of_a_study_differ_in_their_front_only_and_it_sees_native_pixels(arms):
    recipes = {arm: yaml.safe_load((RECIPES / (arm + ".yaml")).read_text()) for arm in arms}
    for arm, recipe in recipes.items():
        assert recipe["model"]["stages"][0]["type"] == "rescale" and recipe["model"]["stages"][1:] == arms[arm]
        assert recipe["name"] == arm.replace("_", "-")
        size = source.photo_quality.validate({k: v for k, v in recipe["data"].items()
                                             if k in source.photo_quality.options})["crop_size"]
        assert recipe["data"]["image_size"] == [size, size], arm  # no naive resize before the front
    rest = [dict(r, name=None, model=dict(r["model"], stages=None)) for r in recipes.values()]
    assert all(r == rest[0] for r in rest)


@pytest.mark.parametrize("arm, line", [
    # keras.applications' MobileNetV2, alpha 0.35, without top: 410,208; the head: 1280 * 4 + 4
    ("quality_mobilenetv2_bilinear", "parameters  415,332 (401,252 trainable)"),
    # ... and the learnable resizer's 12,163 in front (12,035 of them trainable)
    ("quality_mobilenetv2_resizer", "parameters  427,495 (413,287 trainable)")])
def test_the_mobilenetv2_arms_build_with_their_documented_parameters(arm, line):
    result = zoo_run(RECIPES / (arm + ".yaml"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert line in result.output.splitlines()
