"""zoo compare: fair runs (same initial backbone and head, same data order), the paired interval against a worked
example, a complete report on tiny recipes, resuming after a kill, and errors."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

from scipy import stats

from resizer_plugin.zoo.compare.runner import plan_runs
from resizer_plugin.zoo.compare.statistics import paired_interval, seeds_needed, verdict
from resizer_plugin.zoo.compare.time_to_accuracy import time_to_accuracy_sentence

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
    # differences 0.02, 0.05, -0.01: mean 0.02, sd 0.03, t(0.975, 2) = 4.302653, half width 4.302653 * 0.03 / sqrt(3)
    mean, low, high = paired_interval([0.02, 0.05, -0.01])
    assert mean == pytest.approx(0.02) and low == pytest.approx(0.02 - 0.074524, abs=1e-6)
    assert high == pytest.approx(0.02 + 0.074524, abs=1e-6)
    assert verdict("B", "A", [0.02, 0.05, -0.01]) == (
        "B vs A: +2.0 points of final validation accuracy (95% interval -5.5 to +9.5, 3 seeds): no significant "
        "difference; at this mean and spread (sd 3.0 points) about 12 seeds would make the interval exclude zero.")
    better = paired_interval([0.05, 0.06, 0.07])  # sd 0.01: half width 0.024841
    assert better[1] == pytest.approx(0.035159, abs=1e-6) and "better significantly" in verdict("B", "A",
                                                                                                [0.05, 0.06, 0.07])
    assert "worse significantly" in verdict("B", "A", [-0.05, -0.06, -0.07])
    assert paired_interval([0.1]) == (0.1, None, None) and "single seed" in verdict("B", "A", [0.1])
    assert paired_interval([0.02, 0.02]) == (0.02, 0.02, 0.02)  # no spread: the interval is the difference


@pytest.mark.skipif(not hasattr(stats.ttest_rel([1, 2], [0, 2]), "confidence_interval"),
                    reason="scipy before 1.10 has no TtestResult.confidence_interval")
def test_the_paired_interval_is_scipys_paired_t_test_interval():
    recipe, baseline = [0.650, 0.620, 0.600, 0.71], [0.323, 0.363, 0.365, 0.52]
    expected = stats.ttest_rel(recipe, baseline).confidence_interval(confidence_level=0.95)
    _, low, high = paired_interval([r - b for r, b in zip(recipe, baseline)])
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-12)


def _differences(mean, sd, seeds):
    """``seeds`` paired differences of exactly this mean and sample standard deviation."""
    centred = np.linspace(-1.0, 1.0, seeds)
    return mean + sd * centred / np.std(centred, ddof=1)


def test_two_seeds_of_the_issues_case_give_its_puzzling_interval_and_say_three_would_do():
    _, low, high = paired_interval(list(_differences(0.462, 0.0608, 2)))
    assert (round(100 * low, 1), round(100 * high, 1)) == (-8.4, 100.8)
    assert seeds_needed(0.462, 0.0608) == 3


@pytest.mark.parametrize("mean, sd", [(0.462, 0.0608), (0.02, 0.03), (-0.05, 0.2)])
def test_seeds_needed_is_the_fewest_whose_interval_excludes_zero(mean, sd):
    seeds = seeds_needed(mean, sd)
    def excludes_zero(n):
        _, low, high = paired_interval(list(_differences(mean, sd, n)))
        return low > 0 or high < 0
    assert seeds > 2 and excludes_zero(seeds) and not excludes_zero(seeds - 1)
    assert "about {} seeds would make the interval exclude zero".format(seeds) in verdict(
        "B", "A", list(_differences(mean, sd, 2)))
    assert seeds_needed(0.0, sd) is None


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


def _finished(folder, val_accuracy, per_epoch=None):
    """A finished run's folder as the report reads it: metrics.json and history.csv (``per_epoch``: its rows'
    (val_accuracy, training_seconds); by default one epoch of ``val_accuracy``)."""
    os.makedirs(str(folder))
    figures = {"val_accuracy": val_accuracy, "best_val_accuracy": val_accuracy, "val_loss": 1.0 - val_accuracy,
               "examples_per_second": 100.0, "parameters": 1000}
    (folder / "metrics.json").write_text(json.dumps(figures))
    rows = ["{},{},{}".format(epoch, *row) for epoch, row in enumerate(per_epoch or [(val_accuracy, 1.0)])]
    (folder / "history.csv").write_text("\n".join(["epoch,val_accuracy,training_seconds"] + rows) + "\n")


def _runs(tmp_path, recipes):
    """PlannedRuns of finished runs: ``recipes`` maps a name to {seed: history rows}, the final accuracy the last."""
    from resizer_plugin.zoo.compare.runner import PlannedRun

    runs = []
    for name, seeds in recipes.items():
        for seed, rows in seeds.items():
            folder = tmp_path / name / "seed-{}".format(seed)
            _finished(folder, rows[-1][0], rows)
            runs.append(PlannedRun("{}.yaml".format(name), name, seed, str(folder)))
    return runs


def test_time_to_accuracy_is_the_first_epoch_at_the_baselines_mean_final_accuracy(tmp_path):
    """The baseline ends at 0.5 and 0.7 (target 0.6): "fast" reaches it at epoch 1 (5 s) and 2 (12 s), "slow" at
    epoch 1 of seed 1 only (4 s), the baseline itself at epoch 2 of seed 2 only (22 s). Every seed reaching it ranks
    first, however fast the others' lucky seed."""
    from resizer_plugin.zoo.compare.report import comparison_report

    report = comparison_report(_runs(tmp_path, {
        "base": {1: [(0.3, 10.0), (0.5, 20.0)], 2: [(0.4, 11.0), (0.7, 22.0)]},
        "slow": {1: [(0.6, 4.0), (0.65, 60.0)], 2: [(0.55, 31.0), (0.58, 62.0)]},
        "fast": {1: [(0.61, 5.0), (0.62, 10.0)], 2: [(0.59, 6.0), (0.64, 12.0)]}}))
    table, = report["time_to_accuracy"]
    assert (table["target_recipe"], table["target_val_accuracy"], table["target_recipe_seconds"]) == ("base", 0.6, 21)
    base, slow, fast = table["recipes"]
    assert base["per_seed"] == [None, {"epoch": 2, "seconds": 22.0}] and base["seeds_reached"] == 1
    assert slow["per_seed"] == [{"epoch": 1, "seconds": 4.0}, None]
    assert fast["per_seed"] == [{"epoch": 1, "seconds": 5.0}, {"epoch": 2, "seconds": 12.0}]
    assert (fast["mean_epoch"], fast["mean_seconds"]) == (1.5, 8.5)
    assert fast["fraction_of_target_recipe_time"] == pytest.approx(8.5 / 21)
    assert time_to_accuracy_sentence(table) == (
        "Time to 0.6000, base's final validation accuracy: first fast (8.5 s, epoch 1.5 on average), then slow "
        "(4.0 s, epoch 1 on average; 1 of 2 seeds), then base (22.0 s, epoch 2 on average; 1 of 2 seeds).")
    against_slow = comparison_report(_runs(tmp_path / "again", {
        "base": {1: [(0.3, 10.0)]}, "slow": {1: [(0.6, 30.0)]}}), time_to=["slow"])["time_to_accuracy"][1]
    assert against_slow["target_val_accuracy"] == 0.6 and time_to_accuracy_sentence(against_slow).endswith(
        "first slow (30.0 s, epoch 1 on average); not reached: base.")


