"""Checkpoints inside epochs (``train.checkpoint_every_steps``): which ``fit`` calls a resume makes, and the epoch
size the step count needs. The kill-and-resume runs are in test_zoo_run.py."""
from types import SimpleNamespace

import pytest

from resizer_plugin.zoo.config.schema import Schedule
from resizer_plugin.zoo.contract import DataError
from resizer_plugin.zoo.training.planning import (FitCall, Phase, epoch_steps, fit_calls, long_checkpoint_interval,
                                                 phases)

CONSTANT = Schedule("constant", 0.0, None, 0.1, 0.0)


def _train(epochs=3, steps_per_epoch=None, freeze_backbone_epochs=0, checkpoint_every_steps=None,
           schedule=CONSTANT):
    return SimpleNamespace(epochs=epochs, steps_per_epoch=steps_per_epoch,
                           freeze_backbone_epochs=freeze_backbone_epochs, checkpoint_every_steps=checkpoint_every_steps,
                           optimizer=SimpleNamespace(schedule=schedule))


def test_a_resume_inside_an_epoch_first_trains_the_rest_of_it():
    assert fit_calls(_train(), 1, 4, 10) == [FitCall(1, 2, False, 6), FitCall(2, 3, False, None)]
    assert fit_calls(_train(steps_per_epoch=10), 2, 9, 10) == [(2, 3, False, 1)]
    assert fit_calls(_train(), 1, 0, 10) == [(1, 3, False, None)]


def test_the_rest_of_a_frozen_epoch_stays_frozen():
    calls = fit_calls(_train(epochs=4, freeze_backbone_epochs=2), 0, 3, 10)
    assert calls == [(0, 1, True, 7), (1, 2, True, None), (2, 4, False, None)]
    assert fit_calls(_train(epochs=4, freeze_backbone_epochs=2), 1, 3, 10) == [(1, 2, True, 7), (2, 4, False, None)]


def test_frozen_epochs_come_first_and_a_resume_past_them_trains_the_rest():
    assert phases(_train(epochs=4, freeze_backbone_epochs=2), 0) == [Phase(0, 2, True), Phase(2, 4, False)]
    assert phases(_train(epochs=4, freeze_backbone_epochs=2), 3) == [Phase(3, 4, False)]
    assert phases(_train(epochs=2, freeze_backbone_epochs=5), 0) == [Phase(0, 2, True)]  # no more than the epochs
    assert phases(_train(epochs=2), 2) == []


def test_step_checkpoints_refuse_a_split_of_unknown_size():
    with pytest.raises(DataError, match="train.checkpoint_every_steps counts in steps: set train.steps_per_epoch"):
        epoch_steps(_train(checkpoint_every_steps=5), -2)  # tf.data's UNKNOWN_CARDINALITY
    assert epoch_steps(_train(steps_per_epoch=7, checkpoint_every_steps=5), -2) == 7
    assert epoch_steps(_train(), -2) == 1  # nothing counts in steps: fit runs the split to its end


def test_more_steps_than_an_epoch_is_allowed_and_said():
    assert epoch_steps(_train(checkpoint_every_steps=25), 10) == 10
    note = long_checkpoint_interval(_train(checkpoint_every_steps=25), 10)
    assert note.startswith("train.checkpoint_every_steps 25 is more than an epoch (10 steps): allowed")
    assert long_checkpoint_interval(_train(checkpoint_every_steps=10), 10) is None
