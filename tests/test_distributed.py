"""tf.distribute: the quickstart recipe on two logical CPU devices (mirrored) matches a single-device run."""
import csv
import os
import subprocess
import sys

import pytest

RECIPES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recipes")
# the same data in the same order on both: tf.data re-seeds the shuffle of a dataset a strategy distributes
SHORT = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=6", "--set", "train.validation_steps=2",
         "--set", "data.shuffle_buffer=1"]


def _history(out, *flags):
    command = [sys.executable, "-m", "resizer_plugin.zoo.cli", os.path.join(RECIPES, "quickstart.yaml"),
               "--output-dir", str(out), "--device", "cpu"] + SHORT + list(flags)
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.join(str(out), "history.csv")) as handle:
        return list(csv.DictReader(handle)), result.stderr


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_matches_one_device(tmp_path):
    single, _ = _history(tmp_path / "single")
    mirrored, log = _history(tmp_path / "mirrored", "--set", "runtime.logical_devices=2",
                             "--set", "runtime.strategy=mirrored")
    assert "cpu (2 replica(s), float32, mirrored strategy" in log and "BatchNormalization synchronized" in log
    assert len(single) == len(mirrored) == 2
    for one, two in zip(single, mirrored):
        for key in ("loss", "val_loss"):
            # float sums reduce in another order across replicas; Adam amplifies that a little over the steps
            assert float(two[key]) == pytest.approx(float(one[key]), rel=5e-3), (key, one, two)
    assert float(mirrored[-1]["loss"]) < float(mirrored[0]["loss"])  # it trains


def test_logical_devices_after_tensorflow_started_is_a_clear_error():
    import tensorflow as tf

    from resizer_plugin.runtimes.local import _split_cpu

    tf.constant(1.0)  # devices are initialized now
    with pytest.raises(RuntimeError, match="run zoo-run in a fresh process"):
        _split_cpu(len(tf.config.list_logical_devices("CPU")) + 1)