def test_the_report_pairs_the_runs_by_seed_not_by_their_order(tmp_path):
    """Baseline 0.50/0.60/0.70, the other 0.52/0.62/0.72 on the same seeds (listed in another order): every pair
    differs by +0.02, so the paired interval is that exactly and significant; unpaired (or paired by position)
    the spread of the seeds would swamp it."""
    from resizer_plugin.zoo.compare.report import comparison_report

    other = comparison_report(_runs(tmp_path, {"base": {1: [(0.50, 1.0)], 2: [(0.60, 1.0)], 3: [(0.70, 1.0)]},
                                               "other": {3: [(0.72, 1.0)], 1: [(0.52, 1.0)], 2: [(0.62, 1.0)]}})
                              )["recipes"][1]
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


def _time_to_from_the_files(out, recipe, target_recipe, seeds):
    """Independently of the report: (epoch, training_seconds) of each seed's first history.csv row at the target
    recipe's mean final validation accuracy (from its metrics.json files), None where none is."""
    finals = [json.loads((out / target_recipe / "seed-{}".format(s) / "metrics.json").read_text())["val_accuracy"]
              for s in range(1, seeds + 1)]
    target, found = sum(finals) / len(finals), []
    for seed in range(1, seeds + 1):
        with open(str(out / recipe / "seed-{}".format(seed) / "history.csv"), newline="") as handle:
            rows = [(int(row["epoch"]) + 1, float(row["training_seconds"])) for row in csv.DictReader(handle)
                    if float(row["val_accuracy"]) >= target]
        found.append(rows[0] if rows else None)
    return found


