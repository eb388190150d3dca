"""The comparison picture: real photos, bilinear, and a resizer's output, written to an image file."""
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from resizer_plugin import LearnableResizer
from resizer_plugin.photos import sample_photos
from resizer_plugin.zoo import pictures


def test_comparison_picture_has_a_row_per_photo(tmp_path):
    path = pictures.transform_comparison(sample_photos((120, 120), 2), LearnableResizer((60, 60)),
                                         str(tmp_path / "cmp.png"), (60, 60))
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape[1] > image.shape[0] * 1.2  # three columns, two rows
    assert image.std() > 20  # photos, not a blank canvas


def test_readme_picture_command(tmp_path):
    out = tmp_path / "readme.jpg"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, os.path.join(root, "docs", "draw_resizer_comparison.py"), str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 10_000 < out.stat().st_size < 300_000


def test_resizer_output_is_stretched_for_display_and_its_residual_centred_on_gray():
    """An output far outside [0, 1] keeps its structure on screen (clipping made it flat primaries), and the residual
    column shows zero as gray with its largest |value| at black or white."""
    bilinear = sample_photos((30, 30), 1)[0]
    output = bilinear * 4.0 - 2.0
    shown = pictures._stretched(output)
    assert shown.min() == 0.0 and shown.max() == 1.0
    assert np.corrcoef(shown.ravel(), bilinear.ravel())[0, 1] > 0.999
    assert np.mean((np.clip(output, 0, 1) == 0) | (np.clip(output, 0, 1) == 1)) > 0.5  # what clipping showed
    residual = pictures._signed(output - bilinear)
    assert residual.min() >= 0.0 and residual.max() <= 1.0
    assert np.isclose(min(residual.min(), 1 - residual.max()), 0.0)
    assert np.all(pictures._signed(np.zeros((4, 4, 3))) == 0.5) and np.all(pictures._stretched(np.ones((2, 2))) == 0)
