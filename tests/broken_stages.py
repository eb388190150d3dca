"""Deliberately broken stages: each breaks exactly one part of the stage contract, to prove a check can fail."""
import numpy as np
import tensorflow as tf
from tensorflow.python.ops import control_flow_util

from resizer_plugin.compat import keras
from resizer_plugin.layers import Resize
from resizer_plugin.zoo.contract import ImageSpec, Option, Stage, number

_PKG = "resizer_plugin_broken_stages"


@keras.utils.register_keras_serializable(package=_PKG)
class Scale(keras.layers.Layer):
    """x * scale: a well-behaved base for the broken layers below."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs, training=None):
        return tf.cast(inputs, self.compute_dtype) * tf.cast(self.scale, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale)
        return config


def _scale_stage(name, layer_class=Scale, trainable=False, **stage_kwargs):
    options = stage_kwargs.pop("options", {"scale": Option(number(), 2.0)})
    return Stage(name, build=lambda o, spec: (layer_class(**o), spec), options=options, trainable=trainable,
                 **stage_kwargs)


def _raise(options, spec):
    raise RuntimeError("this stage cannot build")


fails_to_build = Stage("fails_to_build", build=_raise, options={}, trainable=False)

# Declares the input spec but resizes to 32x32.
wrong_output_spec = Stage("wrong_output_spec", build=lambda o, spec: (Resize((32, 32)), spec),
                          options={}, trainable=False)


@keras.utils.register_keras_serializable(package=_PKG)
class ForgetfulScale(Scale):
    def get_config(self):
        config = super().get_config()
        del config["scale"]
        return config


forgets_config = _scale_stage("forgets_config", ForgetfulScale)


class UnregisteredScale(Scale):
    """Not registered with Keras: a saved model holding it cannot be loaded."""


not_serializable = _scale_stage("not_serializable", UnregisteredScale)


@keras.utils.register_keras_serializable(package=_PKG)
class DeadWeight(keras.layers.Layer):
    """A trainable weight that never reaches the output: its gradient is zero."""

    def build(self, input_shape):
        self.used = self.add_weight(name="used", shape=(), initializer="ones")
        self.unused = self.add_weight(name="unused", shape=(), initializer="ones")
        super().build(input_shape)

    def call(self, inputs, training=None):
        return inputs * tf.cast(self.used, inputs.dtype)


dead_weight = Stage("dead_weight", build=lambda o, spec: (DeadWeight(), spec), options={}, trainable=True)
undeclared_weights = Stage("undeclared_weights", build=lambda o, spec: (DeadWeight(), spec),
                           options={}, trainable=False)


@keras.utils.register_keras_serializable(package=_PKG)
class BatchMeanCentering(Scale):
    """Subtracts the batch mean even at inference: an image's output depends on its batch-mates."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        return x - tf.reduce_mean(x, axis=0, keepdims=True)


batch_dependent = _scale_stage("batch_dependent", BatchMeanCentering)


@keras.utils.register_keras_serializable(package=_PKG)
class AlwaysFloat32(Scale):
    def call(self, inputs, training=None):
        return tf.cast(inputs, tf.float32) * self.scale


ignores_mixed_precision = _scale_stage("ignores_mixed_precision", AlwaysFloat32)


@keras.utils.register_keras_serializable(package=_PKG)
class NumpyInside(Scale):
    """Runs numpy through tf.numpy_function: fine in tf.function, impossible to compile with XLA."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        y = tf.numpy_function(lambda a: a * 1, [x], x.dtype)
        y.set_shape(x.shape)
        return y


not_xla_compatible = _scale_stage("not_xla_compatible", NumpyInside)


@keras.utils.register_keras_serializable(package=_PKG)
class EagerOnly(Scale):
    """Reads its input's values in Python: fine eagerly, impossible inside tf.function (a symbolic tensor has none)."""

    def call(self, inputs, training=None):
        return super().call(inputs) * float(np.max(inputs.numpy()))


eager_only = _scale_stage("eager_only", EagerOnly)

