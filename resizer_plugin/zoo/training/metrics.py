"""The figures a run ends with: the epoch history read back, and metrics.json."""
import csv
import json
import math
import os

__all__ = ["read_history", "read_metrics", "run_metrics", "trim_history", "write_metrics"]


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def read_history(path):
    """The rows of history.csv as dicts of floats (empty when there is no file yet); a value that is no number
    (the ``NA`` Keras' CSV logger writes for an epoch without it) is left out of its row."""
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as handle:
        rows = [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def trim_history(path, epochs):
    """Keep the first ``epochs`` rows of history.csv (those the checkpoint being resumed holds): a row written
    just before the process died, for an epoch whose checkpoint was not, goes; the epoch runs again."""
    if not os.path.isfile(path):
        return
    with open(path, newline="") as handle:
        lines = handle.readlines()
    if len(lines) > epochs + 1:
        with open(path + ".tmp", "w", newline="") as handle:
            handle.writelines(lines[:epochs + 1])
        os.replace(path + ".tmp", path)


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


def read_metrics(path):
    """metrics.json's content, {} where there is none (or none whole: a file torn by a crash counts as none)."""
    try:
        with open(path) as handle:
            metrics = json.load(handle)
    except (OSError, ValueError):
        return {}
    return metrics if isinstance(metrics, dict) else {}


def write_metrics(path, metrics):
    with open(path, "w") as handle:
        json.dump(metrics, handle, indent=2)
