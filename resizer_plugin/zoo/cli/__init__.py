"""The ``zoo`` and ``zoo-run`` console scripts; one module per verb (``train``, ``evaluate``, ``predict``, ``export``),
the group in ``group``.

Recipe YAML -> data pipeline -> stages + backbone -> training -> checkpoints, logs, metrics, pictures; then a run
measured again, used on image files, and exported for serving. Bad input exits with status 2 and one line naming the
file, the key or the value.
"""
import importlib

from .common import configure_tensorflow, die_with_parent, refuse_other_backends

__all__ = ["run_zoo", "run_zoo_run"]


def _launch(module, command, name):
    """Run a click command with TensorFlow's environment set and its native noise kept off stderr from before
    TensorFlow loads (it loads with the command's module: the runtimes' launch flags are options)."""
    die_with_parent()
    configure_tensorflow()
    from ..training.logs import native_stderr_filtered

    with native_stderr_filtered():
        refuse_other_backends(name)
        getattr(importlib.import_module(module, __name__), command)()


def run_zoo():
    """The ``zoo`` console script."""
    _launch(".group", "zoo", "zoo")


def run_zoo_run():
    """The ``zoo-run`` console script (``zoo train``)."""
    _launch(".train", "main", "zoo-run")
