"""The one place the plugin reaches Keras through, and what it needs to know of the backend and TensorFlow build.

By default this is Keras 3 on the backend ``KERAS_BACKEND`` names (TensorFlow unless told otherwise; JAX and
PyTorch too, with TensorFlow absent), or on TensorFlow older than 2.16 (such as the 2.6.5 of Ascend machines) the
Keras 2 of ``tf.keras``. With ``TF_USE_LEGACY_KERAS=1`` and the ``tf-keras`` package installed, the whole plugin runs
on Keras 2 instead, as TensorFlow itself does for ``tf.keras``. :data:`ops` are the array operations the layers
compute with: ``keras.ops`` on Keras 3, the same names over TensorFlow on Keras 2.
"""
import contextlib
import functools
import importlib
import io
import os
import sys

import numpy as np

__all__ = ["keras", "ops", "BACKEND", "IS_KERAS_3", "KERAS_VERSION", "MODEL_FILE_SUFFIX", "TF_VERSION",
           "XLA_IN_COMPILE", "build_sublayer", "convolves_in", "dtype_name", "export_saved_model",
           "import_keras_3_library", "jit_compile_argument", "legacy_keras_requested", "mixed_policies",
           "onednn_enabled", "set_random_seed", "to_numpy"]


def legacy_keras_requested():
    """True when the environment asks for Keras 2 (``TF_USE_LEGACY_KERAS`` set to 1/true)."""
    return os.environ.get("TF_USE_LEGACY_KERAS", "").strip().lower() in ("1", "true", "yes")


def onednn_enabled():
    """True when TensorFlow runs its oneDNN CPU kernels in this process: decided when TensorFlow loads, from
    ``TF_ENABLE_ONEDNN_OPTS`` or, unset, from the CPU (on by default with AVX-512 from TensorFlow 2.9). Before 2.9
    TensorFlow reports only whether it was built for oneDNN alone, so there the variable decides (default off)."""
    if TF_VERSION is None:
        return False
    if TF_VERSION < (2, 9):
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in ("1", "true")
    try:
        from tensorflow.python.util import _pywrap_util_port
        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return False


def set_random_seed(seed):
    """Seed Python's, NumPy's and TensorFlow's random streams (``keras.utils.set_random_seed``, which TensorFlow
    2.6 lacks: it came with 2.7)."""
    if hasattr(keras.utils, "set_random_seed"):
        keras.utils.set_random_seed(seed)
        return
    import random

    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


def jit_compile_argument(enabled):
    """``Model.compile`` keyword arguments for XLA: ``jit_compile`` came with TensorFlow 2.8 (:data:`XLA_IN_COMPILE`),
    and 2.6 refuses unknown arguments, so it is passed only when asked for."""
    return {"jit_compile": True} if enabled else {}


@functools.lru_cache(maxsize=None)
def convolves_in(dtype):
    """Whether the backend computes a 2-D convolution in ``dtype`` (a name, e.g. "bfloat16") on its default device:
    XLA (JAX) and PyTorch do in every float type; TensorFlow 2.6's own CPU kernels have no bfloat16 Conv2D, so
    mixed_bfloat16 cannot train there."""
    if BACKEND != "tensorflow":
        return True
    import tensorflow as tf

    images, kernel = tf.ones((1, 4, 4, 1), dtype), tf.ones((3, 3, 1, 1), dtype)
    try:
        outputs = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))(images, kernel)
    except (tf.errors.OpError, TypeError, ValueError):
        return False
    return outputs.dtype == tf.as_dtype(dtype) and bool(tf.reduce_all(tf.cast(outputs, tf.float32) > 0))


def mixed_policies():
    """The mixed Keras policies whose compute dtype the backend convolves in (see :func:`convolves_in`)."""
    return [policy for policy, compute in (("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16"))
            if convolves_in(compute)]


def build_sublayer(layer, input_shape):
    """Build ``layer`` (a sublayer, inside its owner's ``build``) for ``input_shape`` within its own name scope, as
    calling it would: Keras 2 names variables by the scope they are made in, so sublayers built in their owner's
    scope alone all get ``owner/kernel:0`` and clash in an HDF5 file."""
    if IS_KERAS_3:
        layer.build(input_shape)
        return
    import tensorflow as tf

    with tf.name_scope(layer.name):
        layer.build(input_shape)


