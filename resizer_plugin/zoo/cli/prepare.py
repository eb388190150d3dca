"""``zoo prepare NAME SOURCE --data-dir DIR``: a data set made offline, from data a user has, in the folder its
dataset source reads, by the preparer NAME (the ``zoo.preparers`` plugins; ``zoo prepare --help`` lists them)."""
import os
import sys
import time

import click

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


class _Progress:
    """A preparer's ``progress(done, total)``: where ``stream`` is a terminal (stdout, as Keras' progress bar in
    zoo-run: the CLI filters stderr through a pipe), one line, rewritten, with the files done out of all and the files
    per second, ending as the summary; elsewhere only :meth:`finish`'s summary line, logged."""

    def __init__(self, stream):
        self.stream, self.terminal = stream, stream.isatty()
        self.start, self.shown, self.done = None, 0.0, 0

    def __call__(self, done, total):
        self.done, now = done, time.time()
        self.start = self.start or now
        if self.terminal and (now - self.shown >= 0.5 or done == total):
            self.shown = now
            self._show("{:,}/{:,} files, {:.1f} files/s".format(done, total, self._rate(now)))

    def _rate(self, now):
        return self.done / max(now - self.start, 1e-6)

    def _show(self, text, end=""):
        self.stream.write("\r[zoo] {:<48}{}".format(text, end))
        self.stream.flush()

    def finish(self):
        """The summary line, where any file was read."""
        from ..training.logs import log

        if self.start is None:
            return
        now = time.time()
        summary = "read {:,} files in {:.1f} s ({:.1f} files/s)".format(self.done, now - self.start, self._rate(now))
        if self.terminal and self.shown:
            self._show(summary, "\n")
        else:
            log.info(summary)


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

    try:
        preparer = preparers.load(name)
    except PluginError as error:
        fail(str(error))
    source, data_dir = _absolute(source), _absolute(data_dir)
    progress = _Progress(sys.stdout)
    try:
        report = preparer.prepare(source, data_dir, progress)
    except DataError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; nothing a dataset source reads was written in {}: run the command again".format(data_dir),
             130)
    progress.finish()
    _print_report(name, source, report)
