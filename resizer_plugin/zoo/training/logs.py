"""What a person and a script see of a run: the console and the run's log file.

Every line is ``[zoo] message`` on the console and ``time LEVEL message`` in the log file, except the lines scripts
read (the throughput and epoch lines): those are written bare, with nothing before them on their line, so the
ModelZoo launch scripts' ``grep``/``awk`` extraction works on the log and on a redirected console alike.
"""
import contextlib
import logging
import logging.handlers
import os
import re
import sys
import threading

__all__ = ["MACHINE_READ", "NATIVE_NOISE", "RunLog", "log", "native_stderr_filtered", "setup_console"]

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
    """Log INFO and above, the host's and the package's plugins' (``resizer_plugin.*`` loggers), to stderr (replacing
    earlier handlers: the CLI may run several times in one process)."""
    for logger in _loggers():
        logger.setLevel(logging.INFO)
        logger.propagate = False
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(_Formatter("[zoo] %(message)s"))
    for logger in _loggers():
        logger.addHandler(console)


class RunLog:
    """The run's log file ``path``, written from :meth:`open` on (appended: a resumed run continues its log). While
    inside (``with``), the records logged before :meth:`open` are held in memory and written first when it is
    called; a command refused before it writes no line."""

    def __init__(self, path):
        self.path, self.opened = path, False
        self._handler = logging.handlers.MemoryHandler(capacity=1 << 16)  # no target: it holds every record

    def __enter__(self):
        for logger in _loggers():
            logger.addHandler(self._handler)
        return self

    def open(self):
        """Write the held records to the file, and every later one as it comes."""
        held, self._handler = self._handler, logging.FileHandler(self.path)
        self._handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(message)s"))
        held.setTarget(self._handler)
        held.flush()
        for logger in _loggers():
            logger.removeHandler(held)
            logger.addHandler(self._handler)
        held.close()
        self.opened = True

    def __exit__(self, *exc_info):
        for logger in _loggers():
            logger.removeHandler(self._handler)
        self._handler.close()


#: Lines TensorFlow writes to stderr that are no error of a run (docs/outputs.md says why each is harmless): its C++
#: side's, before its log level (TF_CPP_MIN_LOG_LEVEL) is read or at a level that would hide real errors too, and two
#: warnings TensorFlow 2.6's Python side prints on every ``zoo export``.
NATIVE_NOISE = re.compile("|".join([
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"port\.cc:\d+\] oneDNN custom operations are on",
    r"Could not find cuda drivers on your machine",
    r"failed call to cuInit: .*(UNKNOWN ERROR \(303\)|CUDA_ERROR_NO_DEVICE)",
    r"This TensorFlow binary is optimized to use available \w+ instructions",
    r"To enable the following instructions: .* rebuild TensorFlow",
    r"remapper failed: .*LeakyReluGrad",
    r"^WARNING:tensorflow:Compiled the loaded model, but the compiled metrics have yet to be built",
    r"^WARNING:absl:Found untraced functions such as .* while saving",
]))


def _forward(read_fd, write_fd, noise):
    with os.fdopen(read_fd, "rb") as lines:
        for line in lines:
            if not noise.search(line.decode("utf-8", "replace")):
                os.write(write_fd, line)


@contextlib.contextmanager
def native_stderr_filtered(noise=NATIVE_NOISE):
    """While inside, lines written to the process's stderr (file descriptor 2: TensorFlow's C++ logs and Python's
    alike) that match ``noise`` are dropped; every other line passes, in order."""
    sys.stderr.flush()
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    forwarder = threading.Thread(target=_forward, args=(read_fd, saved, noise), daemon=True)
    forwarder.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last writer closes: the forwarder drains it and ends
        forwarder.join(timeout=5)
        os.close(saved)
