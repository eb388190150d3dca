"""Several devices and hosts: the quickstart recipe on two logical CPU devices (mirrored: tf.distribute, or
keras.distribution on JAX) matches a single-device run; two zoo-run processes on loopback (multi_worker: Keras 2's
TF_CONFIG, or JAX's KERAS_DISTRIBUTION_* variables) train and resume together, match one process and keep their
outputs apart; Keras 3 on TensorFlow refuses multi_worker, JAX without the job's addresses too."""
import csv
import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

from resizer_plugin.compat import BACKEND

from .builders import RECIPES, small_recipe, zoo_run

ON_JAX = BACKEND == "jax"

# the same data in the same order on both: tf.data re-seeds the shuffle of a dataset a strategy distributes; float32
# on every CPU (the quickstart's precision: auto picks bfloat16 where the CPU has it)
SHORT = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=6", "--set", "train.validation_steps=2",
         "--set", "data.shuffle_buffer=1", "--set", "runtime.precision=float32"]


def _history(out, *flags):
    command = [sys.executable, "-m", "resizer_plugin.zoo.cli", os.path.join(RECIPES, "quickstart.yaml"),
               "--output-dir", str(out), "--device", "cpu"] + SHORT + list(flags)
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.join(str(out), "history.csv")) as handle:
        return list(csv.DictReader(handle)), result.stderr


@pytest.mark.slow
@pytest.mark.jax
def test_mirrored_on_two_logical_cpus_matches_one_device(tmp_path):
    single, _ = _history(tmp_path / "single")
    mirrored, log = _history(tmp_path / "mirrored", "--set", "runtime.logical_devices=2",
                             "--set", "runtime.strategy=mirrored")
    devices = "(JAX, 2 device(s), float32, mirrored strategy: keras.distribution" if ON_JAX else "(2 replica(s), float32"
    assert "cpu " + devices in log and "BatchNormalization synchronized" in log
    assert len(single) == len(mirrored) == 2
    for one, two in zip(single, mirrored):
        for key in ("loss", "val_loss"):
            # float sums reduce in another order across devices; Adam amplifies that a little over the steps
            # (measured: within 3.0e-3 relative on JAX, 2 epochs of 6 steps)
            assert float(two[key]) == pytest.approx(float(one[key]), rel=5e-3), (key, one, two)
    assert float(mirrored[-1]["loss"]) < float(mirrored[0]["loss"])  # it trains


def test_logical_devices_after_jax_started_is_a_clear_error():
    jax = pytest.importorskip("jax", reason="jax is in the test extra")
    from resizer_plugin.runtimes.local.keras_distribution import place

    present = len(jax.devices("cpu"))  # JAX's devices are set up now
    with pytest.raises(RuntimeError, match="JAX already set up {} CPU device.s. in this process; run zoo-run in a "
                                           "fresh process".format(present)):
        place("CPU", present + 1)


def test_on_jax_a_global_batch_that_does_not_divide_by_the_devices_is_one_line(tmp_path):
    if not ON_JAX:
        pytest.skip("tf.distribute splits uneven batches itself")
    command = [sys.executable, "-m", "resizer_plugin.zoo.cli", os.path.join(RECIPES, "quickstart.yaml"),
               "--output-dir", str(tmp_path / "run"), "--device", "cpu", "--set", "runtime.logical_devices=2",
               "--set", "runtime.strategy=mirrored", "--set", "data.batch_size=15"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].endswith(
        "data.batch_size 15 does not divide by the 2 devices the batch is split over: choose a multiple of 2"), \
        result.stderr[-2000:]


def test_logical_devices_after_tensorflow_started_is_a_clear_error():
    import tensorflow as tf

    from resizer_plugin.runtimes.local import _split_cpu

    tf.constant(1.0)  # devices are initialized now
    with pytest.raises(RuntimeError, match="run zoo-run in a fresh process"):
        _split_cpu(len(tf.config.list_logical_devices("CPU")) + 1)


#: a small recipe that two workers train together on a global batch of 8 (4 each), shuffled as one process would
MULTI_WORKER = small_recipe({
    "name": "two_hosts", "seed": 3, "data.image_size": [32, 32], "data.train_examples": 16, "data.shuffle_buffer": 64,
    "model.stages": [{"type": "rescale"}, {"type": "learnable_resizer", "target_size": [16, 16], "filters": 4}],
    "model.backbone": {"type": "small_cnn", "filters": 4, "blocks": 1},
    "train": {"epochs": 2, "steps_per_epoch": 3, "validation_steps": 1, "log_steps": 1,
              "optimizer": {"type": "sgd", "learning_rate": 0.05}},
    "runtime.strategy": "multi_worker"})


