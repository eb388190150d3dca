"""The report of a ``zoo compare``: each recipe's accuracy over its seeds, each recipe's paired difference to the
first (the baseline) with a 95% t-interval and a sentence saying what the interval shows, and each recipe's time to
the baseline's final accuracy (and to other recipes' where asked).

The compared figure is the final validation accuracy (the last epoch's): the best epoch's is reported beside it,
but choosing the best of several epochs on the validation split itself flatters every recipe.
"""
import json
import os
import statistics

import numpy as np

from .. import pictures
from ..training.metrics import read_history
from ..training.run_dir import RunDirectory
from .statistics import CONFIDENCE, paired_interval, verdict
from .time_to_accuracy import time_to_accuracy, time_to_accuracy_sentence

__all__ = ["comparison_report", "report_picture", "write_report"]


def _read(run):
    run_dir = RunDirectory(run.folder)
    with open(run_dir.metrics) as handle:
        metrics = json.load(handle)
    history = read_history(run_dir.history)
    return {"seed": run.seed, "folder": run.folder, "val_accuracy": metrics["val_accuracy"],
            "best_val_accuracy": metrics["best_val_accuracy"], "val_loss": metrics["val_loss"],
            "examples_per_second": metrics["examples_per_second"], "parameters": metrics["parameters"],
            "val_accuracy_per_epoch": [row.get("val_accuracy") for row in history],
            "training_seconds_at_epoch_end": [row.get("training_seconds") for row in history]}


def _spread(values):
    return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def _summary(name, seeds):
    return {"recipe": name, "seeds": seeds,
            "val_accuracy": _spread([s["val_accuracy"] for s in seeds]),
            "best_val_accuracy": _spread([s["best_val_accuracy"] for s in seeds]),
            "val_loss": _spread([s["val_loss"] for s in seeds]),
            "examples_per_second": statistics.mean(s["examples_per_second"] for s in seeds),
            "parameters": seeds[0]["parameters"]}


def _difference(recipe, baseline):
    by_seed = {s["seed"]: s["val_accuracy"] for s in baseline["seeds"]}
    differences = [s["val_accuracy"] - by_seed[s["seed"]] for s in recipe["seeds"] if s["seed"] in by_seed]
    mean, low, high = paired_interval(differences)
    recipe["difference_to_baseline"] = {"per_seed": differences, "mean": mean, "low": low, "high": high,
                                        "confidence": CONFIDENCE}
    recipe["verdict"] = verdict(recipe["recipe"], baseline["recipe"], differences)


def comparison_report(runs, time_to=()):
    """report.json's content for finished ``runs`` (compare.PlannedRun, recipe by recipe, the baseline first): time
    to accuracy against the baseline's final accuracy and that of each recipe named in ``time_to``."""
    names = list(dict.fromkeys(run.name for run in runs))
    recipes = [_summary(name, [_read(run) for run in runs if run.name == name]) for name in names]
    for recipe in recipes[1:]:
        _difference(recipe, recipes[0])
    targets = list(dict.fromkeys([names[0]] + list(time_to)))
    return {"baseline": names[0], "compared": "final validation accuracy (last epoch)", "recipes": recipes,
            "time_to_accuracy": [time_to_accuracy(recipes, target) for target in targets]}


def _markdown(report, command):
    lines = ["# zoo compare: {}".format(" vs ".join(r["recipe"] for r in report["recipes"])), "",
             "```", command, "```", "",
             "| recipe | final val accuracy, mean ± sd | per seed | best val accuracy | val loss | training examples/s | "
             "parameters |", "|---|---|---|---|---|---|---|"]
    for r in report["recipes"]:
        lines.append("| {} | {:.4f} ± {:.4f} | {} | {:.4f} ± {:.4f} | {:.4f} | {:.1f} | {:,} |".format(
            r["recipe"], r["val_accuracy"]["mean"], r["val_accuracy"]["std"],
            ", ".join("{:.4f}".format(s["val_accuracy"]) for s in r["seeds"]), r["best_val_accuracy"]["mean"],
            r["best_val_accuracy"]["std"], r["val_loss"]["mean"], r["examples_per_second"], r["parameters"]))
    lines += [""] + [r["verdict"] for r in report["recipes"][1:]]
    for table in report["time_to_accuracy"]:
        lines += [""] + _time_table(table)
    return "\n".join(lines + ["", "![validation accuracy](report.png)"]) + "\n"


def _reached(entry):
    if entry is None:
        return "not reached"
    return "epoch {}".format(entry["epoch"]) + ("" if entry["seconds"] is None else ", {:.1f} s".format(
        entry["seconds"]))


def _time_table(table):
    """report.md's lines on one time-to-accuracy target: a table, then the sentence."""
    lines = ["## Time to {:.4f}, {}'s final validation accuracy".format(table["target_val_accuracy"],
                                                                         table["target_recipe"]), "",
             "| recipe | per seed | seeds reached | mean epoch | mean seconds | of {}'s training time |".format(
                 table["target_recipe"]), "|---|---|---|---|---|---|"]
    for entry in table["recipes"]:
        fraction = entry["fraction_of_target_recipe_time"]
        lines.append("| {} | {} | {} of {} | {} | {} | {} |".format(
            entry["recipe"], "; ".join(_reached(r) for r in entry["per_seed"]), entry["seeds_reached"],
            len(entry["per_seed"]), "-" if entry["mean_epoch"] is None else "{:.2f}".format(entry["mean_epoch"]),
            "-" if entry["mean_seconds"] is None else "{:.1f}".format(entry["mean_seconds"]),
            "-" if fraction is None else "{:.2f}".format(fraction)))
    return lines + ["", time_to_accuracy_sentence(table)]


def write_report(report, output_dir, command):
    """report.json, report.md (which quotes ``command``) and report.png in ``output_dir``; returns their paths."""
    paths = tuple(os.path.join(output_dir, "report." + kind) for kind in ("json", "md", "png"))
    with open(paths[0], "w") as handle:
        json.dump(report, handle, indent=2)
    with open(paths[1], "w") as handle:
        handle.write(_markdown(report, command))
    report_picture(report, paths[2])
    return paths


def report_picture(report, path, dpi=80):
    """``zoo compare``'s picture from its report: validation accuracy per epoch (mean line, min-max band over the
    seeds) per recipe, and each seed's final validation accuracy as a dot."""
    plt = pictures.pyplot()
    figure, (curves, finals) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    for index, recipe in enumerate(report["recipes"]):
        per_seed = [s["val_accuracy_per_epoch"] for s in recipe["seeds"]]
        epochs = min(len(curve) for curve in per_seed)
        values = np.array([curve[:epochs] for curve in per_seed], dtype=np.float64)
        x = np.arange(1, epochs + 1)
        line, = curves.plot(x, values.mean(axis=0), "-o", markersize=3, label=recipe["recipe"])
        curves.fill_between(x, values.min(axis=0), values.max(axis=0), color=line.get_color(), alpha=0.2)
        finals.plot([index] * len(per_seed), [s["val_accuracy"] for s in recipe["seeds"]], "o",
                    color=line.get_color(), alpha=0.8)
    curves.set_xlabel("epoch")
    curves.set_title("validation accuracy (mean, min-max over seeds)")
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8)
    finals.set_xticks(range(len(report["recipes"])))
    finals.set_xticklabels([r["recipe"] for r in report["recipes"]], rotation=15, fontsize=8)
    finals.set_title("final validation accuracy per seed")
    finals.grid(alpha=0.3)
    return pictures.save_figure(plt, figure, path, None, dpi)
