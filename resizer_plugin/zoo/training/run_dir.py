"""The output directory of a run: where each output lives, the rule that a run is never written over, and the
folders every command's outputs go in made as ``mkdir -p`` makes them."""
import fnmatch
import os

import yaml

from .checkpoints import PARTIAL, checkpoint_files

__all__ = ["FolderLock", "OutputDirError", "RunDirectory", "check_output_dir", "make_folder"]


class OutputDirError(RuntimeError):
    """The output directory cannot take the run: it holds one and --resume was not given, it holds files no run
    start made, it cannot be made, or another process writes it."""


def _file_in_the_way(folder):
    """The file that stands at ``folder`` or at a folder above it, or None."""
    path = os.path.normpath(folder)
    while not os.path.isdir(path):
        if os.path.exists(path):
            return path
        if os.path.dirname(path) == path:
            return None
        path = os.path.dirname(path)
    return None


def make_folder(folder):
    """Make ``folder`` and the folders above it, as ``mkdir -p`` does; None, or why it cannot be, naming the path at
    fault (a file in the way, no permission)."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        blocking = _file_in_the_way(folder)
        return "{} is a file, not a folder".format(blocking) if blocking else "cannot make {}: {}".format(
            folder, error.strerror or error)
    if not os.access(folder, os.W_OK | os.X_OK):
        return "{} is not writable".format(folder)
    return None


def _entries(root, siblings):
    """What ``root`` holds, as paths relative to it (a folder's ending in /), leaving out the sub-folders
    ``siblings``."""
    found = []
    for folder, folders, files in os.walk(root):
        if folder == root:
            folders[:] = [name for name in folders if name not in siblings]
        found += [os.path.relpath(os.path.join(folder, name), root) + "/" for name in folders]
        found += [os.path.relpath(os.path.join(folder, name), root) for name in files]
    return sorted(found)


def check_output_dir(run_dir, resume, siblings=()):
    """Refuse (OutputDirError), before anything is written, a folder that holds a run (metrics.json or a checkpoint)
    unless ``resume``, and one that holds what no run start makes (a user's files). Returns the names of what a
    start that failed before its first checkpoint left, which this run takes over. ``siblings``: sub-folders other
    processes of the launch write (they may have made theirs first)."""
    run = run_dir.what_makes_it_a_run()
    if run and not resume:
        raise OutputDirError("output directory {} already holds a run ({}); pass --resume to continue it, or "
                             "choose another --output-dir".format(run_dir.root, ", ".join(run[:4])))
    if run or not os.path.isdir(run_dir.root):
        return []
    found = _entries(run_dir.root, set(siblings))
    others = [name for name in found if not run_dir.made_by_a_start(name)]
    if others:
        raise OutputDirError("output directory {} holds what no run start makes ({}): it is no run's folder; choose "
                             "another --output-dir".format(run_dir.root, ", ".join(others[:4])))
    return sorted({name.split("/")[0] for name in found} - {RunDirectory.LOCK})


class RunDirectory:
    """The files of one run under ``root``, the one place that names them::

        .lock            held by the process writing the run (``lock``), which it names
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

    def what_makes_it_a_run(self):
        """What marks ``root`` as holding a run, as paths relative to it: metrics.json and every checkpoint."""
        return [self.METRICS] * self.finished() + [os.path.relpath(path, self.root)
                                                   for path in checkpoint_files(self.checkpoints)]

    def made_by_a_start(self, name):
        """Whether ``name`` (relative to ``root``, a folder's ending in /) is what a run makes before its first
        checkpoint: the lock, the log, the recipe, the history, the folders, TensorBoard's files, the pictures, or
        a write cut short."""
        checkpoints, tensorboard, pictures = (os.path.relpath(path, self.root) + "/" for path in (
            self.checkpoints, self.tensorboard, self.pictures))
        patterns = [self.LOCK, self.RECIPE, self.RECIPE + PARTIAL, os.path.relpath(self.log, self.root),
                    os.path.relpath(self.history, self.root), checkpoints, checkpoints + "*/",
                    checkpoints + "*" + PARTIAL, tensorboard + "*", pictures, pictures + "*.png"]
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)

    def lock(self):
        """Hold the run's folder for this process (an advisory lock on its ``.lock`` file, released when the
        process ends, however it ends): OutputDirError when another process holds it, so that two never write
        one run. Returns the :class:`FolderLock`."""
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
        return FolderLock(handle)

    def create(self, config):
        """Make the folders and write the validated recipe ``config`` (to a partial file renamed into place)."""
        for folder in (self.checkpoints, self.tensorboard, self.pictures):
            os.makedirs(folder, exist_ok=True)
        with open(self.recipe + PARTIAL, "w") as handle:
            yaml.safe_dump(_plain(config), handle, sort_keys=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(self.recipe + PARTIAL, self.recipe)


class FolderLock:
    """A run folder's ``.lock``, held by this process, which the file names while it holds it."""

    def __init__(self, handle):
        handle.seek(0)
        self.handle, self.found = handle, handle.read()
        self._write("zoo-run (pid {})".format(os.getpid()))

    def _write(self, text):
        self.handle.truncate(0)
        self.handle.write(text)
        self.handle.flush()

    def release(self, refused=False):
        """Let the folder go; ``refused``: first write back what the file said before (a refused command leaves
        every file of the folder as it found it)."""
        if refused:
            self._write(self.found)
        self.handle.close()


def _plain(value):
    """The config as plain YAML types (tuples become lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
