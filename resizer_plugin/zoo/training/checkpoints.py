"""Checkpoint and resume: the model, the optimizer and the run's progress, saved after every epoch (and every
``train.checkpoint_every_steps`` optimizer steps inside epochs).

A checkpoint is written before the pointer file that names it is replaced (atomically), so the checkpoint
folder stays readable whenever the process dies.
A checkpoint whose files were cut short anyway (a full disk, a copy interrupted) is skipped with a warning in
favour of the newest intact one.
"""
import os

import tensorflow as tf

from .logs import log

__all__ = ["CheckpointError", "Checkpoints", "TrainingState", "find_checkpoint", "restore_model", "torn"]

#: completed checkpoints kept besides the best one
KEEP = 3


class TrainingState:
    """What a checkpoint holds besides the model and optimizer: epochs done, steps done in the next epoch (0 but in
    a checkpoint saved inside an epoch), best validation accuracy so far and training seconds so far. Create it
    inside the runtime's strategy scope."""

    def __init__(self):
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.best = tf.Variable(-1.0, dtype=tf.float64, trainable=False)
        self.elapsed = tf.Variable(0.0, dtype=tf.float64, trainable=False)

    @property
    def epochs_done(self) -> int:
        return int(self.epoch.numpy())

    @property
    def steps_into_epoch(self) -> int:
        return int(self.step.numpy())

    @property
    def seconds(self) -> float:
        return float(self.elapsed.numpy())


def torn(path):
    """Why the checkpoint ``path`` cannot be read whole (a data file cut short by a crash, say), or None."""
    try:
        reader = tf.train.load_checkpoint(path)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, IndexError, ValueError, OSError) as error:
        return "{}: {}".format(type(error).__name__, (str(error).strip().splitlines() or [""])[0])
    return None


def _intact(path):
    """Whether ``path`` reads whole; a warning naming it and the problem when not."""
    problem = torn(path)
    if problem:
        log.warning("checkpoint %s is torn (%s): skipped", path, problem)
    return problem is None


def _progress(path):
    """(epochs done, steps into the next epoch) of a checkpoint of the run, read from its files."""
    reader = tf.train.load_checkpoint(path)
    return tuple(int(reader.get_tensor(name + "/.ATTRIBUTES/VARIABLE_VALUE")) for name in ("epoch", "step"))


def _weights_checkpoint(model):
    """Every variable of the model, by its place in ``model.variables``. TensorFlow's object graph does not reach
    variables of layers Keras 3 keeps in plain lists (the resizer's residual blocks): without this list their
    BatchNorm statistics were never saved."""
    return tf.train.Checkpoint(variables=list(model.variables))


class Checkpoints:
    """The run's checkpoints: ``ckpt-<epoch>`` (the last :data:`KEEP`), ``best/`` (the model only) and ``steps/``
    (the last one saved inside an epoch, ``ckpt-<optimizer step>``)."""

    def __init__(self, run_dir, model, state: TrainingState):
        self.state = state
        checkpoint = tf.train.Checkpoint(variables=list(model.variables), model=model, optimizer=model.optimizer,
                                         epoch=state.epoch, step=state.step, best=state.best, elapsed=state.elapsed)
        self.manager = tf.train.CheckpointManager(checkpoint, run_dir.checkpoints, max_to_keep=KEEP)
        self.step_manager = tf.train.CheckpointManager(checkpoint, run_dir.step_checkpoints, max_to_keep=1)
        self.best_manager = tf.train.CheckpointManager(_weights_checkpoint(model), run_dir.best_checkpoints,
                                                       max_to_keep=1)

    def restore_latest(self):
        """Restore the furthest intact checkpoint, at an epoch's end or inside an epoch, into the model, optimizer
        and state (a torn one skipped with a warning); its path, or None when there is none. CheckpointError when
        there are checkpoints and none is intact."""
        saved = list(self.manager.checkpoints) + list(self.step_manager.checkpoints)
        intact = [path for path in saved if _intact(path)]
        if saved and not intact:
            raise CheckpointError("no checkpoint in {} can be read whole ({}); remove the folder to start the run "
                                  "afresh".format(os.path.dirname(saved[0]), ", ".join(saved)))
        latest = max(intact, key=_progress) if intact else None
        if latest:
            self.manager.checkpoint.restore(latest).assert_existing_objects_matched()
        return latest

    def save_step(self, epochs_done, steps_into_epoch, optimizer_step, elapsed):
        """Save a checkpoint inside epoch ``epochs_done + 1``, ``steps_into_epoch`` steps into it."""
        self.state.epoch.assign(epochs_done)
        self.state.step.assign(steps_into_epoch)
        self.state.elapsed.assign(elapsed)
        path = self.step_manager.save(checkpoint_number=optimizer_step)
        log.info("epoch %d, step %d: saved %s", epochs_done + 1, steps_into_epoch, path)

    def save_epoch(self, epoch, elapsed, val_accuracy=None):
        """Record that ``epoch`` epochs are done after ``elapsed`` seconds; save it, and as best when it is."""
        self.state.epoch.assign(epoch)
        self.state.step.assign(0)
        self.state.elapsed.assign(elapsed)
        if val_accuracy is not None and val_accuracy > float(self.state.best.numpy()):
            self.state.best.assign(val_accuracy)
            self.best_manager.save(checkpoint_number=epoch)
            log.info("epoch %d: best val_accuracy %.4f, saved %s", epoch, val_accuracy,
                     self.best_manager.latest_checkpoint)
        log.info("epoch %d: saved %s", epoch, self.manager.save(checkpoint_number=epoch))


class CheckpointError(ValueError):
    """The checkpoint asked for is not in the run directory; the message lists those that are."""


def _numbered(folder):
    """{epoch: checkpoint prefix} of the ckpt-<epoch> checkpoints in ``folder``."""
    state = tf.train.get_checkpoint_state(folder)
    paths = list(state.all_model_checkpoint_paths) if state else []
    return {int(path.rsplit("-", 1)[1]): path for path in paths}


def _newest_intact(paths):
    return next((path for path in sorted(paths, key=lambda p: int(p.rsplit("-", 1)[1]), reverse=True)
                 if _intact(path)), None)


def find_checkpoint(run_dir, which="best"):
    """The checkpoint prefix of ``which``: ``best`` (best validation accuracy), ``last``, or an epoch number. A torn
    ``best`` or ``last`` gives way to the newest intact epoch checkpoint, with a warning; CheckpointError when the
    one asked for is not kept, or is torn, or no checkpoint is intact."""
    numbered = _numbered(run_dir.checkpoints)
    kept = ", ".join(["best"] * bool(_numbered(run_dir.best_checkpoints)) + ["last"] * bool(numbered)
                     + [str(n) for n in sorted(numbered)]) or "none"
    if which == "best":
        found = tf.train.latest_checkpoint(run_dir.best_checkpoints)
    elif which == "last":
        found = tf.train.latest_checkpoint(run_dir.checkpoints)
    else:
        found = numbered.get(int(which)) if str(which).isdigit() else None
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
    """Restore the model's weights (only) from a checkpoint of the run; every model variable must be found."""
    _weights_checkpoint(model).restore(path).expect_partial().assert_existing_objects_matched()

