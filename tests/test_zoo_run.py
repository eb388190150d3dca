"""zoo-run end to end: the quickstart, the reference recipe on a 4.0.0 fixture, resume after SIGKILL, bad data."""
import csv
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time

import pytest
import yaml

from resizer_plugin import compat
from resizer_plugin.zoo.cli.common import onednn_default, tensorflow_version

from .builders import RECIPES, checkpoint_progress, latest_checkpoint, small_recipe, zoo_run



def _zoo_run(*args, status=0):
    result = zoo_run(*args)
    assert result.exit_code == status, result.output + result.stderr
    return result


def _metrics(out):
    with open(os.path.join(str(out), "metrics.json")) as handle:
        return json.load(handle)


@pytest.mark.slow
@pytest.mark.jax
def test_quickstart_trains_and_writes_everything(tmp_path):
    out = tmp_path / "q1"
    _zoo_run(os.path.join(RECIPES, "quickstart.yaml"), "--output-dir", out)
    metrics = _metrics(out)
    assert metrics["epochs"] == 5 and metrics["val_accuracy"] >= 0.97, metrics  # the README's 0.97-1.0; chance 0.25
    assert metrics["parameters"] > 12163 and metrics["examples_per_second"] > 0
    assert latest_checkpoint(out / "checkpoints").endswith("ckpt-5.npz")
    assert latest_checkpoint(out / "checkpoints" / "best")
    for picture in ("training_curves.png", "stages_before.png", "stages_after.png"):
        assert (out / "pictures" / picture).stat().st_size > 10000
    log = (out / "train.log").read_text()
    assert "TimeHistory: " in log and " examples/second between steps 0 and 8" in log
    assert os.listdir(str(out / "logs" / "train")) and yaml.safe_load((out / "recipe.yaml").read_text())["seed"] == 42


def test_reference_recipe_dry_run_counts_7051717_parameters(tfds_dir):
    result = _zoo_run(os.path.join(RECIPES, "densenet_cats_dogs.yaml"), "--data-dir", tfds_dir, "--dry-run")
    assert "\nparameters  7,051,717 (6,967,941 trainable)\n" in result.output
    assert "classes     cat, dog" in result.output and "learnable_resizer  -> 150x150x3" in result.output


