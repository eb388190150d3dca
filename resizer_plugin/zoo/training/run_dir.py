"""The output directory of a run: where each output lives, and the rule that a run is never written over."""
import os

import yaml

__all__ = ["OutputDirError", "RunDirectory", "check_output_dir"]


class OutputDirError(RuntimeError):
    """The output directory holds a run and --resume was not given."""


def check_output_dir(output_dir, resume, siblings=()):
    """Refuse to write into a directory that already holds files, unless resuming; ``siblings``: sub-folders other
    processes of the launch write (they may have made theirs first)."""
    held = sorted(set(os.listdir(output_dir)) - set(siblings) - {RunDirectory.LOCK}) if os.path.isdir(output_dir) \
        else []
    if held and not resume:
        raise OutputDirError("output directory {} already holds a run ({}); pass --resume to continue it, or "
                             "choose another --output-dir".format(output_dir, ", ".join(held[:4])))


class RunDirectory:
    """The files of one run under ``root``, the one place that names them::

        .lock            held by the process writing the run (``lock``)
        train.log        the log (its name is the runtime's: ``log_name``)
        recipe.yaml      the recipe as validated (defaults filled in)
        history.csv      one row per epoch (kept across --resume)
        checkpoints/     ckpt-<epoch>.npz (the last few), best/ (best val accuracy) and
                         steps/ (the last one inside an epoch, with train.checkpoint_every_steps)
        logs/            TensorBoard
        metrics.json     final figures
        eval.json        zoo eval's figures
        export/          zoo export's artifacts and export.json
        pictures/        training_curves.png; stages_before.png, stages_after.png (validation images through the
                         recipe's stages before and after training); confusion_matrix.png (zoo eval)
    """

    RECIPE = "recipe.yaml"
    METRICS = "metrics.json"
    LOCK = ".lock"

    def __init__(self, root, log_name="train.log"):
        self.root = root
        self.log = os.path.join(root, log_name)
        self.recipe = os.path.join(root, self.RECIPE)
        self.history = os.path.join(root, "history.csv")
        self.checkpoints = os.path.join(root, "checkpoints")
        self.best_checkpoints = os.path.join(self.checkpoints, "best")
        self.step_checkpoints = os.path.join(self.checkpoints, "steps")
        self.tensorboard = os.path.join(root, "logs")
        self.metrics = os.path.join(root, self.METRICS)
        self.evaluation = os.path.join(root, "eval.json")
        self.export = os.path.join(root, "export")
        self.pictures = os.path.join(root, "pictures")
        self.training_curves = os.path.join(self.pictures, "training_curves.png")
        self.confusion_matrix = os.path.join(self.pictures, "confusion_matrix.png")

    def stages_picture(self, when):
        """The picture of the validation images through the recipe's stages ``when`` ("before", "after") training."""
        return os.path.join(self.pictures, "stages_{}.png".format(when))

    def holds_a_recipe(self):
        """Whether ``root`` is a run's folder (zoo-run wrote its recipe.yaml)."""
        return os.path.isfile(self.recipe)

    def finished(self):
        """Whether the run finished (its metrics.json is written)."""
        return os.path.isfile(self.metrics)

    def lock(self):
        """Hold the run's folder for this process (an advisory lock on its ``.lock`` file, released when the
        process ends, however it ends): OutputDirError when another process holds it, so that two never write
        one run."""
        import fcntl

        handle = open(os.path.join(self.root, self.LOCK), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise OutputDirError("{} is being written by {}: one run, one writer (wait for it, or stop it)".format(
                self.root, holder)) from None
        handle.truncate(0)
        handle.write("zoo-run (pid {})".format(os.getpid()))
        handle.flush()
        return handle

    def create(self, config):
        """Make the folders and write the validated recipe ``config``."""
        for folder in (self.checkpoints, self.tensorboard, self.pictures):
            os.makedirs(folder, exist_ok=True)
        with open(self.recipe, "w") as handle:
            yaml.safe_dump(_plain(config), handle, sort_keys=False)


def _plain(value):
    """The config as plain YAML types (tuples become lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
