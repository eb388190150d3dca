"""Checkpoint and resume: the model, the optimizer and the run's progress, saved after every epoch (and every
``train.checkpoint_every_steps`` optimizer steps inside epochs), the same way on every Keras and backend.

A checkpoint is one NumPy archive, ``ckpt-<n>.npz``: every model variable and every optimizer variable by its place
in ``model.variables`` and the optimizer's variables, and the run's progress. It is written to a ``.partial`` file
beside it, synced to disk and then renamed into place (atomically), so a checkpoint folder holds only whole
checkpoints whenever the process dies. One whose file was cut short anyway (a full disk, a copy interrupted) is
skipped with a warning in favour of the newest intact one.
"""
import glob
import json
import os
import re
import zipfile

import numpy as np

from ...compat.backend_functions import sync_model_variables
from .logs import log

__all__ = ["CheckpointError", "Checkpoints", "TrainingState", "checkpoint_files", "find_checkpoint",
           "latest_checkpoint", "read_checkpoint", "restore_model", "torn"]

#: completed checkpoints kept besides the best one
KEEP = 3
SUFFIX = ".npz"
PARTIAL = ".partial"


class TrainingState:
    """What a checkpoint holds besides the model and optimizer: epochs done, steps done in the next epoch (0 but in
    a checkpoint saved inside an epoch), best validation accuracy so far and training seconds so far."""

    def __init__(self, epochs_done=0, steps_into_epoch=0, best=-1.0, seconds=0.0):
        self.epochs_done, self.steps_into_epoch, self.best, self.seconds = epochs_done, steps_into_epoch, best, seconds

    def as_dict(self):
        return {"epochs_done": self.epochs_done, "steps_into_epoch": self.steps_into_epoch, "best": self.best,
                "seconds": self.seconds}


def _optimizer_variables(optimizer):
    """The optimizer's variables (its step, slots and, wrapped for loss scaling, the scale): a property on Keras 3,
    a method on tf.keras 2."""
    variables = optimizer.variables
    return list(variables() if callable(variables) else variables)


def _progress_in(archive):
    return json.loads(str(archive["progress"])) if "progress" in archive.files else {}  # best/ holds the model only


def read_checkpoint(path):
    """{"model": [arrays], "optimizer": [arrays], "progress": dict} of the checkpoint file ``path``."""
    with np.load(path, allow_pickle=False) as archive:
        names = sorted(archive.files)
        held = {part: [archive[name] for name in names if name.startswith(part + "/")] for part in ("model", "optimizer")}
        held["progress"] = _progress_in(archive)
    return held


def _progress(path):
    """The run's progress a checkpoint file holds, read alone (NumPy reads an archive's members one by one)."""
    with np.load(path, allow_pickle=False) as archive:
        return _progress_in(archive)


def torn(path):
    """Why the checkpoint ``path`` cannot be read whole (its file cut short by a crash, say), or None."""
    try:
        read_checkpoint(path)
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as error:
        return "{}: {}".format(type(error).__name__, (str(error).strip().splitlines() or [""])[0])
    return None


def _intact(path):
    """Whether ``path`` reads whole; a warning naming it and the problem when not."""
    problem = torn(path)
    if problem:
        log.warning("checkpoint %s is torn (%s): skipped", path, problem)
    return problem is None


def _number(path):
    return int(re.search(r"ckpt-(\d+)\.npz$", path).group(1))


def _numbered(folder):
    """{number: path} of the ckpt-<number>.npz checkpoints in ``folder``."""
    return {_number(path): path for path in glob.glob(os.path.join(glob.escape(folder), "ckpt-*" + SUFFIX))}


def checkpoint_files(folder):
    """Every checkpoint file under ``folder``, at any depth: ckpt-<n>.npz, and the ckpt-<n>.index of the TensorFlow
    checkpoints of versions before 0.2.0."""
    return sorted(path for suffix in (SUFFIX, ".index")
                  for path in glob.glob(os.path.join(glob.escape(folder), "**", "ckpt-*" + suffix), recursive=True))


def _refuse_tensorflow_checkpoints(folder):
    """CheckpointError where ``folder`` holds the TensorFlow checkpoints of resizer-plugin before 0.2.0 only, which
    this version cannot read (resuming would start the run afresh over them)."""
    if not _numbered(folder) and glob.glob(os.path.join(glob.escape(folder), "ckpt-*.index")):
        raise CheckpointError("{}: TensorFlow checkpoints (ckpt-N.index), written by resizer-plugin before 0.2.0; "
                              "this version reads ckpt-N.npz: open or resume the run with the version that wrote "
                              "it".format(folder))


