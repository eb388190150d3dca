"""zoo compare: fair runs (same initial backbone and head, same data order), the paired interval against a worked
example, a complete report on tiny recipes, resuming after a kill, and errors."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

from resizer_plugin.zoo.compare.report import paired_interval, t_quantile_975, verdict

from .builders import ROOT, small_recipe, zoo



def _tiny(name, stage, epochs=1):
    """A recipe of the quickstart's task in miniature; ``stage`` shrinks 48x48 to 24x24."""
    return small_recipe({"name": name, "seed": 7, "model.stages": [{"type": "rescale"}, stage], "train.epochs": epochs})


RESIZE = {"type": "resize", "target_size": [24, 24]}
RESIZER = {"type": "learnable_resizer", "target_size": [24, 24], "filters": 4}


def _write(folder, recipes):
    paths = []
    for recipe in recipes:
        paths.append(str(folder / "{}.yaml".format(recipe["name"])))
        with open(paths[-1], "w") as handle:
            yaml.safe_dump(recipe, handle)
    return paths


def test_the_paired_interval_of_a_worked_example():
    # differences 0.02, 0.05, -0.01: mean 0.02, sd 0.03, t(0.975, 2) = 4.303, half width 4.303 * 0.03 / sqrt(3)
    mean, low, high = paired_interval([0.02, 0.05, -0.01])
    assert mean == pytest.approx(0.02) and low == pytest.approx(0.02 - 0.074530, abs=1e-6)
    assert high == pytest.approx(0.02 + 0.074530, abs=1e-6)
    assert verdict("B", "A", (mean, low, high), 3) == ("B vs A: +2.0 points of final validation accuracy (95% "
                                                       "interval -5.5 to +9.5, 3 seeds): no significant difference.")
    better = paired_interval([0.05, 0.06, 0.07])  # sd 0.01: half width 0.024844
    assert better[1] == pytest.approx(0.035156, abs=1e-6) and "better significantly" in verdict("B", "A", better, 3)
    assert "worse significantly" in verdict("B", "A", paired_interval([-0.05, -0.06, -0.07]), 3)
    assert paired_interval([0.1]) == (0.1, None, None) and "single seed" in verdict("B", "A", (0.1, None, None), 1)
    assert [round(t_quantile_975(d), 3) for d in (1, 5, 30, 40, 60, 120)] == [12.706, 2.571, 2.042, 2.021, 2.0,
                                                                               1.98]


def _started(recipe_file, seed):
    """A recipe's model and training pipeline as zoo-run starts them for ``seed``."""
    from resizer_plugin.compat import set_random_seed
    from resizer_plugin.zoo.training.model import build_model
    from resizer_plugin.zoo.training.pipeline import recipe_pipelines
    from resizer_plugin.zoo.config.recipe import load_recipe

    recipe = load_recipe(recipe_file, ["seed={}".format(seed)])
    session = recipe.runtime.start(recipe.runtime_options)
    set_random_seed(recipe.seed)
    pipelines = recipe_pipelines(recipe, 4, session)
    return build_model(recipe, 4), pipelines


def _backbone_and_head(built):
    from resizer_plugin.compat import keras

    backbone = [layer for layer in built.model.layers if isinstance(layer, keras.Model)]
    assert len(backbone) == 1
    return [w.numpy() for w in backbone[0].weights + built.model.get_layer("head_dense").weights]


def _finished(folder, val_accuracy):
    """A finished run's folder as the report reads it: metrics.json and history.csv."""
    os.makedirs(str(folder))
    figures = {"val_accuracy": val_accuracy, "best_val_accuracy": val_accuracy, "val_loss": 1.0 - val_accuracy,
               "examples_per_second": 100.0, "parameters": 1000}
    (folder / "metrics.json").write_text(json.dumps(figures))
    (folder / "history.csv").write_text("epoch,val_accuracy\n0,{}\n".format(val_accuracy))


def test_the_report_pairs_the_runs_by_seed_not_by_their_order(tmp_path):
    """Baseline 0.50/0.60/0.70, the other 0.52/0.62/0.72 on the same seeds (listed in another order): every pair
    differs by +0.02, so the paired interval is that exactly and significant; unpaired (or paired by position)
    the spread of the seeds would swamp it."""
    from resizer_plugin.zoo.compare.report import comparison_report
    from resizer_plugin.zoo.compare.runner import PlannedRun

    runs = []
    for name, by_seed in (("base", {1: 0.50, 2: 0.60, 3: 0.70}), ("other", {3: 0.72, 1: 0.52, 2: 0.62})):
        for seed, accuracy in by_seed.items():
            folder = tmp_path / name / "seed-{}".format(seed)
            _finished(folder, accuracy)
            runs.append(PlannedRun("{}.yaml".format(name), name, seed, str(folder)))
    other = comparison_report(runs)["recipes"][1]
    difference = other["difference_to_baseline"]
    assert difference["per_seed"] == pytest.approx([0.02, 0.02, 0.02])
    assert difference["low"] == pytest.approx(0.02) and difference["high"] == pytest.approx(0.02)
    assert "better significantly" in other["verdict"]


