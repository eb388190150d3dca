"""``zoo recipe show NAME`` and ``zoo recipe copy NAME [DEST]``: an installed recipe printed, or written out as an
editable copy named after its file (``zoo list`` shows the recipes)."""
import os
import re

import click

from .common import fail, output_path_or_fail, recipe_file_or_fail

__all__ = ["recipe_group"]


@click.group("recipe")
def recipe_group():
    """Show or copy an installed recipe (zoo list shows them)."""


@recipe_group.command("show")
@click.argument("name")
def show_command(name):
    """Print the recipe NAME (an installed recipe's name, or a file)."""
    click.echo(_read_or_fail(recipe_file_or_fail(name)), nl=False)


def _read_or_fail(path, newline=None):
    """The text of the recipe file ``path`` (``newline``: as open takes it); one line and exit 2 where it is not
    UTF-8."""
    try:
        with open(path, encoding="utf-8", newline=newline) as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        fail("{}: not UTF-8 text, as a recipe is ({})".format(path, error))


@recipe_group.command("copy")
@click.argument("name")
@click.argument("dest", required=False)
@click.option("--force", is_flag=True, help="write over a file already at DEST")
def copy_command(name, dest, force):
    """Write the recipe NAME to DEST (default: NAME.yaml here; a folder, or a path ending in /: NAME.yaml in it;
    missing folders are made), to edit and run as a file. The copy's name: is its file's name (my_recipe.yaml:
    name: my_recipe), so that its runs get a folder of their own (runs/<name>); that line alone is changed."""
    source = recipe_file_or_fail(name)
    target = dest or os.path.basename(source)
    if os.path.isdir(target) or target.endswith(os.sep):  # a folder, made if missing
        target = os.path.join(target, os.path.basename(source))
    if os.path.exists(target) and not force:
        fail("{} already exists; pass --force to write over it".format(target))
    if os.path.abspath(target) == os.path.abspath(source):
        fail("{} is the recipe itself".format(target))
    text = _read_or_fail(source, newline="")
    new_name = os.path.splitext(os.path.basename(target))[0]
    renamed, old_name = named_copy(text, new_name)
    output_path_or_fail(target, "DEST")
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(text if renamed is None else renamed)
    if renamed is not None and old_name != new_name:
        click.echo("wrote {}, named {} (was {}): its runs go to a folder of their own".format(
            target, new_name, old_name))
    elif renamed is None and old_name not in (None, new_name):
        click.echo("wrote {}; its name stays {} ({!r} is no run name): give it a name: of its own before running "
                   "it beside {}".format(target, old_name, new_name, old_name))
    else:
        click.echo("wrote {}".format(target))


#: a recipe's top-level ``name:`` line: the value, and a comment after it
_NAME_LINE = re.compile(r"^name:[ \t]*(?P<value>[^\r\n]*?)(?P<comment>[ \t]+#[^\r\n]*)?[ \t]*\r?$", re.M)


def named_copy(text, name):
    """``(text with its top-level name: line set to name, the name it had)``: only the value on that line changes,
    comments and layout stay; ``(None, the name it had)`` where ``name`` is no run name or the text has no such line
    (the name it had: None where it has none)."""
    import yaml

    from ..config.schema import run_name

    try:
        old = yaml.safe_load(text)
    except yaml.YAMLError:  # a file given by path that is no YAML: copied as it is, zoo-run says what is wrong
        return None, None
    old_name = old.get("name") if isinstance(old, dict) else None
    match = _NAME_LINE.search(text)
    try:
        run_name(name)
    except ValueError:
        return None, old_name
    if match is None:
        return None, old_name
    value = name if yaml.safe_load(name) == name else "'{}'".format(name)  # '123' stays a string
    renamed = text[:match.start("value")] + value + text[match.end("value"):]
    if yaml.safe_load(renamed).get("name") != name:  # a line the pattern misread: leave the copy as it was
        return None, old_name
    return renamed, old_name