def export_saved_model(model, path):
    """Write ``model`` as a SavedModel for inference, its signature ``serving_default`` taking the model's inputs:
    ``Model.export`` (Keras 3, and tf.keras from 2.13), else ``tf.saved_model.save`` (TensorFlow 2.6)."""
    if IS_KERAS_3:
        model.export(path, verbose=False)
    elif hasattr(model, "export"):
        with contextlib.redirect_stdout(io.StringIO()):  # tf.keras prints the endpoints and has no verbose switch
            model.export(path)
    else:
        import tensorflow as tf

        tf.saved_model.save(model, path)


def import_keras_3_library(module, pip_name, extra):
    """Import a library built on Keras 3 (keras-cv, keras-hub); ValueError in one line on Keras 2 or when it is
    not installed (``pip install 'resizer-plugin[extra]'`` installs it)."""
    if not IS_KERAS_3:
        raise ValueError("{} backbones need Keras 3; this run uses Keras {} (unset TF_USE_LEGACY_KERAS or pick a "
                         "keras.applications backbone)".format(pip_name, keras.__version__))
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ValueError("{} is not installed: pip install 'resizer-plugin[{}]' ({})".format(pip_name, extra, error))


def dtype_name(dtype):
    """The name of a Keras, NumPy or backend dtype ("float32")."""
    if IS_KERAS_3:
        return keras.backend.standardize_dtype(dtype)
    import tensorflow as tf

    return tf.as_dtype(dtype).name


def to_numpy(value):
    """A tensor of the backend (or anything array-like) as a NumPy array."""
    if IS_KERAS_3:
        return keras.ops.convert_to_numpy(value)
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def _load_keras():
    if not legacy_keras_requested():
        try:
            import keras as standalone
        except ImportError:
            standalone = None
        if standalone is not None and standalone.__version__.startswith("3.") and (
                standalone.backend.backend() != "tensorflow"):
            return standalone  # Keras 3 on JAX or PyTorch: no TensorFlow needed
    import tensorflow as tf

    if legacy_keras_requested():
        try:
            import tf_keras
        except ImportError:
            tf_keras = None
        if tf_keras is not None:
            return tf_keras
        if not tf.keras.__version__.startswith("2."):
            raise ImportError(
                "TF_USE_LEGACY_KERAS=1 asks for Keras 2, but the 'tf-keras' package is not installed "
                "(pip install tf-keras~={}.0).".format(".".join(tf.__version__.split(".")[:2])))
        return tf.keras
    keras_module = tf.keras
    # tf.keras is a lazy loader on TF >= 2.16: resolve it to the real module so isinstance checks hold.
    try:
        import keras as standalone
    except ImportError:
        return keras_module
    if keras_module.__version__ == standalone.__version__ and standalone.__version__.startswith("3."):
        return standalone
    return keras_module


def _loaded_tensorflow_version():
    tf = sys.modules.get("tensorflow")
    return tuple(int(part) for part in tf.__version__.split(".")[:2]) if tf is not None else None


keras = _load_keras()
#: the (major, minor) of the TensorFlow this Keras runs on, None where it runs without (on JAX or PyTorch)
TF_VERSION = _loaded_tensorflow_version()
IS_KERAS_3 = keras.__version__.startswith("3.")
#: the backend Keras computes on: "tensorflow", "jax" or "torch" (always "tensorflow" on Keras 2)
BACKEND = keras.backend.backend() if IS_KERAS_3 else "tensorflow"
#: Keras' (major, minor)
KERAS_VERSION = tuple(int(part) for part in keras.__version__.split(".")[:2])
#: whether ``Model.compile`` takes ``jit_compile`` (XLA): Keras 3, and tf.keras from 2.8
XLA_IN_COMPILE = KERAS_VERSION >= (2, 8)
#: what ``Model.save`` writes a whole model as: a ``.keras`` file from Keras 2.13 on, HDF5 before (TensorFlow 2.6)
MODEL_FILE_SUFFIX = ".keras" if KERAS_VERSION >= (2, 13) else ".h5"

if IS_KERAS_3:
    ops = keras.ops
else:
    from . import keras2_ops as ops

from ..keras_registration import compat_loaded  # noqa: E402: the layers register once compat's names exist

compat_loaded()
