"""The ``zoo`` and ``zoo-run`` console scripts; one module per verb (``train``, ``evaluate``, ``predict``, ``export``),
the group in ``group``.

Recipe YAML -> data pipeline -> stages + backbone -> training -> checkpoints, logs, metrics, pictures; then a run
measured again, used on image files, and exported for serving. Bad input exits with status 2 and one line naming the
file, the key or the value.
"""
import importlib
import logging
import os
import sys

from ..training.children import die_with_parent
from .common import configure_tensorflow, refuse_other_backends

__all__ = ["run_zoo", "run_zoo_run"]

#: the exit statuses of a command that failed (a crash, refused artifacts) or was interrupted
FAILED, INTERRUPTED = 1, 130


def _launch(module, command, name):
    """Run a click command with TensorFlow's environment set and its native noise kept off stderr from before
    TensorFlow loads (it loads with the command's module: the runtimes' launch flags are options). A command that
    failed or was interrupted ends at once, its output flushed: on JAX, the frames of a failed ``fit`` keep Keras'
    iterator over the tf.data pipeline alive until the interpreter's exit, where collecting it deadlocked."""
    die_with_parent()
    configure_tensorflow()
    from ..training.logs import native_stderr_filtered

    try:
        with native_stderr_filtered():
            refuse_other_backends(name)
            getattr(importlib.import_module(module, __name__), command)()
    except SystemExit as ended:
        if ended.code in (FAILED, INTERRUPTED):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(ended.code)
        raise


def run_zoo():
    """The ``zoo`` console script."""
    _launch(".group", "zoo", "zoo")


def run_zoo_run():
    """The ``zoo-run`` console script (``zoo train``)."""
    _launch(".train", "main", "zoo-run")
