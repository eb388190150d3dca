"""What a training run will do, worked out before it does it: the optimizer steps in an epoch, the phases of a frozen
backbone, and the ``fit`` calls a (resumed) run makes. Pure functions of the recipe's ``train`` section and the run's
progress, so they are tested directly."""
from typing import List, NamedTuple, Optional

from ..contract import DataError

__all__ = ["FitCall", "Phase", "epoch_steps", "fit_calls", "long_checkpoint_interval", "phases"]


class Phase(NamedTuple):
    """Epochs ``first`` (done so far) to ``end`` (exclusive), the backbone frozen or training."""
    first: int
    end: int
    frozen: bool


class FitCall(NamedTuple):
    """One ``Model.fit``: epochs ``first`` to ``end``, the backbone frozen or not, ``steps`` per epoch (None: the
    recipe's ``train.steps_per_epoch``, else the whole split)."""
    first: int
    end: int
    frozen: bool
    steps: Optional[int]


def _counting_in_steps(train):
    """The recipe keys that count in optimizer steps (a schedule, step checkpoints)."""
    schedule = train.optimizer.schedule
    counts = (("train.optimizer.schedule", schedule.type != "constant" or schedule.warmup_epochs),
              ("train.checkpoint_every_steps", train.checkpoint_every_steps))
    return [key for key, counting in counts if counting]


def epoch_steps(train, split_batches):
    """Optimizer steps in an epoch: ``train.steps_per_epoch``, else ``split_batches`` (the training split's batches,
    negative when unknown). A learning-rate schedule and step checkpoints count in them, so they refuse a split of
    unknown size (DataError)."""
    steps = train.steps_per_epoch or split_batches
    counting = _counting_in_steps(train)
    if steps < 0 and counting:
        raise DataError("the training split's size is unknown, and {} counts in steps: set train.steps_per_epoch"
                        .format(" and ".join(counting)))
    return max(steps, 1)


def long_checkpoint_interval(train, steps):
    """The line the run logs when ``train.checkpoint_every_steps`` is longer than an epoch of ``steps`` (allowed:
    then the epochs' own checkpoints come first), else None."""
    every = train.checkpoint_every_steps
    if not every or every <= steps:
        return None
    return ("train.checkpoint_every_steps {} is more than an epoch ({} steps): allowed; checkpoints at every epoch's "
            "end and every {} optimizer steps".format(every, steps, every))


def phases(train, epochs_done) -> List[Phase]:
    """The epochs left to train after ``epochs_done``, the frozen ones (``train.freeze_backbone_epochs``) first."""
    frozen_end = min(train.freeze_backbone_epochs, train.epochs)
    planned = [Phase(epochs_done, frozen_end, True)] if epochs_done < frozen_end else []
    if max(epochs_done, frozen_end) < train.epochs:
        planned.append(Phase(max(epochs_done, frozen_end), train.epochs, False))
    return planned


def fit_calls(train, epochs_done, steps_into_epoch, steps_per_epoch) -> List[FitCall]:
    """The ``fit`` calls left: the rest of the epoch a step checkpoint stopped ``steps_into_epoch`` steps inside
    (of ``steps_per_epoch``), then whole epochs, phase by phase."""
    calls = []
    for first, end, frozen in phases(train, epochs_done):
        if first == epochs_done and steps_into_epoch:
            calls.append(FitCall(first, first + 1, frozen, steps_per_epoch - steps_into_epoch))
            first += 1
        if first < end:
            calls.append(FitCall(first, end, frozen, train.steps_per_epoch))
    return calls
