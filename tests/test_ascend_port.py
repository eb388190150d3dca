"""The seed's Ascend run, unchanged: every bundled recipe under every runtime, and the port's launch scripts end to
end on the npu_device double, read back with the port's own grep/awk expressions."""
import json
import os
import subprocess
import sys

import pytest

from resizer_plugin.runtimes import local
from resizer_plugin.zoo.config.recipe import load_recipe

from .builders import RECIPES as BUNDLED, ROOT, zoo_run
from .npu_device_double import make_npu_device

RECIPES = sorted(str(p) for p in BUNDLED.glob("*.yaml"))
RUNTIMES = ["cpu", "gpu", "ascend", "auto"]
REFERENCE = "densenet_cats_dogs.yaml"
#: what a recipe's precision means on Ascend, written out (no precision: the port's allow_mix_precision)
ASCEND_MODE = {"float32": "force_fp32", "mixed": "allow_mix_precision", "auto": "allow_mix_precision",
               None: "allow_mix_precision"}


@pytest.fixture
def everywhere(monkeypatch):
    """npu_device (the double) imports, and the gpu runtime counts as available: every runtime can be chosen."""
    monkeypatch.setitem(sys.modules, "npu_device", make_npu_device())
    monkeypatch.setattr(local.gpu, "unavailable_reason", lambda: None)


def _small(*args):
    return list(args) + ["--set", "train.steps_per_epoch=1", "--set", "train.validation_steps=1", "--epoch=1",
                         "--batch_size=2"]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("recipe", RECIPES, ids=[os.path.basename(r) for r in RECIPES])
def test_every_bundled_recipe_is_valid_under_every_runtime(everywhere, recipe, runtime):
    import yaml

    written = (yaml.safe_load(open(recipe)).get("runtime") or {}).get("precision")
    loaded = load_recipe(recipe, [("runtime.device", runtime)])
    expected = "ascend" if runtime == "auto" else runtime  # auto prefers ascend where npu_device imports
    assert loaded.runtime.name == expected
    if expected == "ascend":
        assert loaded.runtime_options["precision_mode"] == ASCEND_MODE[written]
    else:
        assert loaded.runtime_options["precision"] == (written or "float32")


#: the port's run on Ascend (its README: "Precision: Mixed"; its scripts: allow_mix_precision), keras.io's elsewhere
REFERENCE_PRECISION = {"ascend": ("precision_mode", "allow_mix_precision"), "auto": ("precision_mode",
                                                                                   "allow_mix_precision"),
                       "cpu": ("precision", "float32"), "gpu": ("precision", "float32")}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("recipe", [r for r in RECIPES if "cats_dogs" in r], ids=os.path.basename)
def test_the_reference_recipes_run_the_ports_precision_on_ascend_and_float32_elsewhere(everywhere, recipe, runtime):
    key, value = REFERENCE_PRECISION[runtime]
    assert load_recipe(recipe, [("runtime.device", runtime)]).runtime_options[key] == value
    explicit = load_recipe(recipe, [("runtime.device", runtime), ("runtime.precision", "float32")])
    assert explicit.runtime_options[key] == ("force_fp32" if key == "precision_mode" else "float32")


@pytest.mark.slow
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_quickstart_trains_under_every_runtime(everywhere, tmp_path, runtime):
    out = tmp_path / "run"
    result = zoo_run(*_small("quickstart", "--device", runtime,
                                                 "--output-dir", str(out)))
    assert result.exit_code == 0, result.output + result.stderr
    run = out / ("0" if runtime in ("ascend", "auto") else "")
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 1


#: the cats_vs_dogs recipes trained on Ascend below: the study's arms (cats_dogs_photos_*) differ in their front only,
#: so the learnable resizer's stands for them (each is checked valid under every runtime above)
ASCEND_TRAINED = [r for r in RECIPES if "cats_dogs" in r and not r.endswith(os.sep + REFERENCE) and
                  ("cats_dogs_photos_" not in r or r.endswith("cats_dogs_photos_resizer.yaml"))]


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ASCEND_TRAINED, ids=os.path.basename)
def test_the_other_cats_vs_dogs_recipes_train_on_ascend_with_the_ports_flags(everywhere, tmp_path, tfds_dir,
                                                                              recipe):
    """The reference recipe itself runs through the port's launch script below."""
    out = tmp_path / "output"
    result = zoo_run(*_small(recipe, "--data_path={}".format(tfds_dir),
                                                 "--precision_mode=allow_mix_precision", "--output-dir", str(out)))
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads((out / "0" / "metrics.json").read_text())["epochs"] == 1


def _port_env(tmp_path):
    """A subprocess environment where ``import npu_device`` gives the double, zoo-run is on PATH, device 0."""
    shim = tmp_path / "shim" / "npu_device"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("import sys\nfrom tests.npu_device_double import make_npu_device\n"
                                      "sys.modules[__name__] = make_npu_device()\n")
    bin_dir = os.path.dirname(sys.executable)
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "shim"), str(ROOT)]), ASCEND_DEVICE_ID="0",
                PATH=bin_dir + os.pathsep + os.environ["PATH"], PYTHON=sys.executable, TF_CPP_MIN_LOG_LEVEL="2")


def _port_script(tmp_path, script, *args):
    out = tmp_path / "output"
    result = subprocess.run(["bash", str(ROOT / "recipes" / "ascend" / script), "--output_dir={}".format(out)]
                            + list(args), capture_output=True, text=True, env=_port_env(tmp_path), cwd=str(tmp_path))
    return result, out / "0"