@pytest.mark.slow
@pytest.mark.jax
def test_a_compare_of_two_tiny_recipes_writes_a_complete_report_and_reruns_nothing(tmp_path):
    files = _write(tmp_path, [_tiny("bilinear", RESIZE, epochs=2), _tiny("resizer", RESIZER, epochs=2)])
    out = tmp_path / "cmp"
    result = zoo(*["compare"] + files + ["--seeds", "2", "--output-dir", str(out), "--time-to", "resizer"])
    assert result.exit_code == 0, result.output
    report = _report(out)
    assert report["baseline"] == "bilinear" and [r["recipe"] for r in report["recipes"]] == ["bilinear", "resizer"]
    for recipe in report["recipes"]:
        for seed in recipe["seeds"]:
            metrics = json.loads((out / recipe["recipe"] / "seed-{}".format(seed["seed"]) / "metrics.json").read_text())
            assert seed["val_accuracy"] == metrics["val_accuracy"] and len(seed["val_accuracy_per_epoch"]) == 2
            first, second = seed["training_seconds_at_epoch_end"]
            assert 0 < first < second <= metrics["time_seconds"]
    for table in report["time_to_accuracy"]:
        for entry in table["recipes"]:
            expected = _time_to_from_the_files(out, entry["recipe"], table["target_recipe"], 2)
            assert [None if r is None else (r["epoch"], r["seconds"]) for r in entry["per_seed"]] == expected
        assert time_to_accuracy_sentence(table) in result.output
    difference = report["recipes"][1]["difference_to_baseline"]
    finals = [[s["val_accuracy"] for s in r["seeds"]] for r in report["recipes"]]
    assert difference["per_seed"] == pytest.approx([b - a for a, b in zip(*finals)])
    assert difference["low"] <= difference["mean"] <= difference["high"]
    assert report["recipes"][1]["verdict"] in result.output
    markdown = (out / "report.md").read_text()
    assert "zoo compare {} {} --seeds 2 --output-dir {} --time-to resizer".format(files[0], files[1], out) in markdown
    assert markdown.count("## Time to ") == 2
    assert "| resizer |" in markdown and (out / "report.png").stat().st_size > 10000
    stamp = (out / "resizer" / "seed-2" / "metrics.json").stat().st_mtime
    again = zoo(*["compare"] + files + ["--seeds", "2", "--output-dir", str(out), "--time-to", "resizer"])
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
    _wait_for(str(out / "resizer" / "seed-1" / "checkpoints" / "ckpt-1.npz"), process)
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


@pytest.mark.parametrize("recipes, extra, phrase", [
    (["a"], [], "give at least two recipes to compare"),
    (["a", "a"], [], "recipes named alike would share a folder: a"),
    (["a", "broken"], [], "broken.yaml"),
    (["a", "escape"], [], "escape.yaml: name: a run name is one folder name"),  # name: ../../cmp_escape
    (["a", "b"], ["--time-to", "bb"], "--time-to 'bb' is no compared recipe's name (did you mean 'b'?); the names: "
                                      "a, b"),
])
def test_recipes_that_cannot_be_compared_are_one_line_and_status_2(tmp_path, recipes, extra, phrase):
    files = _write(tmp_path, [_tiny("a", RESIZE), _tiny("b", RESIZER)])
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(dict(_tiny("c", RESIZE), trian={"epochs": 1})))
    (tmp_path / "escape.yaml").write_text(yaml.safe_dump(_tiny("../../cmp_escape", RESIZE)))
    result = zoo(*["compare"] + [str(tmp_path / "{}.yaml".format(r)) for r in recipes]
                                + ["--output-dir", str(tmp_path / "out")] + extra)
    assert result.exit_code == 2 and phrase in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "cmp_escape").exists() and files


def test_runs_go_seed_by_seed_so_that_a_compare_stopped_part_way_holds_whole_pairs(tmp_path):
    files = _write(tmp_path, [_tiny("a", RESIZE), _tiny("b", RESIZER)])
    runs = plan_runs(files, 2, str(tmp_path / "out"))
    assert [(run.name, run.seed) for run in runs] == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert runs[1].folder == str(tmp_path / "out" / "b" / "seed-1")


def test_a_run_that_stopped_before_writing_anything_is_said_so_and_no_folder_is_named_as_holding_its_log(tmp_path):
    """The first recipe's data is missing: its zoo-run refuses it before it makes the run's folder."""
    missing = small_recipe({"name": "b", "seed": 7, "data.source": "image_folder", "data.train_examples": None,
                            "data.val_examples": None, "data.data_dir": str(tmp_path / "no_such_folder")})
    out = tmp_path / "out"
    result = zoo("compare", *_write(tmp_path, [missing, _tiny("a", RESIZE)]), "--seeds", "1", "--output-dir", out)
    assert result.exit_code == 1, result.output
    assert not (out / "b" / "seed-1").exists() and "log is in" not in result.output
    assert ("1/2: b seed 1 failed (zoo-run exit status 2); it stopped before writing anything (no {} was made; its "
            "error is above)".format(out / "b" / "seed-1")) in result.output


def test_a_failed_run_points_at_its_log_where_there_is_one_else_at_its_folder(tmp_path):
    from resizer_plugin.zoo.compare.runner import what_it_left

    run = tmp_path / "seed-1"
    assert what_it_left(str(run)).startswith("it stopped before writing anything (no {} was made".format(run))
    run.mkdir()
    assert what_it_left(str(run)) == "it wrote no log in {}; run the same compare again to resume".format(run)
    (run / "0").mkdir()
    (run / "0" / "train_0.log").write_text("")  # the ascend runtime keeps its run in <output dir>/<device id>/
    assert what_it_left(str(run)).startswith("its log is in {}; ".format(run / "0" / "train_0.log"))
    (run / "train.log").write_text("")
    assert what_it_left(str(run)).startswith("its log is in {}; ".format(run / "train.log"))