def _loopback_addresses(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    addresses = ["localhost:{}".format(sock.getsockname()[1]) for sock in sockets]
    for sock in sockets:
        sock.close()
    return addresses


def _keras_2_env(**extra):
    return dict(os.environ, TF_USE_LEGACY_KERAS="1", **extra)


def _single_env():
    return dict(os.environ) if ON_JAX else _keras_2_env()


def _worker_env(hosts, index):
    """Process ``index``'s environment in a job of ``hosts``: Keras' variables on JAX, else TF_CONFIG on Keras 2."""
    if ON_JAX:
        return dict(os.environ, KERAS_DISTRIBUTION_JOB_ADDRESSES=",".join(hosts),
                    KERAS_DISTRIBUTION_NUM_PROCESSES=str(len(hosts)), KERAS_DISTRIBUTION_PROCESS_ID=str(index))
    return _keras_2_env(TF_CONFIG=json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}))


def _train_on_two_workers(recipe, out, *args):
    hosts = _loopback_addresses(2)
    processes = [subprocess.Popen(
        [sys.executable, "-m", "resizer_plugin.zoo.cli", recipe, "--output-dir", str(out)] + list(args),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_worker_env(hosts, index))
        for index in range(2)]
    try:
        logs = [process.communicate(timeout=300)[1] for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [process.returncode for process in processes] == [0, 0], "\n".join(log[-2000:] for log in logs)
    return logs


def _train_in_one_process(recipe, out, *args):
    single = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", recipe, "--output-dir", str(out),
                             "--set", "runtime.strategy=default"] + list(args),
                            capture_output=True, text=True, env=_single_env())
    assert single.returncode == 0, single.stderr[-3000:]


def _losses(folder):
    with open(os.path.join(str(folder), "history.csv")) as handle:
        return [(float(row["loss"]), float(row["val_loss"])) for row in csv.DictReader(handle)]


@pytest.mark.slow
@pytest.mark.jax
def test_two_workers_on_loopback_train_and_resume_together_like_one_process(tmp_path):
    recipe, run = str(tmp_path / "two_hosts.yaml"), tmp_path / "run"
    (tmp_path / "two_hosts.yaml").write_text(yaml.safe_dump(MULTI_WORKER))
    # epoch 1, then --resume to epoch 2: on two workers, and in one process on the same global batches
    chief_log, _ = _train_on_two_workers(recipe, run, "--set", "train.epochs=1")
    assert "cpu ({}, float32, multi_worker strategy".format(
        "JAX, 2 device(s) in 2 processes" if ON_JAX else "2 replica(s)") in chief_log
    logs = _train_on_two_workers(recipe, run, "--resume")
    assert all("1 of 2 epochs done (optimizer step 3)" in log for log in logs)
    _train_in_one_process(recipe, tmp_path / "single", "--set", "train.epochs=1")
    _train_in_one_process(recipe, tmp_path / "single", "--resume")
    # the chief keeps the run's folder; worker 1 writes its own log, history, checkpoints and pictures beside it
    assert sorted(os.listdir(str(run))) == [".lock", "checkpoints", "history.csv", "logs", "metrics.json",
                                            "pictures", "recipe.yaml", "train.log", "worker-1"]
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2
    assert not (run / "worker-1" / "metrics.json").exists() and (run / "worker-1" / "train.log").is_file()
    assert "worker-1" not in (run / "train.log").read_text()
    # the same global batches as one process: losses agree to float rounding (measured: within 1.3e-5 relative on
    # Keras 2, 1e-7 on JAX)
    expected = _losses(tmp_path / "single")
    for losses in (_losses(run), _losses(run / "worker-1")):
        assert len(losses) == 2
        for got, want in zip(losses, expected):
            assert got == pytest.approx(want, rel=1e-4), (losses, expected)


def test_multi_worker_on_keras_3_is_refused_with_the_reason(tmp_path):
    from resizer_plugin.compat import IS_KERAS_3

    if not IS_KERAS_3:
        pytest.skip("Keras 2 runs multi_worker")
    recipe = tmp_path / "two_hosts.yaml"
    recipe.write_text(yaml.safe_dump(MULTI_WORKER))
    result = zoo_run(str(recipe), "--dry-run")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    if ON_JAX:  # without the job's addresses
        assert ("runtime.strategy: multi_worker on JAX needs the job's addresses: set KERAS_DISTRIBUTION_JOB_ADDRESSES, "
                "KERAS_DISTRIBUTION_NUM_PROCESSES, KERAS_DISTRIBUTION_PROCESS_ID") in result.stderr
    else:
        assert "strategy: multi_worker on Keras 3 needs KERAS_BACKEND=jax" in result.stderr and \
            "keras-team/keras#20585" in result.stderr
