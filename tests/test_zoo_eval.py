"""zoo eval and predict: a finished run measured again, agreeing with what training measured; the report's
arithmetic; files classified as the pipeline feeds them; errors."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from resizer_plugin import compat
from resizer_plugin.zoo.evaluate import classification_report

from .builders import zoo


@pytest.fixture
def run_dir(small_run):
    return small_run


def _history(run_dir):
    lines = (run_dir / "history.csv").read_text().splitlines()
    return [dict(zip(lines[0].split(","), map(float, line.split(",")))) for line in lines[1:]]


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.keras2
def test_the_best_checkpoint_on_the_validation_split_reproduces_training(run_dir):
    result = zoo("eval", run_dir)
    assert result.exit_code == 0, result.output
    report = json.loads((run_dir / "eval.json").read_text())
    best = max(_history(run_dir), key=lambda row: row["val_accuracy"])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert report["accuracy"] == pytest.approx(metrics["best_val_accuracy"], abs=1e-6)
    assert report["loss"] == pytest.approx(best["val_loss"], rel=1e-4)
    assert report["split"] == "val" and report["examples"] == 24 and report["checkpoint"].endswith("best/ckpt-{}.npz".format(
        int(best["epoch"]) + 1))
    assert sum(row["support"] for row in report["per_class"].values()) == 24
    assert np.sum(report["confusion_matrix"]) == 24 and "top_5_accuracy" not in report  # 4 classes
    assert (run_dir / "pictures" / "confusion_matrix.png").stat().st_size > 5000
    assert "accuracy    {:.4f}".format(report["accuracy"]) in result.output


@pytest.mark.slow
@pytest.mark.parametrize("checkpoint, epoch", [("last", 3), ("2", 2)])
def test_any_kept_checkpoint_reproduces_its_epoch(run_dir, tmp_path, checkpoint, epoch):
    out = tmp_path / "report.json"
    result = zoo("eval", run_dir, "--checkpoint", checkpoint, "--json", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    row = _history(run_dir)[epoch - 1]
    assert report["accuracy"] == pytest.approx(row["val_accuracy"], abs=1e-6)
    assert report["loss"] == pytest.approx(row["val_loss"], rel=1e-4)


@pytest.mark.slow
def test_another_split(run_dir):
    result = zoo("eval", run_dir, "--split", "train")
    assert result.exit_code == 0, result.output
    assert json.loads((run_dir / "eval.json").read_text())["examples"] == 64


@pytest.mark.slow
@pytest.mark.parametrize("args, phrase", [
    (["--checkpoint", "9"], "no checkpoint '9' (kept: best, last, 1, 2, 3)"),
    (["--split", "train[:140%]"], "--split 'train[:140%]': percent bounds"),
    (["--split", "test"], "split 'test' names 'test'; this dataset has: train, val"),
])
def test_bad_requests_are_one_line_and_status_2(run_dir, args, phrase):
    result = zoo("eval", run_dir, *args)
    assert result.exit_code == 2 and phrase in result.output and "Traceback" not in result.output


def test_a_folder_without_a_run_is_refused(tmp_path):
    result = zoo("eval", tmp_path)
    assert result.exit_code == 2 and "is not a run directory: it has no recipe.yaml" in result.output


def test_classification_report_by_hand():
    """6 examples of 3 classes; class 0: 2 right, class 1: 1 right 1 taken for 2, class 2: 1 right 1 taken for 0."""
    probabilities = np.eye(3)[[0, 0, 1, 2, 2, 0]]
    labels = np.array([0, 0, 1, 1, 2, 2])
    report = classification_report(probabilities, labels, ["a", "b", "c"])
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["confusion_matrix"] == [[2, 0, 0], [0, 1, 1], [1, 0, 1]]
    assert report["per_class"]["a"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8),
                                        "support": 2}
    assert report["per_class"]["b"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert report["per_class"]["c"]["precision"] == 0.5 and report["per_class"]["c"]["recall"] == 0.5


def test_top_5_accuracy_above_5_classes():
    probabilities = np.tile(np.arange(7, dtype=float)[::-1] / 21, (2, 1))  # class 0 most likely, 6 least
    report = classification_report(probabilities, np.array([4, 5]), list("abcdefg"))
    assert report["accuracy"] == 0.0 and report["top_5_accuracy"] == 0.5


def _write_validation_crops(run_dir, folder):
    """The run's validation crops as lossless PNG files named <index>_<label>.png."""
    from PIL import Image

    from resizer_plugin.zoo.config.recipe import load_recipe

    recipe = load_recipe(str(run_dir / "recipe.yaml"))
    raw = recipe.dataset.load(recipe.dataset_options, "val", None)
    for index, (image, label) in enumerate(raw):
        Image.fromarray(image.numpy()).save(str(folder / "{:03d}_{}.png".format(index, int(label))))
    return recipe