def port_awk(log, pattern, field):
    """The port's own extraction: ``grep PATTERN LOG | awk 'END {print $FIELD}'``."""
    command = "grep {} {} | awk 'END {{print ${}}}'".format(pattern, log, field)
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True).stdout.strip()


def _summary(stdout):
    return dict(line.split(" = ", 1) for line in stdout.splitlines() if " = " in line)


@pytest.mark.slow
def test_train_full_1p_runs_the_reference_recipe_untouched(tmp_path, tfds_dir):
    result, run = _port_script(tmp_path, "train_full_1p.sh", "--data_path={}".format(tfds_dir),
                               "--precision_mode=allow_mix_precision", "--over_dump=False", "--profiling=False",
                               "--batch_size=2", "--set", "train.steps_per_epoch=2", "--set",
                               "train.validation_steps=1", "--epoch=1", "--set", "train.log_steps=1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["recipe"] == "densenet121-cats-vs-dogs-learnable-resizer" and metrics["parameters"] == 7051717
    log = str(run / "train_0.log")
    fps = float(port_awk(log, "TimeHistory", 4))
    accuracy, loss = port_awk(log, "val_loss", 9), port_awk(log, "val_loss", 6)
    assert fps > 0 and float(accuracy) == pytest.approx(metrics["train_accuracy"], abs=1e-4)
    assert float(loss) == pytest.approx(metrics["train_loss"], abs=1e-4)
    summary = _summary(result.stdout)
    assert summary["CaseName"] == "learnable_resizer_ID2518_for_TensorFlow2.X_bs2_1p_acc"
    assert float(summary["ActualFPS"]) == pytest.approx(metrics["examples_per_second"], abs=0.01)
    assert float(summary["TrainAccuracy"]) == pytest.approx(metrics["train_accuracy"])
    assert float(summary["ActualLoss"]) == pytest.approx(metrics["train_loss"])
    assert float(summary["TrainingTime"]) == pytest.approx(2 * 1000 / float(summary["ActualFPS"]), rel=1e-2)
    assert int(summary["E2ETrainingTime"]) >= 0 and "Final Performance images/sec" in result.stdout
    assert (run / (summary["CaseName"] + ".log")).read_text().count(" = ") == 10


@pytest.mark.slow
@pytest.mark.parametrize("script, static", [("train_performance_1p_static_eval.sh", True),
                                            ("train_performance_1p_dynamic_eval.sh", False)])
def test_performance_scripts_run_one_epoch_with_static_or_dynamic_shapes(tmp_path, tfds_dir, script, static):
    result, run = _port_script(tmp_path, script, "--data_path={}".format(tfds_dir),
                               "--recipe=mobilenetv2_cats_dogs",
                               "--batch_size=4", "--set", "train.validation_steps=1", "--set", "train.log_steps=2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and ("dynamic shapes" in metrics["runtime"]) != static
    steps = 19 // 4 if static else -(-19 // 4)  # train[:40%] of the 48-image fixture is 19 images
    history_steps = port_awk(str(run / "train_0.log"), "val_loss", 1)
    assert history_steps == "{0}/{0}".format(steps)
    assert _summary(result.stdout)["CaseName"].endswith("_bs4_1p_perf")


def test_a_port_script_without_data_path_fails_as_the_ports_do(tmp_path):
    result, _ = _port_script(tmp_path, "train_full_1p.sh")
    assert result.returncode == 1 and '[Error] para "data_path" must be config' in result.stdout


#: a zoo-run that fails: with ``log``, after writing its log in the device's folder, as a crash in training would;
#: without, before it makes any folder, as a refused recipe or missing data does (exit status 2)
_FAILING_ZOO_RUN = """#!/bin/bash
while [[ $# -gt 0 ]]; do [[ $1 == --output-dir ]] && out=$2; shift; done
if [[ "{log}" == log ]]; then mkdir -p "$out/0" && echo Traceback > "$out/0/train_0.log"; exit 1; fi
echo "zoo-run: error: data.data_dir: no prepared TFDS dataset" >&2; exit 2
"""


@pytest.mark.parametrize("log", ["log", "none"])
def test_a_port_script_whose_run_failed_names_its_log_only_where_there_is_one(tmp_path, log):
    fake = tmp_path / "fake_bin"
    fake.mkdir()
    (fake / "zoo-run").write_text(_FAILING_ZOO_RUN.format(log=log))
    (fake / "zoo-run").chmod(0o755)
    env = dict(_port_env(tmp_path), PATH=str(fake) + os.pathsep + os.environ["PATH"])
    result = subprocess.run(["bash", str(ROOT / "recipes" / "ascend" / "train_full_1p.sh"), "--data_path=/data",
                             "--output_dir={}".format(tmp_path / "output")], capture_output=True, text=True, env=env)
    if log == "log":
        assert result.returncode == 1 and "[Error] zoo-run exited with status 1; the log is in {}".format(
            tmp_path / "output" / "0" / "train_0.log") in result.stdout, result.stdout
    else:
        assert result.returncode == 2 and not (tmp_path / "output" / "0").exists()
        assert ("[Error] zoo-run exited with status 2 before it began the run (no log written): its error is above"
                in result.stdout and "log is in" not in result.stdout), result.stdout
