"""The lines scripts read: the throughput line times training steps only, the epoch line is tf.keras 2's."""
import logging

import pytest

from resizer_plugin.zoo.training import callbacks


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(callbacks.time, "time", fake.time)
    return fake


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def lines():
    """The messages of the zoo logger (which does not propagate to the root logger pytest captures)."""
    handler, logger = _Collect(), logging.getLogger("zoo")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    yield lambda: list(handler.messages)
    logger.removeHandler(handler)
    logger.setLevel(level)


def _train_steps(timer, clock, count, seconds_each):
    for _ in range(count):
        timer.on_train_batch_begin(0)
        clock.now += seconds_each
        timer.on_train_batch_end(0)


def _validate_and_end_epoch(timer, clock, seconds):
    timer.on_test_begin()
    clock.now += seconds
    timer.on_epoch_end(0)


def test_time_history_leaves_validation_and_epoch_ends_out_and_reports_whole_windows_only(clock, lines):
    timer = callbacks.TimeHistory(batch_size=8, log_steps=4)
    _train_steps(timer, clock, 3, 0.5)            # epoch 1: 3 steps of 0.5 s
    _validate_and_end_epoch(timer, clock, 60.0)   # a minute of validation and checkpointing
    _train_steps(timer, clock, 6, 0.25)           # epoch 2: 6 steps of 0.25 s; the last, alone, is no window
    _validate_and_end_epoch(timer, clock, 60.0)
    assert lines() == ["TimeHistory: 1.75 seconds, 18.29 examples/second between steps 0 and 4",
                       "TimeHistory: 1.00 seconds, 32.00 examples/second between steps 4 and 8"]
    assert timer.examples_per_second() == pytest.approx(32.0)  # the first window (warm-up) left out


def test_time_history_without_a_whole_window_still_gives_a_rate(clock, lines):
    timer = callbacks.TimeHistory(batch_size=2, log_steps=100)
    _train_steps(timer, clock, 3, 0.5)
    _validate_and_end_epoch(timer, clock, 30.0)
    assert lines() == [] and timer.examples_per_second() == pytest.approx(4.0)


def test_epoch_log_prints_the_keras_2_verbose_2_line(clock, lines):
    epoch_log = callbacks.EpochLog(epochs=5, metrics=["accuracy", "top_5_accuracy"])
    epoch_log.on_epoch_begin(2)
    for _ in range(145):
        epoch_log.on_train_batch_end(0)
    clock.now += 52.3
    epoch_log.on_epoch_end(2, {"accuracy": 0.52083, "val_loss": 0.69291, "loss": 0.69771, "val_accuracy": 0.0,
                               "top_5_accuracy": 1.0, "val_top_5_accuracy": 1.0, "learning_rate": 0.01})
    assert lines() == ["Epoch 3/5", "145/145 - 52s - loss: 0.6977 - accuracy: 0.5208 - top_5_accuracy: 1.0000 - "
                       "val_loss: 0.6929 - val_accuracy: 0.0000e+00 - val_top_5_accuracy: 1.0000"]
    fields = lines()[1].split()
    assert (fields[5], fields[8]) == ("0.6977", "0.5208")  # what the port's awk reads: $6 loss, $9 accuracy


def test_the_lines_scripts_read_have_nothing_before_them_in_the_log(tmp_path, clock):
    from resizer_plugin.zoo.training.logs import RunLog, setup_console

    setup_console()
    with RunLog(str(tmp_path / "train.log")) as run_log:
        run_log.open()
        timer = callbacks.TimeHistory(batch_size=1, log_steps=1)
        _train_steps(timer, clock, 1, 0.5)
        callbacks.log.info("an ordinary line")
    text = (tmp_path / "train.log").read_text().splitlines()
    assert text[0] == "TimeHistory: 0.50 seconds, 2.00 examples/second between steps 0 and 1"
    assert text[1].endswith(" INFO an ordinary line") and not text[1].startswith("an ordinary")


def test_training_seconds_carry_a_resumed_runs_earlier_seconds_and_count_validation(clock):
    seconds = callbacks.TrainingSecondsLog(seconds_before=100.0)  # a checkpoint of 100 s of earlier processes
    first, second = {"val_accuracy": 0.5}, {}
    clock.now += 7.5   # an epoch's steps and its validation
    seconds.on_epoch_end(0, first)
    clock.now += 2.5
    seconds.on_epoch_end(1, second)
    assert first == {"val_accuracy": 0.5, "training_seconds": 107.5} and second == {"training_seconds": 110.0}
