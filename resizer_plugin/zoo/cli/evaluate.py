"""``zoo eval RUN_DIR``: a run's model measured on a split, the report printed and saved."""
import click

from .common import fail, open_run_or_fail, output_path_or_fail

__all__ = ["eval_command"]


def _print_report(report):
    click.echo("run         {} (checkpoint {}), split {!r}, {} examples".format(
        report["run"], report["checkpoint"], report["split"], report["examples"]))
    click.echo("loss        {:.4f}\naccuracy    {:.4f}".format(report["loss"], report["accuracy"]))
    if "top_5_accuracy" in report:
        click.echo("top-5       {:.4f}".format(report["top_5_accuracy"]))
    click.echo("{:<20} {:>9} {:>9} {:>9} {:>8}".format("class", "precision", "recall", "f1", "support"))
    for name, row in report["per_class"].items():
        click.echo("{:<20} {:>9.4f} {:>9.4f} {:>9.4f} {:>8}".format(name, row["precision"], row["recall"], row["f1"],
                                                                   row["support"]))


def _save_report(run, report, json_file):
    import json

    from .. import pictures

    paths = [run.run_dir.evaluation] + ([json_file] if json_file else [])
    for path in paths:
        with open(path, "w") as handle:
            json.dump(report, handle, indent=2)
    picture = pictures.confusion_matrix(report["confusion_matrix"], report["classes"],
                                        run.run_dir.confusion_matrix,
                                        title="{} on {}".format("/".join(report["checkpoint"].rsplit("/", 2)[-2:]),
                                                                report["split"]))
    click.echo("wrote {} and {}".format(", ".join(paths), picture))


@click.command("eval")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--checkpoint", default="best", show_default=True, help="best, last, or an epoch number")
@click.option("--split", help="split to evaluate, TensorFlow Datasets' slicing syntax (default: the run's val_split)")
@click.option("--data-dir", help="where the dataset lies now, if not where it lay for training")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="also write the report here")
def eval_command(run_dir, checkpoint, split, data_dir, json_file):
    """Measure the model of RUN_DIR (a folder zoo-run wrote) on a split: loss, accuracy, per-class precision,
    recall and F1, confusion matrix (eval.json and pictures/confusion_matrix.png in RUN_DIR)."""
    from ..contract import DataError, SplitError, split as split_option
    from ..evaluate import evaluate

    try:
        split = split_option()(split) if split is not None else None
    except (SplitError, TypeError) as error:
        fail("--split {!r}: {}".format(split, error))
    run = open_run_or_fail(run_dir, checkpoint, data_dir)
    if json_file:
        output_path_or_fail(json_file, "--json")
    try:
        report = evaluate(run, split)
    except (SplitError, DataError) as error:
        fail("{}: {}".format(run_dir, error))
    _print_report(report)
    _save_report(run, report, json_file)
