"""What a person and a script see of a run: the console and the run's log file.

Every line is ``[zoo] message`` on the console and ``time LEVEL message`` in the log file, except the lines scripts
read (the throughput and epoch lines): those are written bare, with nothing before them on their line, so the
ModelZoo launch scripts' ``grep``/``awk`` extraction works on the log and on a redirected console alike.
"""
import contextlib
import logging
import sys

__all__ = ["MACHINE_READ", "log", "log_file", "setup_console"]

log = logging.getLogger("zoo")
#: pass as ``extra=`` for a line scripts parse
MACHINE_READ = {"machine_read": True}


class _Formatter(logging.Formatter):
    def format(self, record):
        if getattr(record, "machine_read", False):
            return record.getMessage()
        return super().format(record)


def _loggers():
    return [log, logging.getLogger("resizer_plugin")]


def setup_console():
    """Log INFO and above to stderr (replacing earlier handlers: the CLI may run several times in one process)."""
    log.setLevel(logging.INFO)
    log.propagate = False
    for logger in _loggers():
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(_Formatter("[zoo] %(message)s"))
    for logger in _loggers():
        logger.addHandler(console)


@contextlib.contextmanager
def log_file(path):
    """Also log to ``path`` (appended: a resumed run continues its log) while inside."""
    handler = logging.FileHandler(path)
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(message)s"))
    for logger in _loggers():
        logger.addHandler(handler)
    try:
        yield path
    finally:
        for logger in _loggers():
            logger.removeHandler(handler)
        handler.close()