@keras.utils.register_keras_serializable(package=_PKG)
class DifferentUnderXla(Scale):
    """Compiles with XLA, but computes something else there (a stage that leans on an op XLA lowers differently)."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        return x + 1.0 if control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()) else x


differs_under_xla = _scale_stage("differs_under_xla", DifferentUnderXla)


@keras.utils.register_keras_serializable(package=_PKG)
class UnsavedOffset(Scale):
    """Adds a random offset drawn when built and kept outside its weights and config: a loaded copy draws anew."""

    def build(self, input_shape):
        self.offset = float(np.random.uniform(0.1, 1.0))
        super().build(input_shape)

    def call(self, inputs, training=None):
        return super().call(inputs) + tf.cast(self.offset, self.compute_dtype)


loses_state_on_save = _scale_stage("loses_state_on_save", UnsavedOffset)


@keras.utils.register_keras_serializable(package=_PKG)
class Float16Weight(keras.layers.Layer):
    """Keeps its trainable gain in the compute dtype: float16 variables under a mixed policy."""

    def build(self, input_shape):
        self.gain = self.add_weight(name="gain", shape=(), initializer="ones", dtype=self.compute_dtype)
        super().build(input_shape)

    def call(self, inputs, training=None):
        return tf.cast(inputs, self.compute_dtype) * tf.cast(self.gain, self.compute_dtype)


float16_variables = Stage("float16_variables", build=lambda o, spec: (Float16Weight(), spec),
                          options={}, trainable=True)

# Its option accepts anything, so a wrongly typed value slips through.
accepts_anything = _scale_stage("accepts_anything", options={"scale": Option(lambda v: v, 2.0)})


class _LenientStage(Stage):
    def validate(self, config):
        return {k: v for k, v in super().validate({}).items()}


ignores_unknown_keys = _LenientStage("ignores_unknown_keys", build=lambda o, spec: (Scale(**o), spec),
                                     options={}, trainable=False)


@keras.utils.register_keras_serializable(package=_PKG)
class LogOfNegative(Scale):
    """log(x - 2) of images in [0, 1]: NaN everywhere."""

    def call(self, inputs, training=None):
        return tf.math.log(super().call(inputs) - 2.0)


produces_nan = _scale_stage("produces_nan", LogOfNegative)

class AlwaysFlipped(Scale):
    """Flips in training, as an augmentation does, but at inference too."""

    def call(self, inputs, training=None):
        return tf.cast(inputs, self.compute_dtype)[:, :, ::-1, :]


flips_at_inference = _scale_stage("flips_at_inference", AlwaysFlipped, augmentation=True,
                                  options={"scale": Option(number(), 1.0)})
never_augments = _scale_stage("never_augments", augmentation=True, options={"scale": Option(number(), 1.0)})

#: check name -> broken stages that check must reject, with a phrase its message must contain
BROKEN = {
    "check_builds_from_defaults": [(fails_to_build, "does not build")],
    "check_output_spec": [(wrong_output_spec, "declared output")],
    "check_config_round_trip": [(forgets_config, "from_config")],
    "check_keras_save_load": [(not_serializable, "save/load"), (loses_state_on_save, "after save and load")],
    "check_gradients": [(dead_weight, "zero or missing gradient"), (undeclared_weights, "trainable=False")],
    "check_deterministic_inference": [(batch_dependent, "differ")],
    "check_mixed_precision": [(ignores_mixed_precision, "the output is float32"),
                              (float16_variables, "these variables are not float32")],
    "check_tf_function_and_xla": [(eager_only, "fails inside tf.function(jit_compile=False)"),
                                  (not_xla_compatible, "fails inside tf.function(jit_compile=True)"),
                                  (differs_under_xla, "tf.function(jit_compile=True) vs eager: outputs differ")],
    "check_rejects_bad_config": [(accepts_anything, "accepted the bad option"),
                                 (ignores_unknown_keys, "no_such_option_zz")],
    "check_fit_step_in_front_of_backbone": [(produces_nan, "nan")],
    "check_augmentation": [(flips_at_inference, "it must be the identity"),
                           (never_augments, "five training calls left the photos as they were")],
}

__all__ = ["BROKEN", "ImageSpec"]