def latest_checkpoint(folder):
    """The path of the highest-numbered checkpoint in ``folder``, or None."""
    numbered = _numbered(folder)
    return numbered[max(numbered)] if numbered else None


def _write(folder, number, arrays, keep):
    """Write ``arrays`` as ``folder/ckpt-<number>.npz`` (through a synced partial file renamed into place) and
    remove all but the ``keep`` highest-numbered checkpoints; the path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "ckpt-{}{}".format(number, SUFFIX))
    with open(path + PARTIAL, "wb") as handle:
        np.savez(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    _publish(path + PARTIAL, path)
    numbered = _numbered(folder)
    for old in sorted(numbered)[:-keep]:
        os.remove(numbered[old])
    return path


def _publish(partial, path):
    """Rename the written ``partial`` file to ``path``: the moment the checkpoint exists."""
    os.replace(partial, path)


def _arrays(part, variables):
    return {"{}/{:05d}".format(part, index): np.asarray(variable.numpy()) for index, variable in enumerate(variables)}


def _assign(path, part, variables, saved):
    """Assign ``saved`` arrays to ``variables``; CheckpointError when they do not match one to one."""
    shapes = [tuple(v.shape) for v in variables]
    if [a.shape for a in saved] != shapes:
        raise CheckpointError("{} does not fit this {}: it holds {} variables, the {} has {} (or their shapes "
                              "differ); was the recipe changed since it was saved?".format(
                                  path, part, len(saved), part, len(variables)))
    for variable, array in zip(variables, saved):
        variable.assign(array)


def _is_hdf5(path):
    """Whether ``path`` is an HDF5 file (Keras' ``.weights.h5``), by its signature."""
    with open(path, "rb") as handle:
        return handle.read(8) == b"\x89HDF\r\n\x1a\n"


def _refuse_model_only(paths):
    """CheckpointError naming ``paths`` where there are some: files among the training checkpoints that hold a
    model's weights alone (a best/ checkpoint or an exported weights file copied there), which --resume cannot
    continue from."""
    if paths:
        raise CheckpointError("{}: no training checkpoint: weights alone (a best/ checkpoint, or an exported weights "
                              "file), without the optimizer state and progress --resume continues from; move it out "
                              "of {}. To start a new run from trained weights, export the backbone (zoo export RUN "
                              "--format backbone) and name that file in model.backbone.weights".format(
                                  ", ".join(paths), os.path.dirname(paths[0])))


class Checkpoints:
    """The run's checkpoints: ``ckpt-<epoch>.npz`` (the last :data:`KEEP`), ``best/`` (the model only) and
    ``steps/`` (the last one saved inside an epoch, ``ckpt-<optimizer step>.npz``)."""

    def __init__(self, run_dir, model, state: TrainingState):
        self.run_dir, self.model, self.state = run_dir, model, state
        _refuse_tensorflow_checkpoints(run_dir.checkpoints)

    def remove_partial(self):
        """Remove the partial files of writes a killed process left unfinished (once the run is accepted)."""
        folder = glob.escape(self.run_dir.checkpoints)
        for stale in glob.glob(os.path.join(folder, "**", "*" + PARTIAL), recursive=True):
            os.remove(stale)

    def _saved(self):
        return list(_numbered(self.run_dir.checkpoints).values()) + list(
            _numbered(self.run_dir.step_checkpoints).values())

    def restore_latest(self):
        """Restore the furthest intact checkpoint, at an epoch's end or inside an epoch, into the model, optimizer
        and state (a torn one skipped with a warning); its path, or None when there is none. CheckpointError when
        there are checkpoints and none is intact, or one holds weights alone (nothing is written either way)."""
        saved = self._saved()
        _refuse_model_only([path for path in saved if _is_hdf5(path)])
        intact = [path for path in saved if _intact(path)]
        if saved and not intact:
            raise CheckpointError("no checkpoint in {} can be read whole ({}); remove the folder to start the run "
                                  "afresh".format(os.path.dirname(saved[0]), ", ".join(sorted(saved))))
        progress = {path: _progress(path) for path in intact}
        _refuse_model_only([path for path in intact if not progress[path]])
        latest = max(intact, key=lambda p: (progress[p]["epochs_done"], progress[p]["steps_into_epoch"]),
                     default=None)
        if latest:
            held = read_checkpoint(latest)
            _assign(latest, "model", self.model.variables, held["model"])
            _assign(latest, "optimizer", _optimizer_variables(self.model.optimizer), held["optimizer"])
            vars(self.state).update({key: held["progress"][key] for key in self.state.as_dict()})
        return latest

    def _model_arrays(self):
        sync_model_variables(self.model)
        return _arrays("model", self.model.variables)

    def _everything(self, model_arrays):
        arrays = dict(model_arrays)
        arrays.update(_arrays("optimizer", _optimizer_variables(self.model.optimizer)))
        progress = dict(self.state.as_dict(), optimizer_step=int(self.model.optimizer.iterations.numpy()))
        arrays["progress"] = np.array(json.dumps(progress))
        return arrays

    def save_step(self, epochs_done, steps_into_epoch, optimizer_step, elapsed):
        """Save a checkpoint inside epoch ``epochs_done + 1``, ``steps_into_epoch`` steps into it."""
        self.state.epochs_done, self.state.steps_into_epoch, self.state.seconds = epochs_done, steps_into_epoch, elapsed
        path = _write(self.run_dir.step_checkpoints, optimizer_step, self._everything(self._model_arrays()), keep=1)
        log.info("epoch %d, step %d: saved %s", epochs_done + 1, steps_into_epoch, path)

    def save_epoch(self, epoch, elapsed, val_accuracy=None):
        """Record that ``epoch`` epochs are done after ``elapsed`` seconds; save it, and as best when it is."""
        self.state.epochs_done, self.state.steps_into_epoch, self.state.seconds = epoch, 0, elapsed
        model_arrays = self._model_arrays()
        if val_accuracy is not None and val_accuracy > self.state.best:
            self.state.best = val_accuracy
            best = _write(self.run_dir.best_checkpoints, epoch, model_arrays, keep=1)
            log.info("epoch %d: best val_accuracy %.4f, saved %s", epoch, val_accuracy, best)
        path = _write(self.run_dir.checkpoints, epoch, self._everything(model_arrays), keep=KEEP)
        log.info("epoch %d: saved %s", epoch, path)


class CheckpointError(ValueError):
    """The checkpoint asked for is not in the run directory, or does not fit the model; the message says which."""


def _newest_intact(paths):
    return next((path for path in sorted(paths, key=_number, reverse=True) if _intact(path)), None)


def find_checkpoint(run_dir, which="best"):
    """The checkpoint file of ``which``: ``best`` (best validation accuracy), ``last``, or an epoch number. A torn
    ``best`` or ``last`` gives way to the newest intact epoch checkpoint, with a warning; CheckpointError when the
    one asked for is not kept, or is torn, or no checkpoint is intact."""
    _refuse_tensorflow_checkpoints(run_dir.checkpoints)
    numbered = _numbered(run_dir.checkpoints)
    kept = ", ".join(["best"] * bool(_numbered(run_dir.best_checkpoints)) + ["last"] * bool(numbered)
                     + [str(n) for n in sorted(numbered)]) or "none"
    if which == "best":
        found = latest_checkpoint(run_dir.best_checkpoints)
    elif which == "last":
        found = latest_checkpoint(run_dir.checkpoints)
    else:
        found = numbered.get(int(which)) if re.fullmatch("[0-9]+", str(which)) else None  # ASCII: not "²"
    if not found:
        raise CheckpointError("{}: no checkpoint {!r} (kept: {})".format(run_dir.checkpoints, which, kept))
    if _intact(found):
        return found
    fallback = _newest_intact(numbered.values()) if which in ("best", "last") else None
    if fallback is None:
        raise CheckpointError("{}: checkpoint {!r} is torn ({}), and {}".format(
            run_dir.checkpoints, which, torn(found), "no other is intact" if which in ("best", "last") else
            "an epoch asked for by number has no stand-in; kept: {}".format(kept)))
    log.warning("checkpoint %r is torn: using %s, the newest intact one", which, fallback)
    return fallback


def restore_model(model, path):
    """Restore the model's weights (only) from a checkpoint of the run; every model variable must fit."""
    _assign(path, "model", model.variables, read_checkpoint(path)["model"])
