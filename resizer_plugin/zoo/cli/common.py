"""What every ``zoo`` verb shares: one-line errors with exit status 2, TensorFlow's environment, a run reopened."""
import os
import sys
import unicodedata

import click

__all__ = ["ONEDNN_SINCE", "USAGE_ERROR", "configure_tensorflow", "data_problem", "describe_data", "fail",
           "onednn_default", "open_run_or_fail", "output_path_or_fail", "recipe_file_or_fail", "refuse_other_backends",
           "tensorflow_version"]

USAGE_ERROR = 2


def fail(message, code=USAGE_ERROR, command=None):
    """Print ``<command>: error: message`` (the command as it was named: zoo or zoo-run) and exit with ``code``. A
    control character the message holds (from a path given, say) is shown escaped, never obeyed: a carriage return
    would overwrite the line, an escape sequence restyle the terminal."""
    context = click.get_current_context(silent=True)
    name = command or (context.find_root().command.name if context is not None else "zoo-run")
    shown = "".join(c if c == "\n" or unicodedata.category(c) != "Cc" else repr(c)[1:-1] for c in str(message))
    click.echo("{}: error: {}".format(name, shown), err=True)
    sys.exit(code)


def output_path_or_fail(path, option, folder=False):
    """``path``, which ``option`` names for the command to write (a file, or a ``folder``), once the folder it goes
    in is made as ``mkdir -p`` makes it; where that cannot be (a file in the way, no permission), one line naming
    the path at fault and exit 2."""
    from ..training.run_dir import make_folder

    problem = make_folder(path if folder else os.path.dirname(path) or os.curdir)
    if problem:
        fail("{} {}: {}".format(option, path, problem))
    return path


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


#: the first TensorFlow whose oneDNN CPU kernels zoo turns on: TensorFlow 2.9 made them its own default (on CPUs
#: with AVX-512); 2.6.5's died with SIGFPE in the first convolution on an AVX-512 CPU (docs/performance.md)
ONEDNN_SINCE = (2, 9)


def tensorflow_version():
    """The installed TensorFlow's (major, minor), read from the distribution that provides the ``tensorflow`` package
    (whichever build it is), without importing it; None if unknown."""
    if sys.version_info >= (3, 10):
        from importlib.metadata import packages_distributions, version  # novm: Python >= 3.10 here
    else:
        from importlib_metadata import packages_distributions, version
    for distribution in packages_distributions().get("tensorflow", []):
        try:
            return tuple(int(part) for part in version(distribution).split(".")[:2])
        except ValueError:
            continue
    return None


def onednn_default(tf_version, machine):
    """The ``TF_ENABLE_ONEDNN_OPTS`` value zoo sets when the variable is unset, or None to leave TensorFlow's own
    default: "1" on x86-64 from :data:`ONEDNN_SINCE` on, where the kernels trained the resizer + DenseNet-121 1.4-1.8x
    faster on an AVX2 processor (TensorFlow turns them on itself only with AVX-512)."""
    if tf_version is None or tf_version < ONEDNN_SINCE or machine.lower() not in ("x86_64", "amd64"):
        return None
    return "1"


def configure_tensorflow():
    """Environment TensorFlow reads once, when it loads: so before anything imports it. A variable already set
    (``TF_ENABLE_ONEDNN_OPTS=0``, say) is kept."""
    import platform

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    onednn = onednn_default(tensorflow_version(), platform.machine())
    if onednn is not None:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", onednn)


#: the Keras backends zoo trains on
HOST_BACKENDS = ("tensorflow", "jax")


def refuse_other_backends(command):
    """Stop ``command`` (zoo or zoo-run) in one line, exit 2, where Keras 3 runs on a backend the host does not train
    on (:data:`HOST_BACKENDS`), or one Keras cannot load."""
    try:
        from ...compat import BACKEND
    except (ImportError, ValueError) as error:  # Keras names an unknown or uninstalled backend so
        fail("Keras cannot load its backend (KERAS_BACKEND={!r}): {}: {}; zoo trains on {}".format(
            os.environ.get("KERAS_BACKEND", ""), type(error).__name__, str(error).strip().splitlines()[-1],
            " or ".join(HOST_BACKENDS)), command=command)
    if BACKEND not in HOST_BACKENDS:
        fail("zoo trains on Keras' TensorFlow or JAX backend; KERAS_BACKEND is {!r} (set it to tensorflow or jax; the "
             "layers, the stages and the conformance kit run on PyTorch too: docs/runtimes.md)".format(BACKEND),
             command=command)


def recipe_file_or_fail(text):
    """The recipe file ``text`` names (a path, or an installed recipe's name: config.catalog's rule), a note on
    stderr when another recipe of that name loses; one line and exit 2 when it names none."""
    from ..config.catalog import RecipeNotFound, find_recipe

    try:
        path, note = find_recipe(text)
    except RecipeNotFound as error:
        fail(str(error))
    if note:
        click.echo("[zoo] {}".format(note), err=True)
    return path


def open_run_or_fail(run_dir, checkpoint, data_dir=None, command=None):
    """finished_run.open_run, its errors as one line (exit 2), named as :func:`fail` names ``command``."""
    from ..training.checkpoints import CheckpointError
    from ..contract import DataError, OptionError
    from ..finished_run import RunError, open_run
    from ..training.model import ModelError
    from ..config.recipe import RecipeError
    from ..config.registry import PluginError

    try:
        return open_run(run_dir, checkpoint, data_dir)
    except (RunError, RecipeError, CheckpointError, PluginError, OptionError, ModelError) as error:
        fail(str(error), command=command)
    except DataError as error:
        fail("{}: {}".format(run_dir, data_problem(error)), command=command)
