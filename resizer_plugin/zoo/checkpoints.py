"""Checkpoint and resume: the model, the optimizer and the run's progress, saved after every epoch.

A checkpoint is written before the pointer file that names it is replaced (atomically), so the checkpoint
folder stays readable whenever the process dies.
"""

import tensorflow as tf

from .logs import log

__all__ = ["Checkpoints", "TrainingState"]

#: completed checkpoints kept besides the best one
KEEP = 3


class TrainingState:
    """What a checkpoint holds besides the model and optimizer: epochs done, best validation accuracy so far and
    training seconds so far. Create it inside the runtime's strategy scope."""

    def __init__(self):
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.best = tf.Variable(-1.0, dtype=tf.float64, trainable=False)
        self.elapsed = tf.Variable(0.0, dtype=tf.float64, trainable=False)

    @property
    def epochs_done(self) -> int:
        return int(self.epoch.numpy())

    @property
    def seconds(self) -> float:
        return float(self.elapsed.numpy())


class Checkpoints:
    """The run's checkpoints: ``ckpt-<epoch>`` (the last :data:`KEEP`) and ``best/`` (the model only)."""

    def __init__(self, run_dir, model, state: TrainingState):
        self.state = state
        checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer, epoch=state.epoch,
                                         best=state.best, elapsed=state.elapsed)
        self.manager = tf.train.CheckpointManager(checkpoint, run_dir.checkpoints, max_to_keep=KEEP)
        self.best_manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), run_dir.best_checkpoints,
                                                       max_to_keep=1)

    def restore_latest(self):
        """Restore the last checkpoint into the model, optimizer and state; its path, or None when there is none."""
        latest = self.manager.latest_checkpoint
        if latest:
            self.manager.checkpoint.restore(latest).assert_existing_objects_matched()
        return latest

    def save_epoch(self, epoch, elapsed, val_accuracy=None):
        """Record that ``epoch`` epochs are done after ``elapsed`` seconds; save it, and as best when it is."""
        self.state.epoch.assign(epoch)
        self.state.elapsed.assign(elapsed)
        if val_accuracy is not None and val_accuracy > float(self.state.best.numpy()):
            self.state.best.assign(val_accuracy)
            self.best_manager.save(checkpoint_number=epoch)
            log.info("epoch %d: best val_accuracy %.4f, saved %s", epoch, val_accuracy,
                     self.best_manager.latest_checkpoint)
        log.info("epoch %d: saved %s", epoch, self.manager.save(checkpoint_number=epoch))
