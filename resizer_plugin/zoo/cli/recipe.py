"""``zoo recipe show NAME`` and ``zoo recipe copy NAME [DEST]``: an installed recipe printed, or written out as an
editable copy (``zoo list`` shows the recipes)."""
import os
import shutil

import click

from .common import fail, recipe_file_or_fail

__all__ = ["recipe_group"]


@click.group("recipe")
def recipe_group():
    """Show or copy an installed recipe (zoo list shows them)."""


@recipe_group.command("show")
@click.argument("name")
def show_command(name):
    """Print the recipe NAME (an installed recipe's name, or a file)."""
    with open(recipe_file_or_fail(name), encoding="utf-8") as handle:
        click.echo(handle.read(), nl=False)


@recipe_group.command("copy")
@click.argument("name")
@click.argument("dest", required=False)
@click.option("--force", is_flag=True, help="write over a file already at DEST")
def copy_command(name, dest, force):
    """Write the recipe NAME to DEST (default: NAME.yaml here; a folder: NAME.yaml in it), to edit and run as a
    file."""
    source = recipe_file_or_fail(name)
    target = dest or os.path.basename(source)
    if os.path.isdir(target):
        target = os.path.join(target, os.path.basename(source))
    if os.path.exists(target) and not force:
        fail("{} already exists; pass --force to write over it".format(target))
    if os.path.abspath(target) == os.path.abspath(source):
        fail("{} is the recipe itself".format(target))
    shutil.copyfile(source, target)
    click.echo("wrote {}".format(target))
