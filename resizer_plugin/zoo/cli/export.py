"""``zoo export RUN_DIR --format ...``: a run's model as serving artifacts, each reloaded in a fresh process and
compared with the Keras model before it is kept."""
import click

from ..export.formats import FORMATS, QUANTIZATIONS
from .common import fail, open_run_or_fail, output_path_or_fail

__all__ = ["export_command"]


def _kilobytes(count):
    return "{:,.0f} KB".format(count / 1024.0)


def _print_record(record):
    """One line per artifact written (or the reason it was refused)."""
    if isinstance(record, Exception):
        click.echo("refused     {}".format(record), err=True)
        return
    speed = record["images_per_second"]
    if "quantization" in record:
        check = "top-1 agreement {:.1%} on {} images (max |diff| {:.2g})".format(
            record["top1_agreement"], record["compared_images"], record["max_abs_difference"])
    else:
        check = "max |diff| {:.2g} on {} images".format(record["max_abs_difference"], record["compared_images"])
    click.echo("{:<11} {:<26} {:>9}  {};  images/s {:,.0f} (batch 1), {:,.0f} (batch 16)".format(
        record["format"], record["file"], _kilobytes(record["bytes"]), check, speed["batch_1"], speed["batch_16"]))


@click.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "formats", default="savedmodel", show_default=True,
              help="comma-separated: " + "; ".join("{} ({})".format(f.name, f.help) for f in FORMATS))
@click.option("--output", type=click.Path(file_okay=False), help="folder for the artifacts (default: RUN_DIR/export)")
@click.option("--quantize", help="also write a TFLite model quantized as {}, its top-1 agreement with the float32 "
                                 "model measured on the validation split".format(" or ".join(QUANTIZATIONS)))
@click.option("--checkpoint", default="best", show_default=True, help="best, last, or an epoch number")
def export_command(run_dir, formats, output, quantize, checkpoint):
    """Export the model of RUN_DIR for serving: uint8 images of the recipe's image_size in, class probabilities
    out, every stage inside. Each artifact is reloaded in a fresh process with its own runtime and compared with
    the Keras model on validation images; one that differs by more than 1e-4 is removed (exit status 1).
    export.json lists the artifacts, their sizes, differences and images/s."""
    from ..export.exporter import ExportError, check_backbone_format, export_run, parse_formats

    try:
        chosen = parse_formats(formats, quantize)
        run = open_run_or_fail(run_dir, checkpoint)
        check_backbone_format(run.recipe, chosen)
    except ExportError as error:
        fail(str(error))
    if output:
        output_path_or_fail(output, "--output", folder=True)
    report, _, refused = export_run(run, chosen, output or run.run_dir.export, quantize, _print_record)
    click.echo("wrote {}".format(report))
    if refused:
        fail("{} artifact(s) refused (see above)".format(len(refused)), 1)
