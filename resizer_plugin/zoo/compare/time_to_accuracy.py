"""Time to accuracy, MLPerf-style: for every recipe of a compare and every seed, the first epoch at which its
validation accuracy reached a target (a recipe's mean final validation accuracy) and the training seconds its run's
history.csv logged by the end of that epoch (validation included; a resumed run counts only its processes' time)."""
import statistics

__all__ = ["first_reached", "time_to_accuracy", "time_to_accuracy_sentence"]


def first_reached(seed, target):
    """{"epoch", "seconds"} of the first epoch (counted from 1) of one run (``seed``, as report._read gives it) whose
    validation accuracy is at least ``target``; None when no epoch reached it. ``seconds`` is None for a run whose
    history has no training_seconds (one trained before they were logged)."""
    rows = zip(seed["val_accuracy_per_epoch"], seed["training_seconds_at_epoch_end"])
    for epoch, (accuracy, seconds) in enumerate(rows, 1):
        if accuracy is not None and accuracy >= target:
            return {"epoch": epoch, "seconds": seconds}
    return None


def _mean_of(reached, key):
    values = [r[key] for r in reached if r is not None and r[key] is not None]
    return statistics.mean(values) if values else None


def _one_recipe(recipe, target, target_seconds):
    per_seed = [first_reached(seed, target) for seed in recipe["seeds"]]
    reached = [r for r in per_seed if r is not None]
    mean_seconds = _mean_of(reached, "seconds")
    return {"recipe": recipe["recipe"], "per_seed": per_seed, "seeds_reached": len(reached),
            "mean_epoch": _mean_of(reached, "epoch"), "mean_seconds": mean_seconds,
            "fraction_of_target_recipe_time": (mean_seconds / target_seconds
                                               if mean_seconds is not None and target_seconds else None)}


def time_to_accuracy(recipes, target_name):
    """The time to ``target_name``'s mean final validation accuracy of every recipe (report summaries, as
    report._summary makes them): per seed, the mean over the seeds that reached it, and that mean as a fraction of
    the target recipe's own mean training seconds."""
    target_recipe = next(r for r in recipes if r["recipe"] == target_name)
    target = target_recipe["val_accuracy"]["mean"]
    totals = [seconds for seconds in (s["training_seconds_at_epoch_end"][-1] for s in target_recipe["seeds"])
              if seconds is not None]
    target_seconds = statistics.mean(totals) if totals else None
    return {"target_recipe": target_name, "target_val_accuracy": target, "target_recipe_seconds": target_seconds,
            "recipes": [_one_recipe(recipe, target, target_seconds) for recipe in recipes]}


def _order(entry):
    never = entry["mean_seconds"] is None
    return -entry["seeds_reached"], never, entry["mean_seconds"] or 0.0


def time_to_accuracy_sentence(table):
    """Which recipe reached the target first: the recipes in order (every seed reached before some, then the
    faster mean), with their mean seconds and epoch, and those that never reached it."""
    seeds = max(len(entry["per_seed"]) for entry in table["recipes"])
    reached = sorted((e for e in table["recipes"] if e["seeds_reached"]), key=_order)
    parts = ["{} ({}{})".format(e["recipe"], _seconds_text(e), "" if e["seeds_reached"] == seeds else
                                "; {} of {} seeds".format(e["seeds_reached"], seeds)) for e in reached]
    never = [e["recipe"] for e in table["recipes"] if not e["seeds_reached"]]
    sentence = "Time to {:.4f}, {}'s final validation accuracy: ".format(table["target_val_accuracy"],
                                                                        table["target_recipe"])
    sentence += "first {}".format(", then ".join(parts)) if parts else "no recipe reached it"
    return sentence + ("; not reached: {}.".format(", ".join(never)) if never else ".")


def _seconds_text(entry):
    epoch = "epoch {:.3g} on average".format(entry["mean_epoch"])
    if entry["mean_seconds"] is None:
        return epoch
    return "{:.1f} s, {}".format(entry["mean_seconds"], epoch)
