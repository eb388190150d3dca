"""What every ``zoo`` verb shares: one-line errors with exit status 2, TensorFlow's environment, a run reopened."""
import os
import sys

import click

__all__ = ["USAGE_ERROR", "configure_tensorflow", "data_problem", "describe_data", "fail", "open_run_or_fail"]

USAGE_ERROR = 2


def fail(message, code=USAGE_ERROR):
    """Print ``<command>: error: message`` (the command as it was named: zoo or zoo-run) and exit with ``code``."""
    context = click.get_current_context(silent=True)
    name = context.find_root().command.name if context is not None else "zoo-run"
    click.echo("{}: error: {}".format(name, message), err=True)
    sys.exit(code)


def data_problem(error):
    """A DataError as one line, with the recipe key at fault when it has one."""
    return "data.{}: {}".format(error.key, error) if error.key else str(error)


def describe_data(recipe):
    """(the dataset's DatasetInfo, None) or (None, the problem as one line)."""
    from ..contract import DataError

    try:
        return recipe.dataset.describe(recipe.dataset_options), None
    except DataError as error:
        return None, data_problem(error)


def configure_tensorflow():
    """Environment TensorFlow reads once, when it loads: so before anything imports it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's oneDNN CPU kernels trained resizer + DenseNet-121 1.4-1.8x faster on an AVX2 CPU, where
    # TensorFlow leaves them off (it turns them on itself with AVX-512); TF_ENABLE_ONEDNN_OPTS=0 keeps its own.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def open_run_or_fail(run_dir, checkpoint, data_dir=None):
    """finished_run.open_run, its errors as one line (exit 2)."""
    from ..checkpoints import CheckpointError
    from ..contract import DataError, OptionError
    from ..finished_run import RunError, open_run
    from ..model import ModelError
    from ..recipe import RecipeError
    from ..registry import PluginError

    try:
        return open_run(run_dir, checkpoint, data_dir)
    except (RunError, RecipeError, CheckpointError, PluginError, OptionError, ModelError) as error:
        fail(str(error))
    except DataError as error:
        fail("{}: {}".format(run_dir, data_problem(error)))
