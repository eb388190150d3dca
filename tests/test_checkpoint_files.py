"""A run's checkpoint files, saved and restored directly on a small Keras model: the furthest one is restored by
its progress and a torn one gives way by number, not by its file name's order; nothing saved restores nothing; a
checkpoint not kept, or one that does not fit, is refused naming what is kept or the file."""
import os
import re

import numpy as np
import pytest

from resizer_plugin.compat import keras
from resizer_plugin.zoo.training.checkpoints import (CheckpointError, Checkpoints, TrainingState, find_checkpoint,
                                                     latest_checkpoint, restore_model, torn)
from resizer_plugin.zoo.training.run_dir import RunDirectory

from .builders import checkpoint_progress, tear


def _model(units=1, optimizer="sgd"):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(units)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(np.zeros((2, 2)), np.zeros((2, units)), verbose=0)  # the optimizer's variables exist once it stepped
    return model


def test_the_furthest_checkpoint_is_restored_epoch_10_after_epoch_9(tmp_path):
    run_dir = RunDirectory(str(tmp_path))
    model = _model()
    saving = Checkpoints(run_dir, model, TrainingState())
    for epoch in (8, 9, 10):
        model.layers[-1].bias.assign([float(epoch)])
        saving.save_epoch(epoch, elapsed=epoch * 1.5)
    restored, state = _model(), TrainingState()
    path = Checkpoints(run_dir, restored, state).restore_latest()
    assert path == str(tmp_path / "checkpoints" / "ckpt-10.npz")  # ckpt-9 sorts after ckpt-10 as text
    assert state.epochs_done == 10 and state.seconds == 15.0 and float(restored.layers[-1].bias.numpy()[0]) == 10.0


def test_with_nothing_saved_nothing_is_restored(tmp_path):
    state = TrainingState()
    assert Checkpoints(RunDirectory(str(tmp_path)), _model(), state).restore_latest() is None
    assert state.epochs_done == 0


def test_a_checkpoint_of_another_model_or_optimizer_is_refused_naming_the_file_and_the_part(tmp_path):
    run_dir = RunDirectory(str(tmp_path))
    Checkpoints(run_dir, _model(), TrainingState()).save_epoch(1, elapsed=1.0)
    saved = re.escape(str(tmp_path / "checkpoints" / "ckpt-1.npz"))
    with pytest.raises(CheckpointError, match=r"^{} does not fit this model: it holds 2 variables, the model has "
                                              r"2 \(or their shapes differ\)".format(saved)):
        Checkpoints(run_dir, _model(units=3), TrainingState()).restore_latest()
    with pytest.raises(CheckpointError, match=r"^{} does not fit this optimizer: it holds".format(saved)):
        Checkpoints(run_dir, _model(optimizer="adam"), TrainingState()).restore_latest()


def _saved_epochs(tmp_path, epochs, val_accuracy=None):
    run_dir = RunDirectory(str(tmp_path))
    saving = Checkpoints(run_dir, _model(), TrainingState())
    for epoch in epochs:
        saving.save_epoch(epoch, elapsed=1.0, val_accuracy=val_accuracy)
    return run_dir


def test_a_torn_last_checkpoint_gives_way_to_the_newest_intact_one_by_number(tmp_path):
    run_dir = _saved_epochs(tmp_path, (9, 10, 11))
    tear(tmp_path / "checkpoints" / "ckpt-11.npz")
    assert find_checkpoint(run_dir, "last") == str(tmp_path / "checkpoints" / "ckpt-10.npz")  # not ckpt-9, as text


def test_a_checkpoint_not_kept_is_refused_naming_those_kept(tmp_path):
    run_dir = _saved_epochs(tmp_path, (1, 2, 3, 4), val_accuracy=0.5)
    with pytest.raises(CheckpointError, match=r"no checkpoint '1' \(kept: best, last, 2, 3, 4\)$"):
        find_checkpoint(run_dir, "1")
    with pytest.raises(CheckpointError, match=r"no checkpoint 'last' \(kept: none\)$"):
        find_checkpoint(RunDirectory(str(tmp_path / "empty")), "last")
    assert latest_checkpoint(str(tmp_path / "empty")) is None


