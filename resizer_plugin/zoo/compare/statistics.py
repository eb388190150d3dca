"""The statistics of a ``zoo compare``: the 95% t-interval of a recipe's paired differences to the baseline (from
``scipy.stats``), how many seeds the observed spread would need for that interval to exclude zero, and the sentence
that says what the interval shows."""
import math
import statistics

from scipy import stats

__all__ = ["CONFIDENCE", "paired_interval", "seeds_needed", "verdict"]

#: the confidence of every interval a compare reports
CONFIDENCE = 0.95

#: seeds_needed looks no further than this many seeds
MOST_SEEDS = 10000


def paired_interval(differences):
    """(mean, low, high): the mean of paired ``differences`` (a recipe's accuracy minus the baseline's, seed by
    seed) and its Student t-interval at :data:`CONFIDENCE`, the interval ``scipy.stats.ttest_rel(recipe,
    baseline).confidence_interval()`` gives; low and high are None for fewer than two pairs, and both the mean when
    every pair differs alike."""
    mean = statistics.mean(differences)
    if len(differences) < 2:
        return mean, None, None
    spread = statistics.stdev(differences)
    if spread == 0:
        return mean, mean, mean
    low, high = stats.t.interval(CONFIDENCE, len(differences) - 1, loc=mean,
                                 scale=spread / math.sqrt(len(differences)))
    return mean, float(low), float(high)


def seeds_needed(mean, spread):
    """The fewest seeds whose interval, for paired differences of this ``mean`` and standard deviation ``spread``,
    would exclude zero; None when no number would (a zero mean) or it is more than :data:`MOST_SEEDS`."""
    if mean == 0:
        return None
    for seeds in range(2, MOST_SEEDS + 1):
        if stats.t.ppf(0.5 + CONFIDENCE / 2, seeds - 1) * spread / math.sqrt(seeds) < abs(mean):
            return seeds
    return None


def _more_seeds(mean, spread):
    seeds = seeds_needed(mean, spread)
    if seeds is None:
        return "no number of seeds up to {:,} would separate them at this spread".format(MOST_SEEDS)
    return "at this mean and spread (sd {:.1f} points) about {} seeds would make the interval exclude zero".format(
        100 * spread, seeds)


def verdict(name, baseline, differences):
    """One plain sentence on ``name`` against ``baseline`` from their paired accuracy ``differences`` (per seed)."""
    mean, low, high = paired_interval(differences)
    change = "{:+.1f} points of final validation accuracy".format(100 * mean)
    if low is None:
        return "{} vs {}: {} on one seed; no interval from a single seed: run more seeds.".format(name, baseline,
                                                                                                  change)
    shown = "{} ({:.0%} interval {:+.1f} to {:+.1f}, {} seeds)".format(change, CONFIDENCE, 100 * low, 100 * high,
                                                                       len(differences))
    if low <= 0 <= high:
        return "{} vs {}: {}: no significant difference; {}.".format(
            name, baseline, shown, _more_seeds(mean, statistics.stdev(differences)))
    return "{} vs {}: {}: {} significantly.".format(name, baseline, shown, "better" if low > 0 else "worse")
