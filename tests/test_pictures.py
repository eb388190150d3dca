"""The comparison picture: real photos, bilinear, and a resizer's output, written to an image file."""
import subprocess
import sys

import numpy as np
from PIL import Image

from resizer_plugin import LearnableResizer
from resizer_plugin.photos import sample_photos
from resizer_plugin.zoo import pictures

from .builders import ROOT, small_recipe, write_recipe, zoo_run


def test_comparison_picture_has_a_row_per_photo(tmp_path):
    path = pictures.transform_comparison(sample_photos((120, 120), 2), LearnableResizer((60, 60)),
                                         str(tmp_path / "cmp.png"), (60, 60))
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape[1] > image.shape[0] * 1.2  # three columns, two rows
    assert image.std() > 20  # photos, not a blank canvas


def test_readme_picture_command_draws_trained_runs(tmp_path):
    """The README picture's command, on two small trained runs (a bilinear front and a learnable resizer)."""
    folders = {}
    for label, stage in (("bilinear", {"type": "resize", "target_size": [24, 24]}),
                         ("resizer", {"type": "learnable_resizer", "target_size": [24, 24], "filters": 4})):
        recipe = write_recipe(tmp_path, small_recipe({"name": label, "model.stages": [{"type": "rescale"}, stage]}),
                              label + ".yaml")
        folders[label] = tmp_path / label
        assert zoo_run(recipe, "--output-dir", folders[label]).exit_code == 0
    out = tmp_path / "readme.jpg"
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "draw_resizer_comparison.py"), str(out),
                             "--images", "2"] + ["--run={}={}".format(k, v) for k, v in folders.items()],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape[1] > 2 * image.shape[0] and image.std() > 20  # six columns, two rows of photos


def test_resizer_output_is_stretched_for_display_and_its_residual_centred_on_gray():
    """An output far outside [0, 1] keeps its structure on screen (clipping made it flat primaries), and the residual
    column shows zero as gray and the picture's scale as white."""
    bilinear = sample_photos((30, 30), 1)[0]
    output = bilinear * 4.0 - 2.0
    shown = pictures._stretched(output)
    assert shown.min() == 0.0 and shown.max() == 1.0
    assert np.corrcoef(shown.ravel(), bilinear.ravel())[0, 1] > 0.999
    assert np.mean((np.clip(output, 0, 1) == 0) | (np.clip(output, 0, 1) == 1)) > 0.5  # what clipping showed
    scale = pictures.residual_scale([output - bilinear])
    residual = pictures._signed(output - bilinear, scale)
    assert residual.min() >= 0.0 and np.isclose(min(residual.min(), 1 - residual.max()), 0.0)
    assert np.all(pictures._signed(np.zeros((4, 4, 3)), 1.0) == 0.5)
    assert np.all(pictures._stretched(np.ones((2, 2))) == 0)


def test_every_residual_of_a_picture_is_on_one_scale_and_float_noise_is_none():
    """Two arms' residuals, one ten times the other, stay ten times apart on screen (each scaled to its own largest
    value they looked alike); a difference below FLOAT_NOISE (a bilinear arm's, whose output is the bilinear resize)
    is flat gray, not float noise stretched into a pattern, and is captioned as none."""
    pattern = sample_photos((30, 30), 1)[0] - 0.5
    scale = pictures.residual_scale([0.02 * pattern, 0.2 * pattern])
    small, large = pictures._signed(0.02 * pattern, scale), pictures._signed(0.2 * pattern, scale)
    assert np.allclose(large - 0.5, 10 * (small - 0.5), atol=1e-6) and np.isclose(np.abs(large - 0.5).max(), 0.5)
    noise = 3e-7 * np.sign(pattern)
    assert np.all(pictures._signed(noise, scale) == 0.5) and pictures.residual_scale([noise]) is None
    assert pictures._residual_note(noise).startswith("none") and pictures._residual_note(0.2 * pattern) == (
        "largest |r| {:.3f}".format(0.2 * np.abs(pattern).max()))
    assert "float noise" in pictures.residual_caption(None) and "-/+0.0921" in pictures.residual_caption(0.0921)


def test_arms_are_drawn_side_by_side_with_a_residual_each(tmp_path):
    import tensorflow as tf

    photos = sample_photos((64, 64), 2)
    arms = [("bilinear", lambda x, training=False: tf.image.resize(x, (32, 32))),
            ("resizer", LearnableResizer((32, 32), filters=4))]
    path = pictures.arms_comparison(photos, arms, str(tmp_path / "arms.png"), (32, 32), title="two arms")
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape[1] > image.shape[0] * 1.5 and image.std() > 20  # six columns, two rows of photos
