"""The Keras callbacks of a training run: the throughput and epoch lines scripts read, the learning rate in the
epoch's logs, and the checkpoints (after every epoch, and every N steps if asked)."""
import time

from ...compat import keras
from .logs import MACHINE_READ, log
from .optimization import current_learning_rate

__all__ = ["EpochLog", "LearningRateLog", "SaveCheckpoints", "TimeHistory", "TrainingSecondsLog"]


class TimeHistory(keras.callbacks.Callback):
    """Logs ``TimeHistory: <s> seconds, <x> examples/second between steps <a> and <b>`` after every ``log_steps``
    training steps (the ModelZoo scripts read ``<x>`` as the line's 4th field), and keeps the rates.

    Only training steps are timed: the clock stops while validation runs and between epochs, and a last window
    shorter than ``log_steps`` is not reported."""

    def __init__(self, batch_size, log_steps):
        super().__init__()
        self.batch_size, self.log_steps = batch_size, log_steps
        self.global_step, self.rates = 0, []
        self._window_step, self._seconds, self._clock = 0, 0.0, None

    def on_train_batch_begin(self, batch, logs=None):
        if self._clock is None:
            self._clock = time.time()

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1
        if self.global_step - self._window_step >= self.log_steps:
            self._report()

    def on_test_begin(self, logs=None):
        self._stop_clock()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_clock()

    def _stop_clock(self):
        if self._clock is not None:
            self._seconds += time.time() - self._clock
            self._clock = None

    def _report(self):
        self._stop_clock()
        steps = self.global_step - self._window_step
        rate = steps * self.batch_size / self._seconds if self._seconds > 0 else float("nan")
        self.rates.append((steps, rate))
        log.info("TimeHistory: %.2f seconds, %.2f examples/second between steps %d and %d", self._seconds, rate,
                 self._window_step, self.global_step, extra=MACHINE_READ)
        self._window_step, self._seconds = self.global_step, 0.0

    def examples_per_second(self):
        """Mean rate over the logged windows, leaving out the first (tracing and warm-up) when there are others;
        without a whole window, the rate of the steps timed so far."""
        windows = self.rates[1:] if len(self.rates) > 1 else self.rates
        steps = sum(s for s, _ in windows)
        if steps:
            return sum(s * r for s, r in windows) / steps
        self._stop_clock()
        pending = self.global_step - self._window_step
        return pending * self.batch_size / self._seconds if pending and self._seconds > 0 else None


def _keras_2_value(value):
    return "%.4f" % value if value > 1e-3 else "%.4e" % value


class EpochLog(keras.callbacks.Callback):
    """Logs every epoch as tf.keras 2 prints it with ``verbose=2``, whatever the Keras version::

        Epoch 3/5
        145/145 - 52s - loss: 0.6977 - accuracy: 0.5208 - val_loss: 0.6929 - val_accuracy: 0.5069

    ``metrics`` gives the order after the loss (the ModelZoo scripts read the loss as the 6th field and the first
    metric as the 9th of the line holding ``val_loss``)."""

    def __init__(self, epochs, metrics):
        super().__init__()
        self.epochs, self.metrics = epochs, list(metrics)
        self._steps, self._start = 0, None

    def on_epoch_begin(self, epoch, logs=None):
        self._steps, self._start = 0, time.time()
        log.info("Epoch %d/%d", epoch + 1, self.epochs, extra=MACHINE_READ)

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        names = ["loss"] + self.metrics
        names += ["val_" + name for name in names]
        fields = ["{}: {}".format(name, _keras_2_value(float(logs[name]))) for name in names if name in logs]
        log.info(" - ".join(["{0}/{0}".format(self._steps), "%.0fs" % (time.time() - self._start)] + fields),
                 extra=MACHINE_READ)


class SaveCheckpoints(keras.callbacks.Callback):
    """After each epoch, save a checkpoint (and the best one) through :class:`~.checkpoints.Checkpoints`; with
    ``every_steps``, also one after every that many optimizer steps that do not end an epoch. ``clock``: the run's
    :class:`TrainingSecondsLog`, whose seconds the checkpoint keeps; ``steps_done``: the steps of the first epoch
    done before this ``fit`` (it resumes inside that epoch)."""

    def __init__(self, checkpoints, clock, every_steps=None, steps_done=0):
        super().__init__()
        self.checkpoints, self.clock = checkpoints, clock
        self.every_steps, self.steps_done = every_steps, steps_done
        self.epoch, self.optimizer_step = 0, 0

    def _elapsed(self):
        return self.clock.seconds()

    def on_train_begin(self, logs=None):
        self.optimizer_step = int(self.model.optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.optimizer_step += 1
        ends_epoch = batch + 1 == self.params.get("steps")
        if self.every_steps and self.optimizer_step % self.every_steps == 0 and not ends_epoch:
            self.checkpoints.save_step(self.epoch, self.steps_done + batch + 1, self.optimizer_step, self._elapsed())

    def on_epoch_end(self, epoch, logs=None):
        self.steps_done = 0
        self.checkpoints.save_epoch(epoch + 1, self._elapsed(), (logs or {}).get("val_accuracy"))


class TrainingSecondsLog(keras.callbacks.Callback):
    """Adds ``training_seconds`` to each epoch's logs: the run's seconds of ``fit`` so far, validation included,
    the seconds of earlier processes of a resumed run (``seconds_before``) counted, the time between them not; put it
    before the callbacks that write (history.csv keeps it, ``zoo compare`` reads time to accuracy from it)."""

    def __init__(self, seconds_before):
        super().__init__()
        self.seconds_before, self.started = seconds_before, time.time()

    def seconds(self):
        return self.seconds_before + time.time() - self.started

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["training_seconds"] = self.seconds()


class LearningRateLog(keras.callbacks.Callback):
    """Adds ``learning_rate``, the rate the optimizer applies at the end of the epoch, to the epoch's logs (so
    history.csv, TensorBoard and the training-curves picture have it); put it before the callbacks that write."""

    def on_epoch_end(self, epoch, logs=None):
        rate = current_learning_rate(self.model.optimizer)
        if logs is not None and rate is not None:
            logs["learning_rate"] = rate
