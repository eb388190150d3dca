"""The ``zoo.datasets`` contract: a source of ``(image, label)`` pairs, its split options and skip report."""
import re
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .options import Configurable, Option, text
from .positional import accepts_0_1_positional

__all__ = ["DataError", "DatasetInfo", "DatasetSource", "NOTHING_SKIPPED", "SkippedInputs", "SplitError", "slice_split",
           "split", "split_options", "take_split"]


class DataError(RuntimeError):
    """The data a recipe names cannot be found or read; the message says where it looked and what to do.
    ``key`` is the option at fault (``data.<key>`` in the recipe), when one is."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


class DatasetInfo(NamedTuple):
    """What a source knows before reading any image: the class names (label i is ``class_names[i]``) and where
    the data lies, as the log and the dry run print it."""
    class_names: List[str]
    location: str


class SkippedInputs(NamedTuple):
    """Inputs a source examined and could not use: reason -> identifiers (e.g. file paths), out of ``examined``."""
    by_reason: Dict[str, List[str]]
    examined: int

    def counts(self) -> Dict[str, int]:
        """reason -> how many inputs were skipped for it."""
        return {reason: len(items) for reason, items in sorted(self.by_reason.items())}

    def summary(self, where: str) -> Optional[str]:
        """One line for the log (None when nothing was skipped)."""
        if not self.by_reason:
            return None
        reasons = ", ".join("{} {}".format(count, reason) for reason, count in self.counts().items())
        first = min(item for items in self.by_reason.values() for item in items)
        return "{}: skipped {} of {} files ({}); first: {}".format(
            where, sum(self.counts().values()), self.examined, reasons, first)


#: the report of a source that skipped nothing
NOTHING_SKIPPED = SkippedInputs({}, 0)


class DatasetSource(Configurable):
    """A ``zoo.datasets`` entry. Its options go in the recipe's ``data:`` section beside the host's keys, and
    must include ``train_split`` and ``val_split`` (see :func:`split_options`).

    Args:
        name: the name a recipe writes as ``data.source``.
        options: option name -> :class:`Option`.
        describe: ``describe(options) -> DatasetInfo``; cheap, raises :class:`DataError` when the data is missing.
        load: ``load(options, split, seed) -> tf.data.Dataset`` of ``(image, label)``: the image a uint8
            H x W x C array of any size or encoded bytes, the label an int64 class index. ``seed`` is None for
            an evaluation pass (then the order must be fixed), else the recipe's seed for the file order.
        skipped: ``skipped(options) -> SkippedInputs``, the inputs this process's loads could not use; the host
            logs it and writes the counts to metrics.json. Omit it when a source never skips anything.
        description: one line for ``zoo-run --list``.
    """

    kind = "dataset"

    @accepts_0_1_positional("options", "describe", "load", "skipped", "description")
    def __init__(self, name: str, *, describe: Callable, load: Callable, options: Mapping[str, Option],
                 skipped: Optional[Callable] = None, description: str = ""):
        super().__init__(name, options=options, description=description)
        self.describe, self.load = describe, load
        self._skipped = skipped

    def skipped_inputs(self, options) -> SkippedInputs:
        """What the loads so far in this process skipped (nothing, for a source that cannot skip)."""
        return self._skipped(options) if self._skipped else NOTHING_SKIPPED


# Splits use TFDS's slicing syntax for every source: "train", "train[:40%]", "train[40%:50%]", "train[100:200]",
# parts joined with "+".

_BOUND = r"-?\d+%?"
_SPLIT = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)(\[(?P<start>{0})?:(?P<stop>{0})?\])?$".format(_BOUND))


class SplitError(DataError, ValueError):
    """A split string is malformed or names a split the dataset does not have: a bad option value (ValueError)
    and data the recipe names that is not there (DataError)."""


def _check_split(value):
    value = text()(value)
    for part in value.split("+"):
        match = _SPLIT.match(part.strip())
        if not match:
            raise SplitError("is not a split such as 'train', 'train[:40%]' or 'train[40%:50%]'")
        for bound in (match.group("start"), match.group("stop")):
            if bound and bound.endswith("%") and not -100 <= int(bound[:-1]) <= 100:
                raise SplitError("percent bounds must lie between -100% and 100%")
    return value


def split():
    """A split string in TensorFlow Datasets' slicing syntax (one or more parts joined by '+')."""
    return _check_split


def split_options(train_default: str, val_default: str) -> Dict[str, Option]:
    """The ``train_split`` and ``val_split`` options every source declares, with its defaults."""
    return {"train_split": Option(split(), train_default, "training split, TensorFlow Datasets' slicing syntax"),
            "val_split": Option(split(), val_default, "validation split, TensorFlow Datasets' slicing syntax")}


def _bound_index(bound, size, default):
    if not bound:
        return default
    if bound.endswith("%"):
        return int(round(size * int(bound[:-1]) / 100.0))
    return int(bound)


def take_split(split_text: str, sizes: Mapping[str, int], examples: Callable[[str], Sequence]) -> list:
    """The examples ``split_text`` selects, its '+' parts in order: ``examples(name)`` gives the ``sizes[name]``
    examples of split ``name`` (asked once per split the text names). DataError when it selects none."""
    made: Dict[str, Sequence] = {}
    chosen = []
    for name, indices in slice_split(split_text, sizes):
        if name not in made:
            made[name] = examples(name)
        chosen += [made[name][i] for i in indices]
    if not chosen:
        raise DataError("split {!r} selects no examples (of {})".format(
            split_text, ", ".join("{} {}".format(size, name) for name, size in sizes.items())))
    return chosen


def slice_split(split_text: str, sizes: Mapping[str, int]) -> List[Tuple[str, List[int]]]:
    """``(split name, indices)`` selected by ``split_text`` from named splits of the given sizes
    (``{"train": 25}``), one pair per '+' part."""
    selected = []
    for part in split_text.split("+"):
        name, start, stop = _SPLIT.match(part.strip()).group("name", "start", "stop")
        if name not in sizes:
            raise SplitError("split {!r} names {!r}; this dataset has: {}".format(
                split_text, name, ", ".join(sizes)))
        size = sizes[name]
        selected.append((name, list(range(size))[_bound_index(start, size, 0):_bound_index(stop, size, size)]))
    return selected
