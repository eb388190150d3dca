"""Checkpoints inside epochs (``train.checkpoint_every_steps``): which ``fit`` calls a resume makes, and the epoch
size the step count needs. The kill-and-resume runs are in test_zoo_run.py."""
import logging
from types import SimpleNamespace

import pytest
import tensorflow as tf

from resizer_plugin.zoo.contract import DataError
from resizer_plugin.zoo.schema import Schedule
from resizer_plugin.zoo.train import _epoch_steps, _fit_calls

CONSTANT = Schedule("constant", 0.0, None, 0.1, 0.0)


def _train(epochs=3, steps_per_epoch=None, freeze_backbone_epochs=0, checkpoint_every_steps=None,
           schedule=CONSTANT):
    return SimpleNamespace(epochs=epochs, steps_per_epoch=steps_per_epoch,
                           freeze_backbone_epochs=freeze_backbone_epochs, checkpoint_every_steps=checkpoint_every_steps,
                           optimizer=SimpleNamespace(schedule=schedule))


def _state(epochs_done, steps_into_epoch):
    return SimpleNamespace(epochs_done=epochs_done, steps_into_epoch=steps_into_epoch)


def test_a_resume_inside_an_epoch_first_trains_the_rest_of_it():
    assert _fit_calls(_train(), _state(1, 4), 10) == [(1, 2, False, 6), (2, 3, False, None)]
    assert _fit_calls(_train(steps_per_epoch=10), _state(2, 9), 10) == [(2, 3, False, 1)]
    assert _fit_calls(_train(), _state(1, 0), 10) == [(1, 3, False, None)]


def test_the_rest_of_a_frozen_epoch_stays_frozen():
    calls = _fit_calls(_train(epochs=4, freeze_backbone_epochs=2), _state(0, 3), 10)
    assert calls == [(0, 1, True, 7), (1, 2, True, None), (2, 4, False, None)]
    assert _fit_calls(_train(epochs=4, freeze_backbone_epochs=2), _state(1, 3), 10) == [(1, 2, True, 7),
                                                                                           (2, 4, False, None)]


def _pipelines(batches):
    return SimpleNamespace(train=batches)


def test_step_checkpoints_refuse_a_split_of_unknown_size():
    unknown = tf.data.Dataset.range(40).filter(lambda x: x % 2 == 0).batch(4)
    assert int(unknown.cardinality()) < 0
    with pytest.raises(DataError, match="train.checkpoint_every_steps counts in steps: set train.steps_per_epoch"):
        _epoch_steps(SimpleNamespace(train=_train(checkpoint_every_steps=5)), _pipelines(unknown))
    assert _epoch_steps(SimpleNamespace(train=_train(steps_per_epoch=7, checkpoint_every_steps=5)),
                        _pipelines(unknown)) == 7


def test_more_steps_than_an_epoch_is_allowed_and_said(caplog, monkeypatch):
    from resizer_plugin.zoo.logs import log

    monkeypatch.setattr(log, "propagate", True)  # a CLI run earlier in this session sent it to the console only
    batches = tf.data.Dataset.range(40).batch(4)
    with caplog.at_level(logging.INFO, logger="zoo"):
        steps = _epoch_steps(SimpleNamespace(train=_train(checkpoint_every_steps=25)), _pipelines(batches))
    assert steps == 10
    assert "train.checkpoint_every_steps 25 is more than an epoch (10 steps): allowed" in caplog.text
