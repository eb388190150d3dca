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
    path = pictures.resizer_comparison(sample_photos((120, 120), 2), LearnableResizer((60, 60)),
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
