"""The ``zoo`` group: ``train`` (the ``zoo-run`` command), ``list``, ``eval``, ``predict``, ``export``, ``compare``,
``recipe``, ``prepare``."""
import click

from .compare import compare_command
from .evaluate import eval_command
from .export import export_command
from .list import list_command
from .predict import predict_command
from .prepare import prepare_command
from .recipe import recipe_group
from .train import main

__all__ = ["zoo"]


@click.group("zoo", context_settings={"help_option_names": ["-h", "--help"]})
def zoo():
    """Train a model a recipe describes, then measure, use and export it: zoo COMMAND --help for each."""
    from ..training.logs import setup_console

    setup_console()


zoo.add_command(list_command)
zoo.add_command(main, name="train")
zoo.add_command(eval_command)
zoo.add_command(predict_command)
zoo.add_command(export_command)
zoo.add_command(compare_command)
zoo.add_command(recipe_group)
zoo.add_command(prepare_command)