def test_weights_that_do_not_fit_are_refused_naming_the_file(tmp_path):
    run_dir = _saved_epochs(tmp_path, (1,))
    saved = str(tmp_path / "checkpoints" / "ckpt-1.npz")
    with pytest.raises(CheckpointError, match=r"^{} does not fit this model".format(re.escape(saved))):
        restore_model(_model(units=3), saved)
    assert run_dir.checkpoints == str(tmp_path / "checkpoints")


def test_a_checkpoint_holding_a_pickled_object_is_torn_not_unpickled(tmp_path):
    path = tmp_path / "ckpt-1.npz"
    np.savez(str(path), **{"model/00000": np.array([{"code": "run me"}], dtype=object)})  # pickled by NumPy
    assert torn(str(path)).startswith("ValueError: Object arrays cannot be loaded when allow_pickle=False")


def test_partial_files_of_killed_writes_are_removed_at_every_level(tmp_path):
    run_dir = _saved_epochs(tmp_path, (1,), val_accuracy=0.5)
    partials = [tmp_path / "checkpoints" / name for name in ("ckpt-2.npz.partial", "best/ckpt-2.npz.partial",
                                                              "steps/ckpt-9.npz.partial")]
    for partial in partials:
        partial.parent.mkdir(exist_ok=True)
        partial.write_bytes(b"half")
    Checkpoints(run_dir, _model(), TrainingState()).remove_partial()
    assert not any(partial.exists() for partial in partials)
    assert (tmp_path / "checkpoints" / "ckpt-1.npz").exists()


@pytest.mark.parametrize("which", ["²", "1.0", "x"])
def test_an_epoch_is_asked_for_in_ascii_digits(tmp_path, which):
    run_dir = _saved_epochs(tmp_path, (1, 2))
    with pytest.raises(CheckpointError, match="no checkpoint {!r}".format(which)):
        find_checkpoint(run_dir, which)


def test_an_epochs_checkpoint_is_at_the_start_of_the_next_and_best_keeps_the_first_of_equals(tmp_path):
    assert TrainingState().as_dict() == {"epochs_done": 0, "steps_into_epoch": 0, "best": -1.0, "seconds": 0.0}
    run_dir = RunDirectory(str(tmp_path))
    state = TrainingState(epochs_done=1, steps_into_epoch=5)
    saving = Checkpoints(run_dir, _model(), state)
    for epoch, accuracy in ((2, 0.5), (3, 0.5)):
        saving.save_epoch(epoch, elapsed=2.0, val_accuracy=accuracy)
    assert state.steps_into_epoch == 0 and state.best == 0.5
    assert sorted(os.listdir(run_dir.best_checkpoints)) == ["ckpt-2.npz"]  # an equal one replaces nothing
    saving.save_epoch(4, elapsed=2.0, val_accuracy=0.75)
    assert sorted(os.listdir(run_dir.best_checkpoints)) == ["ckpt-4.npz"]  # one kept
    restored = TrainingState()
    Checkpoints(run_dir, _model(), restored).restore_latest()
    assert restored.as_dict() == {"epochs_done": 4, "steps_into_epoch": 0, "best": 0.75, "seconds": 2.0}


def test_a_checkpoint_records_the_optimizers_step_count(tmp_path):
    run_dir = RunDirectory(str(tmp_path))
    model = _model()  # one step
    model.fit(np.zeros((6, 2)), np.zeros((6, 1)), batch_size=2, verbose=0)  # three more
    saving = Checkpoints(run_dir, model, TrainingState())
    saving.save_epoch(2, elapsed=1.0)
    saving.save_step(2, steps_into_epoch=1, optimizer_step=4, elapsed=1.0)
    assert checkpoint_progress(tmp_path / "checkpoints" / "ckpt-2.npz")["optimizer_step"] == 4
    assert checkpoint_progress(tmp_path / "checkpoints" / "steps" / "ckpt-4.npz")["optimizer_step"] == 4
