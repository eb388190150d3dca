"""``zoo compare``: several recipes trained once per seed, each run a ``zoo-run`` process of its own, resumable.

Run ``DIR/<recipe name>/seed-<s>/`` is ``zoo-run RECIPE --set seed=<s>`` with the compare's overrides. For one seed
every recipe gets the same data order and, whatever its stages, the same initial backbone and head weights (the
model is seeded again before its backbone; see model.build_model). A compare run again with the same command skips
the finished runs (those with metrics.json) and resumes an interrupted one from its last checkpoint.
"""
import glob
import os
import shlex
import subprocess
import sys
from typing import NamedTuple

from ..config.recipe import load_recipe
from ..contract import did_you_mean
from ..training.children import child_environment
from ..training.run_dir import RunDirectory

__all__ = ["CompareError", "PlannedRun", "RunFailed", "check_time_to", "command_line", "plan_runs", "run_all",
           "what_it_left"]


class CompareError(ValueError):
    """Recipes that cannot be compared: fewer than two, or two of one name."""


class RunFailed(RuntimeError):
    """A run of the compare ended with an error (the finished ones stay)."""


class PlannedRun(NamedTuple):
    """One training run of the compare: which recipe (file and name), which seed, where."""
    recipe_file: str
    name: str
    seed: int
    folder: str

    def finished(self):
        return RunDirectory(self.folder).finished()


def plan_runs(recipe_files, seeds, output_dir, overrides=(), data_dir=None):
    """Every (recipe, seed) run, seed by seed (every recipe's seed 1, then seed 2, ...: a compare stopped part way
    already holds whole pairs to report); each recipe is validated first (RecipeError names the file)."""
    if len(recipe_files) < 2:
        raise CompareError("give at least two recipes to compare (the first is the baseline)")
    names = [load_recipe(path, list(overrides), data_dir=data_dir).name for path in recipe_files]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CompareError("recipes named alike would share a folder: {} (give each its own name:)".format(
            ", ".join(twice)))
    return [PlannedRun(path, name, seed, os.path.join(output_dir, name, "seed-{}".format(seed)))
            for seed in range(1, seeds + 1) for path, name in zip(recipe_files, names)]


def check_time_to(runs, time_to):
    """Refuse (CompareError) a ``--time-to`` recipe name that is none of the compared recipes'."""
    names = list(dict.fromkeys(run.name for run in runs))
    for name in time_to:
        if name not in names:
            raise CompareError("--time-to {!r} is no compared recipe's name{}; the names: {}".format(
                name, did_you_mean(name, names), ", ".join(names)))


def _command(run, overrides, data_dir):
    command = [sys.executable, "-m", "resizer_plugin.zoo.cli", run.recipe_file, "--output-dir", run.folder,
               "--set", "seed={}".format(run.seed)]
    for override in overrides:  # KEY.PATH=VALUE, as --set takes them
        command += ["--set", override]
    if data_dir:
        command += ["--data-dir", data_dir]
    return command + (["--resume"] if os.path.isdir(run.folder) else [])


def run_all(runs, overrides=(), data_dir=None, progress=print):
    """Train every run not finished yet, in order, each in a zoo-run process whose output passes through and which
    dies with this one (``training.children``: a killed compare leaves nothing writing); stop with RunFailed at the
    first that fails (the finished ones stay: run the compare again to go on)."""
    for index, run in enumerate(runs, 1):
        where = "{}/{}: {} seed {}".format(index, len(runs), run.name, run.seed)
        if run.finished():
            progress("{} finished earlier ({})".format(where, run.folder))
            continue
        progress("{} {} in {}".format(where, "resuming" if os.path.isdir(run.folder) else "training", run.folder))
        code = subprocess.call(_command(run, overrides, data_dir), env=child_environment())
        if code != 0:
            raise RunFailed("{} failed (zoo-run exit status {}); {}".format(where, code, what_it_left(run.folder)))


def what_it_left(folder):
    """Where to read about a run that failed, naming only what exists: its log; else its folder; else that it
    stopped before writing anything (its error printed above: a recipe or its data refused)."""
    for pattern in ("train*.log", os.path.join("*", "train*.log")):  # a runtime may keep its run in a subfolder
        logs = sorted(glob.glob(os.path.join(folder, pattern)))
        if logs:
            return "its log is in {}; run the same compare again to resume".format(logs[0])
    if os.path.isdir(folder):
        return "it wrote no log in {}; run the same compare again to resume".format(folder)
    return ("it stopped before writing anything (no {} was made; its error is above); run the same compare again "
            "once that is put right".format(folder))


def command_line(recipe_files, seeds, output_dir, overrides=(), data_dir=None, time_to=()):
    """The ``zoo compare`` command that makes (and resumes) this compare, for the report."""
    words = ["zoo", "compare"] + list(recipe_files) + ["--seeds", str(seeds), "--output-dir", output_dir]
    for override in overrides:
        words += ["--set", override]
    for name in time_to:
        words += ["--time-to", name]
    return " ".join(shlex.quote(w) for w in words + (["--data-dir", data_dir] if data_dir else []))
