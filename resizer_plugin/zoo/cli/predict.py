"""``zoo predict RUN_DIR PATH...``: image files classified by a run's model."""
import os

import click

from .common import USAGE_ERROR, fail, open_run_or_fail, output_path_or_fail

__all__ = ["predict_command"]


def _print_predictions(predictions):
    width = max([len(path) for path, _ in predictions.rows] + [4])
    click.echo("{:<{}}  {}".format("file", width, "prediction (class probability, best first)"))
    for path, top in predictions.rows:
        click.echo("{:<{}}  {}".format(path, width, "  ".join("{} {:.3f}".format(c, p) for c, p in top)))
    for path, reason in predictions.skipped:
        click.echo("skipped {}: {}".format(path, reason), err=True)


def _save_predictions(predictions, json_file, picture):
    import json

    from .. import pictures

    if json_file:
        rows = [{"file": path, "top": [{"class": c, "probability": p} for c, p in top]}
                for path, top in predictions.rows]
        with open(json_file, "w") as handle:
            json.dump({"predictions": rows, "skipped": [{"file": f, "reason": r} for f, r in predictions.skipped]},
                      handle, indent=2)
    if picture and predictions.rows:
        captions = ["{}\n{} {:.2f}".format(os.path.basename(path), *top[0]) for path, top in predictions.rows]
        pictures.contact_sheet(predictions.images, captions, picture)


@click.command("predict")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("paths", nargs=-1, required=True)
@click.option("--top-k", default=3, show_default=True, type=click.IntRange(min=1), help="classes shown per image")
@click.option("--checkpoint", default="best", show_default=True, help="best, last, or an epoch number")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="also write the predictions here")
@click.option("--picture", type=click.Path(dir_okay=False), help="draw the images with their predictions here")
def predict_command(run_dir, paths, top_k, checkpoint, json_file, picture):
    """Classify image files (or every file in folders) with the model of RUN_DIR, each resized as the recipe's
    pipeline resizes images. Files that are not images are listed and skipped: exit status 1 when any were,
    2 when none could be classified."""
    from ..predict import collect_files, predict

    files, missing = collect_files(paths)
    if missing:
        fail("no such file or folder: {}".format(", ".join(missing)))
    if not files:
        fail("nothing to classify: no file in {}".format(", ".join(paths)))
    run = open_run_or_fail(run_dir, checkpoint, None)
    for option, path in (("--json", json_file), ("--picture", picture)):
        if path:
            output_path_or_fail(path, option)
    predictions = predict(run, files, min(top_k, len(run.class_names)))
    _print_predictions(predictions)
    _save_predictions(predictions, json_file, picture)
    if predictions.skipped:
        fail("{} of {} files skipped (not images TensorFlow decodes)".format(len(predictions.skipped), len(files)),
              1 if predictions.rows else USAGE_ERROR)