def test_dry_run_without_data_prints_the_plan_and_exits_2(tmp_path):
    result = zoo_run(os.path.join(RECIPES, "densenet_cats_dogs.yaml"), "--dry-run",
                                       "--data-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "\nparameters  7,051,717 (6,967,941 trainable)\n" in result.output
    assert "data.data_dir: no prepared TFDS dataset" in result.stderr


@pytest.mark.slow
def test_reference_recipe_trains_offline_on_the_4_0_0_fixture(tfds_dir, tmp_path):
    out = tmp_path / "ref"
    _zoo_run(os.path.join(RECIPES, "densenet_cats_dogs.yaml"), "--data-dir", tfds_dir, "--output-dir", out,
             "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2", "--set", "train.validation_steps=1",
             "--set", "data.batch_size=4", "--set", "data.shuffle_buffer=16")
    metrics = _metrics(out)
    assert metrics["parameters"] == 7051717 and metrics["epochs"] == 1 and metrics["classes"] == ["cat", "dog"]
    history = (out / "history.csv").read_text().splitlines()
    row = dict(zip(history[0].split(","), history[1].split(",")))
    assert 0.0 <= metrics["val_accuracy"] <= 1.0 and float(row["val_accuracy"]) == pytest.approx(metrics["val_accuracy"])


@pytest.mark.parametrize("recipe, line", [
    # DenseNet-121 with its 2-class head alone (no resizer: the A/B baseline)
    ("densenet_cats_dogs_bilinear.yaml", "parameters  7,039,554 (6,955,906 trainable)"),
    # ResNet-50 without top 23,587,712 + resizer 12,163 + head 2048 * 2 + 2
    ("resnet50_cats_dogs.yaml", "parameters  23,603,973 (23,550,725 trainable)"),
    # MobileNetV2 without top 2,257,984 + resizer 12,163 + head 1280 * 2 + 2
    ("mobilenetv2_cats_dogs.yaml", "parameters  2,272,709 (2,238,469 trainable)")])
def test_bundled_recipes_validate_and_build(recipe, line, tfds_dir):
    result = _zoo_run(os.path.join(RECIPES, recipe), "--data-dir", tfds_dir, "--dry-run")
    assert line in result.output.splitlines()


def _small_recipe(tmp_path, **data):
    recipe = small_recipe(dict({"data.image_size": [32, 32], "data.batch_size": 4, "data.val_examples": 2,
                                "model.stages": [{"type": "rescale"}, {"type": "learnable_resizer",
                                                                       "target_size": [16, 16], "filters": 4}],
                                "model.backbone": {"type": "small_cnn", "filters": 4, "blocks": 1},
                                "train.epochs": 3, "train.steps_per_epoch": 60, "train.log_steps": 1,
                                "train.batch_norm_momentum": 0.9, "train.optimizer.learning_rate": 0.001},
                               **{"data." + key: value for key, value in data.items()}))
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _wait_for(path, text, process, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return
        assert process.poll() is None, "zoo-run ended before {!r} appeared in {}".format(text, path)
        time.sleep(0.01)
    raise AssertionError("{!r} never appeared in {}".format(text, path))


def _history_seconds(out):
    with open(str(out / "history.csv"), newline="") as handle:
        return [float(row["training_seconds"]) for row in csv.DictReader(handle)]


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.keras2
def test_sigkill_in_epoch_2_then_resume_finishes_all_epochs(tmp_path):
    recipe, out = _small_recipe(tmp_path), tmp_path / "run"
    command = [sys.executable, "-m", "resizer_plugin.zoo.cli", str(recipe), "--output-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}  # zoo-run's own default
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait_for(str(out / "train.log"), "between steps 64 and 65", process)  # mid epoch 2 (steps 60-119)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    latest = latest_checkpoint(out / "checkpoints")
    assert latest.endswith("ckpt-1.npz") and checkpoint_progress(latest)["epochs_done"] == 1

    first_epoch = _history_seconds(out)
    started = time.time()
    result = subprocess.run(command + ["--resume"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 of 3 epochs done (optimizer step 60)" in result.stderr
    # the resumed run's clock goes on from the first epoch's seconds and counts only the second process's time
    seconds = _history_seconds(out)
    assert seconds[0] == first_epoch[0] and seconds[0] < seconds[1] < seconds[2] < seconds[0] + time.time() - started
    # TensorFlow's oneDNN kernels: turned on where zoo-run's rule says so, unless TF_ENABLE_ONEDNN_OPTS says otherwise
    trains_on_tensorflow = compat.BACKEND == "tensorflow"
    assert ("oneDNN CPU kernels" in result.stderr) == (
        trains_on_tensorflow and onednn_default(tensorflow_version(), platform.machine()) == "1")
    history = (out / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1", "2"]
    assert _metrics(out)["epochs"] == 3
    assert latest_checkpoint(out / "checkpoints").endswith("ckpt-3.npz")


#: run as ``python -c DRIVER CHECKPOINT recipe args...``: zoo-run, killed (SIGKILL) inside the write of the
#: checkpoint whose path ends with CHECKPOINT, after its partial file went to disk (torn here) and before it was renamed
#: into place
TORN_CHECKPOINT_DRIVER = """
import os, signal, sys
from resizer_plugin.zoo.training import checkpoints
real_publish = checkpoints._publish
torn = sys.argv.pop(1)

def torn_publish(partial, path):
    if path.endswith(torn):
        with open(partial, "r+b") as handle:
            handle.truncate(16)
        os.kill(os.getpid(), signal.SIGKILL)
    real_publish(partial, path)

checkpoints._publish = torn_publish
from resizer_plugin.zoo.cli.train import main
main(sys.argv[1:])
"""


def _killed_inside_the_write_of(checkpoint, args):
    killed = subprocess.run([sys.executable, "-c", TORN_CHECKPOINT_DRIVER, checkpoint] + args, capture_output=True,
                            text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]


def _resumed(args):
    result = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", "--resume"] + args, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
@pytest.mark.jax
def test_a_kill_inside_a_checkpoint_write_keeps_the_previous_one_and_the_history_in_step(tmp_path):
    recipe, out = _small_recipe(tmp_path), tmp_path / "run"
    args = [str(recipe), "--output-dir", str(out), "--set", "train.steps_per_epoch=3"]
    _killed_inside_the_write_of("checkpoints/ckpt-2.npz", args)
    assert latest_checkpoint(out / "checkpoints").endswith("ckpt-1.npz")
    assert len((out / "history.csv").read_text().splitlines()) == 1 + 2  # epoch 2's row, not its checkpoint
    result = _resumed(args)
    assert "1 of 3 epochs done (optimizer step 3)" in result.stderr
    history = (out / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1", "2"]
    assert latest_checkpoint(out / "checkpoints").endswith("ckpt-3.npz") and _metrics(out)["epochs"] == 3


def _optimizer_step(checkpoint):
    return checkpoint_progress(checkpoint)["optimizer_step"]


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.keras2
def test_a_run_killed_inside_an_epoch_resumes_there_and_ends_on_the_same_optimizer_step(tmp_path):
    recipe, out = _small_recipe(tmp_path), tmp_path / "run"
    args = [str(recipe), "--output-dir", str(out), "--set", "train.epochs=2", "--set", "train.steps_per_epoch=10",
            "--set", "train.checkpoint_every_steps=4"]
    # step checkpoints at optimizer steps 4, 8, 12 and 16 (10 and 20 end epochs); killed inside the write of 16's
    _killed_inside_the_write_of("steps/ckpt-16.npz", args)
    kept = latest_checkpoint(out / "checkpoints" / "steps")
    assert kept.endswith("steps/ckpt-12.npz") and 16 - _optimizer_step(kept) <= 4  # at most checkpoint_every_steps lost
    result = _resumed(args)
    assert "1 of 2 epochs done (optimizer step 12), 2 steps into epoch 2" in result.stderr
    assert "\n8/8 - " in result.stderr  # the rest of epoch 2
    history = (out / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1"]
    final = latest_checkpoint(out / "checkpoints")
    assert final.endswith("ckpt-2.npz") and _optimizer_step(final) == 2 * 10  # as many steps as an uninterrupted run


#: run as ``python -c DRIVER recipe args...``: zoo-run whose training crashes inside ``fit``'s train step (every
#: batch norm raises when called for training: Keras' own, and the fused one that replaces it on Keras 3)
CRASH_DRIVER = """
import sys
from resizer_plugin.compat import keras
from resizer_plugin.layers import fused_batch_norm

def crashing(real_call):
    def call(self, inputs, training=None, **kwargs):
        if training:
            raise RuntimeError("a crash inside fit")
        return real_call(self, inputs, training=training, **kwargs)
    return call

for layer in (keras.layers.BatchNormalization, fused_batch_norm.FusedBatchNormalization):
    layer.call = crashing(layer.call)
from resizer_plugin.zoo.cli import run_zoo_run
sys.argv[0] = "zoo-run"
run_zoo_run()
"""


@pytest.mark.slow
@pytest.mark.jax
def test_a_crash_inside_fit_ends_the_process_with_the_traceback_in_the_log(tmp_path):
    out = tmp_path / "run"
    # the quickstart on two devices, where on JAX the process once never ended after reporting the crash
    args = [os.path.join(RECIPES, "quickstart.yaml"), "--output-dir", str(out), "--device", "cpu", "--set",
            "runtime.logical_devices=2", "--set", "runtime.strategy=mirrored", "--set", "train.steps_per_epoch=6",
            "--set", "data.shuffle_buffer=1", "--set", "runtime.precision=float32"]
    result = subprocess.run([sys.executable, "-c", CRASH_DRIVER] + args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "zoo-run: error: training failed: RuntimeError: " in result.stderr and result.stderr.strip().endswith(
        "  the traceback is in {}; completed epochs are checkpointed in {} (rerun with --resume)".format(
            out / "train.log", out))
    log = (out / "train.log").read_text()
    assert "Traceback" in log and "a crash inside fit" in log


def test_resume_of_a_finished_run_trains_nothing_more(tmp_path):
    recipe, out = _small_recipe(tmp_path), tmp_path / "done"
    _zoo_run(recipe, "--output-dir", out, "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2")
    first = _metrics(out)
    result = _zoo_run(recipe, "--output-dir", out, "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2",
                      "--resume")
    assert "1 of 1 epochs done" in result.stderr and "Epoch 1/1" not in result.output
    assert _metrics(out)["epochs"] == 1 and _metrics(out)["val_accuracy"] == first["val_accuracy"]
    # the figures it had, every one: the throughput was measured by the process that trained, not this one
    assert first["examples_per_second"] > 0 and _metrics(out) == first


def test_image_folder_with_bad_files_trains_and_reports_them(pet_images, tmp_path):
    recipe = _small_recipe(tmp_path, source="image_folder", data_dir=pet_images, train_examples=None,
                           val_examples=None)  # photo_crops' options, removed
    out = tmp_path / "pets"
    result = _zoo_run(recipe, "--output-dir", out, "--set", "train.epochs=1", "--set", "train.steps_per_epoch=3")
    assert "skipped 3 of 22 files" in result.stderr
    metrics = _metrics(out)
    assert metrics["skipped_files"] == {"corrupt or truncated": 1, "empty": 1, "not an image": 1}
    assert metrics["classes"] == ["Cat", "Dog"]


def test_a_third_party_stage_can_be_named_in_a_recipe(tmp_path, monkeypatch):
    dist = tmp_path / "site" / "gain_stage-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gain-stage\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[zoo.stages]\ngain = gain_stage_mod:gain\n")
    (tmp_path / "site" / "gain_stage_mod.py").write_text(
        "from resizer_plugin.compat import keras\n"
        "from resizer_plugin.zoo.contract import Option, Stage, number\n"
        "gain = Stage('gain', build=lambda o, s: (keras.layers.Rescaling(o['gain']), s),\n"
        "             options={'gain': Option(number(), 2.0)}, trainable=False)\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    recipe = _small_recipe(tmp_path)
    raw = yaml.safe_load(recipe.read_text())
    raw["model"]["stages"].insert(1, {"type": "gain", "gain": 0.5})
    recipe.write_text(yaml.safe_dump(raw))
    result = _zoo_run(recipe, "--dry-run")
    assert "stage       gain" in result.output and "gain=0.5" in result.output
    sys.modules.pop("gain_stage_mod", None)


@pytest.mark.slow
@pytest.mark.skipif(not (compat.XLA_IN_COMPILE and compat.convolves_in("bfloat16")),
                    reason="no XLA in Model.compile or no bfloat16 CPU convolution here (TensorFlow 2.6: neither); "
                           "the refusals are tested below")
def test_mixed_precision_and_xla_runtime_options_train(tmp_path):
    recipe, out = _small_recipe(tmp_path), tmp_path / "mixed"
    result = _zoo_run(recipe, "--output-dir", out, "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2",
                      "--set", "runtime.precision=mixed", "--set", "runtime.jit_compile=true")
    try:
        assert "cpu (1 replica(s), mixed_bfloat16, default strategy, XLA" in result.stderr
        metrics = _metrics(out)
        assert metrics["epochs"] == 1 and math.isfinite(metrics["train_loss"]) and metrics["train_loss"] > 0
    finally:
        from resizer_plugin.compat import keras

        keras.mixed_precision.set_global_policy("float32")


def test_xla_where_model_compile_has_none_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(compat, "XLA_IN_COMPILE", False)
    result = _zoo_run(_small_recipe(tmp_path), "--dry-run", "--set", "runtime.jit_compile=true", status=2)
    assert "Traceback" not in result.output
    assert "runtime.jit_compile: needs Model.compile(jit_compile=...), which came with tf.keras 2.8" in result.output


def test_mixed_precision_where_tensorflow_cannot_convolve_in_its_dtype_is_refused_before_the_run(tmp_path,
                                                                                                monkeypatch):
    monkeypatch.setattr(compat, "convolves_in", lambda dtype: dtype != "bfloat16")
    out = tmp_path / "run"
    result = _zoo_run(_small_recipe(tmp_path), "--output-dir", out, "--set", "runtime.precision=mixed", status=2)
    assert "Traceback" not in result.output and not out.exists()
    assert "runtime 'cpu', option 'precision': mixed (mixed_bfloat16) cannot train here: TensorFlow" in result.output
    assert "has no bfloat16 convolution on the CPU; use precision: float32" in result.output


@pytest.mark.parametrize("dropped, why", [("data.drop_remainder=true", "data.drop_remainder"),
                                          ("runtime.device=ascend", "the runtime's static shapes")])
def test_a_split_smaller_than_one_dropped_batch_is_refused_before_training(tmp_path, dropped, why, monkeypatch):
    """The port's train_full_1p.sh at batch 64 on a small folder: every step would be dropped."""
    from .npu_device_double import make_npu_device

    if dropped == "runtime.device=ascend" and compat.BACKEND != "tensorflow":
        pytest.skip("the ascend runtime needs Keras' TensorFlow backend")

    monkeypatch.setitem(sys.modules, "npu_device", make_npu_device())
    result = _zoo_run(_small_recipe(tmp_path), "--set", "data.batch_size=64", "--set", dropped, "--output-dir",
                      tmp_path / "run", status=2)
    assert "train_split 'train' gives 32 examples here, fewer than one batch of 64, and the last partial batch is " \
           "dropped ({})".format(why) in result.output and "Traceback" not in result.output


def test_a_history_row_without_a_number_is_read_without_it(tmp_path):
    from resizer_plugin.zoo.training.metrics import read_history

    path = tmp_path / "history.csv"
    path.write_text("epoch,accuracy,loss,val_loss\n0,0.5,1.2,NA\n1,,1.1,0.9\n")  # what Keras' CSVLogger writes
    assert read_history(str(path)) == [{"epoch": 0.0, "accuracy": 0.5, "loss": 1.2},
                                       {"epoch": 1.0, "loss": 1.1, "val_loss": 0.9}]