def test_one_seed_gives_every_recipe_the_same_start_and_data_order(tmp_path):
    bilinear, resizer = _write(tmp_path, [_tiny("a", RESIZE), _tiny("b", RESIZER)])
    (model_a, data_a), (model_b, data_b) = _started(bilinear, 1), _started(resizer, 1)
    assert len(model_b.model.weights) > len(model_a.model.weights)  # the resizer drew its own weights first
    weights_a, weights_b = _backbone_and_head(model_a), _backbone_and_head(model_b)
    assert all(np.array_equal(x, y) for x, y in zip(weights_a, weights_b))
    for (images_a, labels_a), (images_b, labels_b) in zip(data_a.train.take(3), data_b.train.take(3)):
        assert np.array_equal(images_a.numpy(), images_b.numpy()) and np.array_equal(labels_a, labels_b)
    other_seed, _ = _started(bilinear, 2)
    assert not np.array_equal(_backbone_and_head(other_seed)[0], weights_a[0])


def _report(folder):
    return json.loads((folder / "report.json").read_text())


@pytest.mark.slow
def test_a_compare_of_two_tiny_recipes_writes_a_complete_report_and_reruns_nothing(tmp_path):
    files = _write(tmp_path, [_tiny("bilinear", RESIZE), _tiny("resizer", RESIZER)])
    out = tmp_path / "cmp"
    result = zoo(*["compare"] + files + ["--seeds", "2", "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    report = _report(out)
    assert report["baseline"] == "bilinear" and [r["recipe"] for r in report["recipes"]] == ["bilinear", "resizer"]
    for recipe in report["recipes"]:
        for seed in recipe["seeds"]:
            metrics = json.loads((out / recipe["recipe"] / "seed-{}".format(seed["seed"]) / "metrics.json").read_text())
            assert seed["val_accuracy"] == metrics["val_accuracy"] and len(seed["val_accuracy_per_epoch"]) == 1
    difference = report["recipes"][1]["difference_to_baseline"]
    finals = [[s["val_accuracy"] for s in r["seeds"]] for r in report["recipes"]]
    assert difference["per_seed"] == pytest.approx([b - a for a, b in zip(*finals)])
    assert difference["low"] <= difference["mean"] <= difference["high"]
    assert report["recipes"][1]["verdict"] in result.output
    markdown = (out / "report.md").read_text()
    assert "zoo compare {} {} --seeds 2 --output-dir {}".format(files[0], files[1], out) in markdown
    assert "| resizer |" in markdown and (out / "report.png").stat().st_size > 10000
    stamp = (out / "resizer" / "seed-2" / "metrics.json").stat().st_mtime
    again = zoo(*["compare"] + files + ["--seeds", "2", "--output-dir", str(out)])
    assert again.exit_code == 0 and again.output.count("finished earlier") == 4
    assert (out / "resizer" / "seed-2" / "metrics.json").stat().st_mtime == stamp


def _wait_for(path, process, seconds=240):
    deadline = time.time() + seconds
    while not os.path.exists(path):
        assert process.poll() is None and time.time() < deadline, "the compare ended before {}".format(path)
        time.sleep(0.2)


def _gone(pid, seconds=20):
    """Whether process ``pid`` has ended, waiting up to ``seconds`` for it."""
    deadline = time.time() + seconds
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.1)


@pytest.mark.slow
def test_a_killed_compare_takes_its_run_with_it_and_resumes_where_it_stopped(tmp_path):
    """SIGKILL to the compare process alone: its zoo-run dies with it (nothing left writing the run folder), and
    the same command resumes."""
    files = _write(tmp_path, [_tiny("bilinear", RESIZE, epochs=3), _tiny("resizer", RESIZER, epochs=3)])
    out = tmp_path / "cmp"
    command = [os.path.join(os.path.dirname(sys.executable), "zoo"), "compare"] + files + [
        "--seeds", "1", "--output-dir", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _wait_for(str(out / "resizer" / "seed-1" / "checkpoints" / "ckpt-1.index"), process)
    child = int((out / "resizer" / "seed-1" / ".lock").read_text().split("pid ")[1].rstrip(")"))
    process.send_signal(signal.SIGKILL)
    process.wait()
    try:
        assert _gone(child), "the compare's zoo-run {} outlived it".format(child)
    finally:
        if not _gone(child, 0):
            os.kill(child, signal.SIGKILL)
    first = (out / "bilinear" / "seed-1" / "metrics.json").stat().st_mtime
    assert not (out / "resizer" / "seed-1" / "metrics.json").exists()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1/2: bilinear seed 1 finished earlier" in result.stderr and "2/2: resizer seed 1 resuming" in result.stderr
    assert (out / "bilinear" / "seed-1" / "metrics.json").stat().st_mtime == first
    assert [len(s["val_accuracy_per_epoch"]) for r in _report(out)["recipes"] for s in r["seeds"]] == [3, 3]


@pytest.mark.parametrize("recipes, phrase", [
    (["a"], "give at least two recipes to compare"),
    (["a", "a"], "recipes named alike would share a folder: a"),
    (["a", "broken"], "broken.yaml"),
    (["a", "escape"], "escape.yaml: name: a run name is one folder name"),  # name: ../../cmp_escape
])
def test_recipes_that_cannot_be_compared_are_one_line_and_status_2(tmp_path, recipes, phrase):
    files = _write(tmp_path, [_tiny("a", RESIZE)])
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(dict(_tiny("b", RESIZE), trian={"epochs": 1})))
    (tmp_path / "escape.yaml").write_text(yaml.safe_dump(_tiny("../../cmp_escape", RESIZE)))
    result = zoo(*["compare"] + [str(tmp_path / "{}.yaml".format(r)) for r in recipes]
                                + ["--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 2 and phrase in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "cmp_escape").exists() and files
