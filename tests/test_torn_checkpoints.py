"""A checkpoint cut short (a full disk, an interrupted copy): skipped with a warning for the newest intact one by
--resume, eval, predict and export; one line, exit 2, where none is intact, where the checkpoints are the TensorFlow
ones of earlier versions, or where one does not fit the recipe."""
import glob
import os
import shutil

import pytest
import yaml

from .builders import tear, write_recipe, zoo
from .conftest import SMALL_RECIPE


@pytest.fixture
def copied_run(small_run, tmp_path):
    """A copy of the 3-epoch small run (best, ckpt-1 .. ckpt-3), to tear."""
    run = tmp_path / "run"
    shutil.copytree(str(small_run), str(run))
    return run


def test_eval_predict_and_export_fall_back_to_the_newest_intact_checkpoint(copied_run, tmp_path):
    tear(copied_run / "checkpoints" / "ckpt-3.npz")
    for best in glob.glob(str(copied_run / "checkpoints" / "best" / "ckpt-*.npz")):
        tear(best)
    evaluated = zoo("eval", copied_run)
    assert evaluated.exit_code == 0, evaluated.output
    assert "checkpoint 'best' is torn: using" in evaluated.output and evaluated.output.count("ckpt-2") >= 1
    assert "checkpoint {} is torn (".format(copied_run / "checkpoints" / "ckpt-3.npz") in evaluated.output
    assert zoo("eval", copied_run, "--checkpoint", "last").exit_code == 0
    refused = zoo("eval", copied_run, "--checkpoint", "3")
    assert refused.exit_code == 2 and "checkpoint '3' is torn (" in refused.output and "Traceback" not in \
        refused.output
    photo = tmp_path / "photo.png"
    from PIL import Image

    from resizer_plugin.photos import sample_photos
    Image.fromarray(sample_photos((48, 48), 1, dtype="uint8")[0]).save(str(photo))
    assert zoo("predict", copied_run, photo).exit_code == 0
    assert zoo("export", copied_run, "--format", "keras").exit_code == 0


def test_with_no_intact_checkpoint_every_verb_says_so_in_one_line(copied_run):
    for checkpoint in glob.glob(str(copied_run / "checkpoints" / "**" / "ckpt-*.npz"), recursive=True):
        tear(checkpoint)
    for args in (("eval", copied_run), ("export", copied_run, "--format", "keras")):
        result = zoo(*args)
        assert result.exit_code == 2 and "no other is intact" in result.output and "Traceback" not in result.output


def test_resume_skips_a_torn_last_checkpoint_and_trains_on_from_the_one_before(copied_run, tmp_path):
    tear(copied_run / "checkpoints" / "ckpt-3.npz")
    recipe = write_recipe(tmp_path, SMALL_RECIPE, "small.yaml")
    result = zoo("train", recipe, "--output-dir", copied_run, "--resume")
    assert result.exit_code == 0, result.output
    assert "checkpoint {} is torn".format(copied_run / "checkpoints" / "ckpt-3.npz") in result.output
    assert "resumed from {}: 2 of 3 epochs done".format(copied_run / "checkpoints" / "ckpt-2.npz") in result.output
    rows = (copied_run / "history.csv").read_text().splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ["0", "1", "2"]  # epoch 3 trained again


def test_resume_with_every_checkpoint_torn_is_one_line(copied_run, tmp_path):
    for checkpoint in glob.glob(str(copied_run / "checkpoints" / "ckpt-*.npz")):
        tear(checkpoint)
    result = zoo("train", write_recipe(tmp_path, SMALL_RECIPE, "small.yaml"), "--output-dir", copied_run, "--resume")
    assert result.exit_code == 2 and "can be read whole" in result.output and "Traceback" not in result.output


def test_the_tensorflow_checkpoints_of_earlier_versions_are_refused_not_trained_over(copied_run, tmp_path):
    checkpoints = copied_run / "checkpoints"
    shutil.rmtree(str(checkpoints))
    checkpoints.mkdir()
    for name in ("checkpoint", "ckpt-3.index", "ckpt-3.data-00000-of-00001"):
        (checkpoints / name).write_bytes(b"written by resizer-plugin 0.1")
    history = (copied_run / "history.csv").read_text()
    for result in (zoo("eval", copied_run),
                   zoo("train", write_recipe(tmp_path, SMALL_RECIPE, "small.yaml"), "--output-dir", copied_run,
                       "--resume")):
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "TensorFlow checkpoints (ckpt-N.index), written by resizer-plugin before 0.2.0" in result.output
    assert (copied_run / "history.csv").read_text() == history and sorted(os.listdir(str(checkpoints))) == [
        "checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index"]


def test_a_checkpoint_that_does_not_fit_the_recipe_is_one_line(copied_run):
    recipe = yaml.safe_load((copied_run / "recipe.yaml").read_text())
    recipe["model"]["backbone"]["filters"] *= 2  # another model than the one the checkpoints hold
    (copied_run / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    result = zoo("eval", copied_run)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "does not fit this model: it holds" in result.output and "was the recipe changed since it was saved?" in \
        result.output
