"""The ``zoo`` group: ``train`` (the ``zoo-run`` command), ``list``, ``eval``, ``predict``, ``export``, ``compare``."""
import click

from .common import configure_tensorflow
from .compare import compare_command
from .evaluate import eval_command
from .export import export_command
from .predict import predict_command
from .train import list_plugins, main

__all__ = ["zoo"]


@click.group("zoo", context_settings={"help_option_names": ["-h", "--help"]})
def zoo():
    """Train a model a recipe describes, then measure, use and export it: zoo COMMAND --help for each."""
    configure_tensorflow()
    from ..logs import setup_console

    setup_console()


@zoo.command("list")
def list_command():
    """List the installed stages, backbones, runtimes and datasets, their options and origins."""
    list_plugins()


zoo.add_command(main, name="train")
zoo.add_command(eval_command)
zoo.add_command(predict_command)
zoo.add_command(export_command)
zoo.add_command(compare_command)
