"""What many tests build: the repository's paths, a small recipe (the quickstart's task in miniature) changed by
dotted keys, the ``zoo`` and ``zoo-run`` commands run in-process, and a run's checkpoints read or torn."""
import copy
import os
import pathlib

import yaml

from .cli_runner import CliRunner

__all__ = ["BLOCK_TENSORFLOW", "RECIPES", "ROOT", "checkpoint_progress", "latest_checkpoint", "small_recipe", "tear",
           "write_recipe", "zoo", "zoo_run"]

ROOT = pathlib.Path(__file__).resolve().parent.parent
RECIPES = ROOT / "recipes"
#: Python source that makes every later ``import tensorflow`` fail: for a process that must run without TensorFlow
#: (put first in a ``-c`` script, or in a ``sitecustomize.py`` on PYTHONPATH)
BLOCK_TENSORFLOW = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "tensorflow":
            raise ImportError("tensorflow is blocked in this test")
sys.meta_path.insert(0, _Block())
"""

#: photo_crops at 48x48 through rescale and a learnable resizer to 24x24 into a two-block small CNN: trains in seconds
_SMALL = {"name": "small", "seed": 1,
          "data": {"source": "photo_crops", "image_size": [48, 48], "batch_size": 8, "train_examples": 8,
                   "val_examples": 4},
          "model": {"stages": [{"type": "rescale"},
                               {"type": "learnable_resizer", "target_size": [24, 24], "filters": 4}],
                    "backbone": {"type": "small_cnn", "filters": 8, "blocks": 2}},
          "train": {"epochs": 1, "optimizer": {"type": "adam", "learning_rate": 0.003}, "log_steps": 2},
          "runtime": {"device": "cpu"}}


def small_recipe(changes=None):
    """The small recipe with ``changes`` applied: dotted key -> value (``{"train.epochs": 3}``), set in order; a key
    set to None is removed."""
    recipe = copy.deepcopy(_SMALL)
    for key, value in (changes or {}).items():
        *parents, leaf = key.split(".")
        section = recipe
        for name in parents:
            section = section.setdefault(name, {})
        if value is None:
            section.pop(leaf, None)
        else:
            section[leaf] = copy.deepcopy(value)
    return recipe


def write_recipe(folder, recipe, name="recipe.yaml"):
    """``recipe`` (a mapping) written as YAML to ``folder/name``; its path as a string."""
    path = pathlib.Path(folder) / name
    path.write_text(yaml.safe_dump(recipe))
    return str(path)


def zoo(*args):
    """``zoo ARGS...`` run in-process (arguments may be paths); click's result."""
    from resizer_plugin.zoo.cli.group import zoo as group

    return CliRunner().invoke(group, [str(a) for a in args])


def zoo_run(*args):
    """``zoo-run ARGS...`` run in-process; click's result."""
    from resizer_plugin.zoo.cli.train import main

    return CliRunner().invoke(main, [str(a) for a in args])


def latest_checkpoint(folder):
    """The newest checkpoint file in the run's checkpoint ``folder`` (a path), or None."""
    from resizer_plugin.zoo.training.checkpoints import latest_checkpoint as latest

    return latest(str(folder))


def checkpoint_progress(path):
    """What the checkpoint file ``path`` says of the run: epochs_done, steps_into_epoch, optimizer_step, ..."""
    from resizer_plugin.zoo.training.checkpoints import read_checkpoint

    return read_checkpoint(str(path))["progress"]


def tear(path):
    """Cut the checkpoint file ``path`` to half, as a crash inside its write would."""
    with open(str(path), "r+b") as handle:
        handle.truncate(os.path.getsize(str(path)) // 2)