@pytest.mark.slow
@pytest.mark.jax
def test_predict_classifies_files_as_the_pipeline_feeds_the_model(run_dir, tmp_path):
    """The validation crops as files: predict's top-1 agrees with eval's accuracy on the same images."""
    folder = tmp_path / "crops"
    folder.mkdir()
    recipe = _write_validation_crops(run_dir, folder)
    out = tmp_path / "predictions.json"
    result = zoo("predict", run_dir, folder, "--json", out, "--top-k", "2")
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["predictions"]
    classes = recipe.dataset.describe(recipe.dataset_options).class_names
    right = [classes[int(os.path.basename(r["file"])[4:-4])] == r["top"][0]["class"] for r in rows]
    assert len(rows) == 24 and all(len(r["top"]) == 2 and r["top"][0]["probability"] >= r["top"][1]["probability"]
                                   for r in rows)
    evaluation = zoo("eval", run_dir, "--json", tmp_path / "eval.json")
    assert np.mean(right) == pytest.approx(json.loads((tmp_path / "eval.json").read_text())["accuracy"])
    assert evaluation.exit_code == 0
    expected = _pipeline_probabilities(run_dir)
    for row in rows:
        index, top = int(os.path.basename(row["file"])[:3]), row["top"][0]
        assert top["probability"] == pytest.approx(expected[index][classes.index(top["class"])], abs=1e-5)


def _pipeline_probabilities(run_dir):
    """The model's probabilities for the validation split, fed by the training pipeline itself."""
    from resizer_plugin.zoo.finished_run import open_run
    from resizer_plugin.zoo.training.pipeline import make_pipeline

    run = open_run(str(run_dir))
    data = run.recipe.data
    raw = run.recipe.dataset.load(run.recipe.dataset_options, "val", None)
    batches = make_pipeline(raw, data.image_size, 8, len(run.class_names), False, None, one_hot=False)
    return np.concatenate([compat.to_numpy(run.model.model(images.numpy(), training=False)).astype(np.float32)
                           for images, _ in batches])


@pytest.mark.slow
def test_predict_skips_what_is_not_an_image_and_says_so(run_dir, pet_images, tmp_path):
    from PIL import Image
    from skimage import data

    Image.fromarray(data.rocket()).save(str(tmp_path / "rocket.webp"))
    picture = tmp_path / "sheet.png"
    result = zoo("predict", run_dir, pet_images, tmp_path / "rocket.webp", "--picture", picture, "--json",
                  tmp_path / "p.json")
    assert result.exit_code == 1
    report = json.loads((tmp_path / "p.json").read_text())
    webp = [] if hasattr(tf.io, "decode_webp") else ["WebP, which TensorFlow {} does not decode".format(tf.__version__)]
    assert len(report["predictions"]) == 16 + 3 + 1 - len(webp)  # photos, gray/RGBA/GIF, the WebP
    assert sorted(s["reason"] for s in report["skipped"]) == sorted(["corrupt or truncated", "empty", "not an image"]
                                                                    + webp)
    assert "skipped {}: empty".format(os.path.join(pet_images, "Dog", "zero.jpg")) in result.output
    assert "zoo: error: {} of 23 files skipped".format(3 + len(webp)) in result.output
    assert picture.stat().st_size > 20000


@pytest.mark.slow
def test_predict_with_nothing_to_classify_is_status_2(run_dir, tmp_path):
    (tmp_path / "notes.jpg").write_text("not a photo")
    assert zoo("predict", run_dir, tmp_path / "notes.jpg").exit_code == 2
    result = zoo("predict", run_dir, tmp_path / "no_such.jpg")
    assert result.exit_code == 2 and "no such file or folder: " in result.output
    (tmp_path / "empty").mkdir()
    (tmp_path / "x.jpg").mkdir()  # a folder named like a photo
    (tmp_path / "loop").mkdir()
    os.symlink("..", str(tmp_path / "loop" / "up"))  # a folder holding only a link to its parent
    for folder in ("empty", "x.jpg", "loop"):
        result = zoo("predict", run_dir, tmp_path / folder)
        assert result.exit_code == 2 and "nothing to classify: no file in" in result.output, (folder, result.output)


@pytest.mark.slow
def test_predict_never_blocks_on_a_fifo(run_dir, tmp_path):
    """A FIFO in a folder, or named directly, is skipped as no regular file: reading it would wait forever."""
    import subprocess
    import sys

    from resizer_plugin.photos import sample_photos
    from PIL import Image

    Image.fromarray(sample_photos((48, 48), 1, dtype="uint8")[0]).save(str(tmp_path / "photo.png"))
    os.mkfifo(str(tmp_path / "f.png"))
    for paths, status in (([tmp_path], 1), ([tmp_path / "f.png"], 2)):
        result = subprocess.run([sys.executable, "-c", "from resizer_plugin.zoo.cli import run_zoo; run_zoo()",
                                 "predict", str(run_dir)] + [str(p) for p in paths],
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == status, result.stderr[-2000:]
        assert "skipped {}: not a regular file".format(tmp_path / "f.png") in result.stderr
