"""The Keras callbacks of a training run: the throughput line, and a checkpoint after every epoch."""
import logging
import time

from ..compat import keras

__all__ = ["EpochCheckpoint", "TimeHistory"]

log = logging.getLogger("zoo")


class TimeHistory(keras.callbacks.Callback):
    """Logs ``TimeHistory: <s> seconds, <x> examples/second between steps <a> and <b>`` every ``log_steps``
    steps (the line the ModelZoo launch scripts parse), and keeps the rates for metrics.json."""

    def __init__(self, batch_size, log_steps):
        super().__init__()
        self.batch_size, self.log_steps = batch_size, log_steps
        self.global_step, self.rates = 0, []
        self._start_step, self._start_time = 0, None

    def on_train_batch_begin(self, batch, logs=None):
        if self._start_time is None:
            self._start_time, self._start_step = time.time(), self.global_step

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1
        if self.global_step - self._start_step >= self.log_steps:
            self._report()

    def on_epoch_end(self, epoch, logs=None):
        if self._start_time is not None and self.global_step > self._start_step:
            self._report()

    def _report(self):
        elapsed = time.time() - self._start_time
        steps = self.global_step - self._start_step
        rate = steps * self.batch_size / elapsed if elapsed > 0 else float("nan")
        self.rates.append((steps, rate))
        log.info("TimeHistory: %.2f seconds, %.2f examples/second between steps %d and %d", elapsed, rate,
                 self._start_step, self.global_step)
        self._start_time = None

    def examples_per_second(self):
        """Mean rate over the logged windows, leaving out the first (tracing and warm-up) when there are others."""
        windows = self.rates[1:] if len(self.rates) > 1 else self.rates
        steps = sum(s for s, _ in windows)
        return sum(s * r for s, r in windows) / steps if steps else None


class EpochCheckpoint(keras.callbacks.Callback):
    """After each epoch, save a checkpoint (and the best one) through :class:`~.checkpoints.Checkpoints`."""

    def __init__(self, checkpoints, elapsed_before):
        super().__init__()
        self.checkpoints, self.elapsed_before, self.started = checkpoints, elapsed_before, time.time()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = self.elapsed_before + time.time() - self.started
        self.checkpoints.save_epoch(epoch + 1, elapsed, (logs or {}).get("val_accuracy"))
