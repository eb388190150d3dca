"""The report of a ``zoo compare``: each recipe's accuracy over its seeds, each recipe's paired difference to the
first (the baseline) with a 95% t-interval, and a sentence saying what the interval shows.

The compared figure is the final validation accuracy (the last epoch's): the best epoch's is reported beside it,
but choosing the best of several epochs on the validation split itself flatters every recipe.
"""
import json
import math
import os
import statistics

import numpy as np

from .. import pictures
from ..training.metrics import read_history
from ..training.run_dir import RunDirectory

__all__ = ["T_975", "comparison_report", "paired_interval", "report_picture", "t_quantile_975", "verdict",
           "write_report"]

#: the 97.5% quantile of Student's t with 1..30 degrees of freedom (two-sided 95% intervals)
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_quantile_975(degrees):
    """Student's t 97.5% quantile: the table to 30 degrees of freedom, then the Cornish-Fisher expansion."""
    if degrees <= len(T_975):
        return T_975[degrees - 1]
    z = 1.959964
    return z + (z ** 3 + z) / (4 * degrees) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * degrees ** 2)


def paired_interval(differences):
    """(mean, low, high) of the 95% t-interval of the mean of paired ``differences``; low and high are None for
    fewer than two pairs."""
    mean = statistics.mean(differences)
    if len(differences) < 2:
        return mean, None, None
    half = t_quantile_975(len(differences) - 1) * statistics.stdev(differences) / math.sqrt(len(differences))
    return mean, mean - half, mean + half


def verdict(name, baseline, interval, seeds):
    """One plain sentence on ``name`` against ``baseline`` from their paired ``interval`` of accuracy differences."""
    mean, low, high = interval
    change = "{:+.1f} points of final validation accuracy".format(100 * mean)
    if low is None:
        return "{} vs {}: {} on one seed; no interval from a single seed: run more seeds.".format(name, baseline,
                                                                                                  change)
    shown = "{} (95% interval {:+.1f} to {:+.1f}, {} seeds)".format(change, 100 * low, 100 * high, seeds)
    if low <= 0 <= high:
        return "{} vs {}: {}: no significant difference.".format(name, baseline, shown)
    return "{} vs {}: {}: {} significantly.".format(name, baseline, shown, "better" if low > 0 else "worse")


def _read(run):
    run_dir = RunDirectory(run.folder)
    with open(run_dir.metrics) as handle:
        metrics = json.load(handle)
    history = read_history(run_dir.history)
    return {"seed": run.seed, "folder": run.folder, "val_accuracy": metrics["val_accuracy"],
            "best_val_accuracy": metrics["best_val_accuracy"], "val_loss": metrics["val_loss"],
            "examples_per_second": metrics["examples_per_second"], "parameters": metrics["parameters"],
            "val_accuracy_per_epoch": [row.get("val_accuracy") for row in history]}


def _spread(values):
    return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def _summary(name, seeds):
    return {"recipe": name, "seeds": seeds,
            "val_accuracy": _spread([s["val_accuracy"] for s in seeds]),
            "best_val_accuracy": _spread([s["best_val_accuracy"] for s in seeds]),
            "val_loss": _spread([s["val_loss"] for s in seeds]),
            "examples_per_second": statistics.mean(s["examples_per_second"] for s in seeds),
            "parameters": seeds[0]["parameters"]}


def comparison_report(runs):
    """report.json's content for finished ``runs`` (compare.PlannedRun, recipe by recipe, the baseline first)."""
    names = list(dict.fromkeys(run.name for run in runs))
    recipes = [_summary(name, [_read(run) for run in runs if run.name == name]) for name in names]
    baseline = recipes[0]
    for recipe in recipes[1:]:
        by_seed = {s["seed"]: s["val_accuracy"] for s in baseline["seeds"]}
        differences = [s["val_accuracy"] - by_seed[s["seed"]] for s in recipe["seeds"] if s["seed"] in by_seed]
        interval = paired_interval(differences)
        recipe["difference_to_baseline"] = {"per_seed": differences, "mean": interval[0], "low": interval[1],
                                            "high": interval[2], "confidence": 0.95}
        recipe["verdict"] = verdict(recipe["recipe"], baseline["recipe"], interval, len(differences))
    return {"baseline": baseline["recipe"], "compared": "final validation accuracy (last epoch)",
            "recipes": recipes}


def _markdown(report, command):
    lines = ["# zoo compare: {}".format(" vs ".join(r["recipe"] for r in report["recipes"])), "",
             "```", command, "```", "",
             "| recipe | final val accuracy, mean ± sd | per seed | best val accuracy | val loss | examples/s | "
             "parameters |", "|---|---|---|---|---|---|---|"]
    for r in report["recipes"]:
        lines.append("| {} | {:.4f} ± {:.4f} | {} | {:.4f} ± {:.4f} | {:.4f} | {:.1f} | {:,} |".format(
            r["recipe"], r["val_accuracy"]["mean"], r["val_accuracy"]["std"],
            ", ".join("{:.4f}".format(s["val_accuracy"]) for s in r["seeds"]), r["best_val_accuracy"]["mean"],
            r["best_val_accuracy"]["std"], r["val_loss"]["mean"], r["examples_per_second"], r["parameters"]))
    lines += [""] + [r["verdict"] for r in report["recipes"][1:]] + ["", "![validation accuracy](report.png)"]
    return "\n".join(lines) + "\n"


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
