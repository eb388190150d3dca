"""The recipes installed packages ship: ``zoo.recipes`` entry points, ``NAME = package:FILE.yaml`` (a YAML file of
the package's data), found by name, described by their first comment line.

Which recipe a command runs, by one rule: a file that exists at the path given wins (a note says so when a
recipe of that name is installed too); else the installed recipe of that name; when several packages ship one
name, the one of the distribution first in alphabetical order (a note names the others).
"""
import importlib.util
import os
from typing import Dict, List, NamedTuple, Optional, Tuple

from ..contract import did_you_mean
from .registry import Registry

__all__ = ["InstalledRecipe", "RecipeNotFound", "find_recipe", "installed_recipes"]

GROUP = "zoo.recipes"


class RecipeNotFound(LookupError):
    """Neither a file nor an installed recipe has the name; the message suggests the closest names."""


class InstalledRecipe(NamedTuple):
    """A recipe an installed distribution ships; ``problem`` says why it cannot be used (None when it can)."""
    name: str
    path: Optional[str]
    distribution: str
    description: str
    problem: Optional[str]


def _package_file(entry_point):
    """The file ``package:FILE`` names in the package's folder, or None when the package is not importable."""
    try:
        spec = importlib.util.find_spec(entry_point.module)
    except (ImportError, ValueError):
        return None
    if spec is None or not (spec.submodule_search_locations or spec.origin):
        return None
    folder = list(spec.submodule_search_locations)[0] if spec.submodule_search_locations else \
        os.path.dirname(spec.origin)
    return os.path.join(folder, entry_point.attr or "")


def _description(path):
    """The recipe's first comment line, without its ``#``."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                return line.lstrip("#").strip()
            if line.strip():
                break
    return ""


def _installed(entry):
    path = _package_file(entry.entry_point)
    if path is None or not os.path.isfile(path):
        return InstalledRecipe(entry.name, None, entry.distribution, "",
                               "points at {}, which is not a file".format(entry.value))
    return InstalledRecipe(entry.name, path, entry.distribution, _description(path), None)


def installed_recipes() -> Dict[str, List[InstalledRecipe]]:
    """name -> the recipes of that name, the one that wins first (distributions in alphabetical order)."""
    return {name: sorted((_installed(e) for e in entries), key=lambda r: r.distribution)
            for name, entries in Registry(GROUP).entries().items()}


def _winner(name, shipped):
    """The recipe of ``name`` a command runs, and a note when other packages ship one of that name too."""
    first = shipped[0]
    if first.problem:
        raise RecipeNotFound("recipe {!r} from {} {}".format(name, first.distribution, first.problem))
    others = ", ".join(r.distribution for r in shipped[1:])
    note = "recipe {!r}: {}'s is used, not {}'s".format(name, first.distribution, others) if others else None
    return first.path, note


def find_recipe(text) -> Tuple[str, Optional[str]]:
    """(the file to read, a note to show or None) for ``text``, a path or an installed recipe's name (the module's
    rule); RecipeNotFound, with the closest names, when it is neither."""
    installed = installed_recipes()
    if os.path.isfile(text):
        shadowed = installed.get(text)
        note = "{}: the file here is used, not the recipe of that name from {}".format(
            text, shadowed[0].distribution) if shadowed else None
        return text, note
    if text in installed:
        return _winner(text, installed[text])
    closest = did_you_mean(os.path.splitext(os.path.basename(text))[0], installed)
    if os.sep in text or text.endswith((".yaml", ".yml")):
        raise RecipeNotFound("no such recipe file: {}{}".format(text, closest))
    raise RecipeNotFound("{!r} is neither a file nor an installed recipe{} (zoo list shows the recipes)".format(
        text, closest))
