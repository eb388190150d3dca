"""A finished (or interrupted) run, opened again: its recipe, its runtime, its model with a checkpoint restored.

The verbs after training (eval, and the others that follow it) start here: ``zoo eval RUN_DIR`` rebuilds the model
from ``RUN_DIR/recipe.yaml`` exactly as training built it and restores ``best``, ``last`` or an epoch's weights.
"""
from typing import List, NamedTuple

from .training.checkpoints import find_checkpoint, restore_model
from .training.model import RecipeModel, build_model
from .config.recipe import Recipe, load_recipe
from .contract import RuntimeSession
from .training.run_dir import RunDirectory

__all__ = ["FinishedRun", "RunError", "open_run"]


class RunError(ValueError):
    """The folder is not a run directory (no recipe.yaml), or lacks what was asked of it."""


class FinishedRun(NamedTuple):
    """The run's recipe, started runtime, folder, class names and model (the checkpoint ``checkpoint`` restored)."""
    recipe: Recipe
    session: RuntimeSession
    run_dir: RunDirectory
    class_names: List[str]
    model: RecipeModel
    checkpoint: str


def _recipe(run_dir, data_dir):
    if not run_dir.holds_a_recipe():
        raise RunError("{} is not a run directory: it has no {} (give the folder zoo-run wrote, e.g. runs/<name>, or "
                       "the runtime's sub-folder of it where its runtime has one)".format(run_dir.root,
                                                                                         RunDirectory.RECIPE))
    return load_recipe(run_dir.recipe, [("output.dir", run_dir.root)], data_dir=data_dir)


def open_run(path, checkpoint="best", data_dir=None):
    """Open the run in ``path``: validate its recipe (``data_dir`` overrides where the data lies), start its
    runtime, build its model and restore ``checkpoint``. Raises RunError, RecipeError, CheckpointError, DataError."""
    run_dir = RunDirectory(path)
    recipe = _recipe(run_dir, data_dir)
    checkpoint_path = find_checkpoint(run_dir, checkpoint)
    class_names = recipe.dataset.describe(recipe.dataset_options).class_names
    session = recipe.runtime.start(recipe.runtime_options)
    with session.strategy.scope():
        built = build_model(recipe, len(class_names))
    restore_model(built.model, checkpoint_path)
    return FinishedRun(recipe, session, run_dir, list(class_names), built, checkpoint_path)

