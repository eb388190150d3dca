"""The ``zoo.preparers`` contract: ``zoo prepare NAME SOURCE --data-dir DIR`` makes, offline, the folder a dataset
source reads from data a user has (a folder of photos, an archive)."""
from typing import Callable, NamedTuple

from .dataset import SkippedInputs

__all__ = ["Prepared", "Preparer"]


class Prepared(NamedTuple):
    """What a preparation left.

    Args:
        location: the folder written, or found already holding this preparation.
        kept: how many inputs of the source went into it.
        skipped: the inputs left out, by reason, out of all the source's inputs examined.
        already: True when ``location`` already held what the source gives, and nothing was written.
    """
    location: str
    kept: int
    skipped: SkippedInputs
    already: bool = False


class Preparer:
    """A ``zoo.preparers`` entry: makes one data set from a source a user has.

    Args:
        name: what ``zoo prepare NAME`` names.
        prepare: ``prepare(source, data_dir, progress) -> Prepared``: read ``source`` (an absolute path) and write
            under ``data_dir`` (an absolute path, perhaps not there yet), calling ``progress(done, total)`` as it
            reads its inputs. Raise :class:`DataError`, its message one line naming the path at fault, for an
            unusable source or a ``data_dir`` that holds other data; return ``Prepared(..., already=True)``
            without writing where ``data_dir`` already holds this preparation. A failed or interrupted preparation
            must leave nothing a dataset source would read.
        source_help: what SOURCE may be, one line for ``zoo prepare --help``.
        description: what it makes, one line for ``zoo prepare --help`` and ``zoo list``.
    """

    kind = "preparer"

    def __init__(self, name: str, *, prepare: Callable[..., Prepared], source_help: str, description: str = ""):
        self.name, self.prepare = name, prepare
        self.source_help, self.description = source_help, description

    def __repr__(self):
        return "{}({!r})".format(type(self).__name__, self.name)
