"""The figures a run ends with: the epoch history read back, and metrics.json."""
import csv
import json
import math
import os

__all__ = ["read_history", "run_metrics", "write_metrics"]


def read_history(path):
    """The rows of history.csv as dicts of floats (empty when there is no file yet)."""
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as handle:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(handle)]


def run_metrics(history, **figures):
    """metrics.json's content: the last and best epoch's figures from ``history``, then ``figures`` (recipe,
    throughput, parameters, time, runtime, classes, skipped inputs) as given."""
    last = history[-1] if history else {}
    metrics = {
        "recipe": figures.pop("recipe"),
        "epochs": len(history),
        "val_accuracy": last.get("val_accuracy"),
        "val_loss": last.get("val_loss"),
        "best_val_accuracy": max((row.get("val_accuracy", -1) for row in history), default=None),
        "train_accuracy": last.get("accuracy"),
        "train_loss": last.get("loss"),
    }
    metrics.update(figures)
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}


def write_metrics(path, metrics):
    with open(path, "w") as handle:
        json.dump(metrics, handle, indent=2)
