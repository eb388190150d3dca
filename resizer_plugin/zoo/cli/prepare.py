"""``zoo prepare NAME SOURCE --data-dir DIR``: a data set made offline, from data a user has, in the folder its
dataset source reads, by the preparer NAME (the ``zoo.preparers`` plugins; ``zoo prepare --help`` lists them)."""
import os
import sys

import click

from ...progress import FileMeter
from .common import fail

__all__ = ["prepare_command"]


def _installed():
    """(name, what it makes and from what) of every installed preparer; one that fails to load as BROKEN."""
    from ..config.registry import preparers

    loaded, errors = preparers.load_all()
    rows = [(name, "{}. SOURCE: {}".format(p.description, p.source_help)) for name, p in loaded.items()]
    rows += [(name, "BROKEN: {}".format(error)) for name, error in errors.items()]
    return sorted(rows) or [("(none installed)", "")]


class _PrepareCommand(click.Command):
    """``zoo prepare``, whose help lists what can be prepared."""

    def format_help_text(self, ctx, formatter):
        super().format_help_text(ctx, formatter)
        with formatter.section("What can be prepared (entry-point group zoo.preparers)"):
            formatter.write_dl(_installed())


def _print_report(name, source, report):
    if report.already:
        click.echo("already prepared: {} holds {} made from these files of {} ({:,} kept); nothing written".format(
            report.location, name, source, report.kept))
        return
    click.echo("kept        {:,} of {:,} files".format(report.kept, report.skipped.examined))
    click.echo("skipped     {}".format(report.skipped.summary(source) or "none"))
    click.echo("wrote       {}".format(report.location))


def _absolute(path):
    return os.path.abspath(os.path.expanduser(path))


@click.command("prepare", cls=_PrepareCommand)
@click.argument("name")
@click.argument("source")
@click.option("--data-dir", required=True, metavar="DIR",
              help="the folder to write in: what a recipe's data.data_dir (zoo-run --data-dir) then names")
def prepare_command(name, source, data_dir):
    """Make the data set NAME, offline, from SOURCE (data you have: a folder, an archive), in the layout its dataset
    source reads, under DIR. It says how many inputs it kept and skipped, and why. A DIR that already holds what
    NAME makes of SOURCE is left as it is (exit 0); an unusable SOURCE, or a DIR holding other data, is refused in
    one line (exit 2). An interrupted run leaves nothing a dataset source would read: run it again."""
    from ..config.registry import PluginError, preparers
    from ..contract import DataError
    from ..training.logs import log

    try:
        preparer = preparers.load(name)
    except PluginError as error:
        fail(str(error))
    source, data_dir = _absolute(source), _absolute(data_dir)
    meter = FileMeter("[zoo] prepare {}".format(name), sys.stdout)
    try:
        report = preparer.prepare(source, data_dir, meter)
    except DataError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; nothing a dataset source reads was written in {}: run the command again".format(data_dir),
             130)
    finally:
        summary = meter.close("read")  # the terminal's line ended before any message
    if meter.done is not None:  # some file was read
        log.info(summary)
    _print_report(name, source, report)
