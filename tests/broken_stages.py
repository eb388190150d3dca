"""Deliberately broken stages: each breaks exactly one part of the stage contract, to prove a check can fail."""
import numpy as np

from resizer_plugin.compat import BACKEND, IS_KERAS_3, keras, ops, to_numpy
from resizer_plugin.layers import Resize
from resizer_plugin.zoo.contract import ImageSpec, Option, Stage, integer, number

_PKG = "resizer_plugin_broken_stages"


@keras.utils.register_keras_serializable(package=_PKG)
class Scale(keras.layers.Layer):
    """x * scale: a well-behaved base for the broken layers below."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs, training=None):
        return ops.cast(inputs, self.compute_dtype) * ops.cast(self.scale, self.compute_dtype)

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
class ShrinksAtInference(keras.layers.Layer):
    """Keeps every other row and column at inference only, while ``compute_output_shape`` claims the input's shape:
    its symbolic output matches the declared spec, its real one does not (Keras 2 reads the claim of a dynamic layer)."""

    def __init__(self, **kwargs):
        if not IS_KERAS_3:
            kwargs.setdefault("dynamic", True)
        super().__init__(**kwargs)

    def call(self, inputs, training=None):
        return inputs if training else inputs[:, ::2, ::2, :]

    def compute_output_shape(self, input_shape):
        return input_shape


shrinks_at_inference = Stage("shrinks_at_inference", build=lambda o, spec: (ShrinksAtInference(), spec),
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
        return inputs * ops.cast(self.used, inputs.dtype)


dead_weight = Stage("dead_weight", build=lambda o, spec: (DeadWeight(), spec), options={}, trainable=True)
undeclared_weights = Stage("undeclared_weights", build=lambda o, spec: (DeadWeight(), spec),
                           options={}, trainable=False)


@keras.utils.register_keras_serializable(package=_PKG)
class BatchMeanCentering(Scale):
    """Subtracts the batch mean even at inference: an image's output depends on its batch-mates."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        return x - ops.mean(x, axis=0, keepdims=True)


batch_dependent = _scale_stage("batch_dependent", BatchMeanCentering)


@keras.utils.register_keras_serializable(package=_PKG)
class AlwaysFloat32(Scale):
    def call(self, inputs, training=None):
        return ops.cast(inputs, "float32") * self.scale


ignores_mixed_precision = _scale_stage("ignores_mixed_precision", AlwaysFloat32)


@keras.utils.register_keras_serializable(package=_PKG)
class NumpyInside(Scale):
    """Runs numpy through tf.numpy_function: fine in tf.function, impossible to compile with XLA."""

    def call(self, inputs, training=None):
        import tensorflow as tf

        x = super().call(inputs)
        y = tf.numpy_function(lambda a: a * 1, [x], x.dtype)
        y.set_shape(x.shape)
        return y


not_xla_compatible = _scale_stage("not_xla_compatible", NumpyInside)


@keras.utils.register_keras_serializable(package=_PKG)
class EagerOnly(Scale):
    """Reads its input's values in Python: fine eagerly, impossible inside tf.function (a symbolic tensor has none)."""

    def call(self, inputs, training=None):
        return super().call(inputs) * float(np.max(to_numpy(inputs)))


eager_only = _scale_stage("eager_only", EagerOnly)


def _compiled(x):
    """Whether ``x`` is traced for compilation: by XLA on TensorFlow, by jax.jit on JAX."""
    if BACKEND == "jax":
        import jax

        return isinstance(x, jax.core.Tracer)
    import tensorflow as tf
    from tensorflow.python.ops import control_flow_util

    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


@keras.utils.register_keras_serializable(package=_PKG)
class DifferentWhenCompiled(Scale):
    """Compiles, but computes something else there (a stage that leans on an op the compiler lowers differently)."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        return x + 1.0 if _compiled(x) else x


differs_compiled = _scale_stage("differs_compiled", DifferentWhenCompiled)


@keras.utils.register_keras_serializable(package=_PKG)
class UnsavedOffset(Scale):
    """Adds a random offset drawn when built and kept outside its weights and config: a loaded copy draws anew."""

    def build(self, input_shape):
        self.offset = float(np.random.uniform(0.1, 1.0))
        super().build(input_shape)

    def call(self, inputs, training=None):
        return super().call(inputs) + ops.cast(self.offset, self.compute_dtype)


loses_state_on_save = _scale_stage("loses_state_on_save", UnsavedOffset)


@keras.utils.register_keras_serializable(package=_PKG)
class Float16Weight(keras.layers.Layer):
    """Keeps its trainable gain in the compute dtype: float16 variables under a mixed policy."""

    def build(self, input_shape):
        self.gain = self.add_weight(name="gain", shape=(), initializer="ones", dtype=self.compute_dtype)
        super().build(input_shape)

    def call(self, inputs, training=None):
        return ops.cast(inputs, self.compute_dtype) * ops.cast(self.gain, self.compute_dtype)


float16_variables = Stage("float16_variables", build=lambda o, spec: (Float16Weight(), spec),
                          options={}, trainable=True)

# Its option accepts anything, so a wrongly typed value slips through.
accepts_anything = _scale_stage("accepts_anything", options={"scale": Option(lambda v: v, 2.0)})


def _scale_repeated(options, spec):
    return Scale(options["scale"] ** options["repeats"]), spec


# An integer option without an upper bound: ``repeats: 100000`` passes the dry run.
unbounded_option = Stage("unbounded_option", build=_scale_repeated, trainable=False,
                         options={"scale": Option(number(), 2.0), "repeats": Option(integer(min=1), 1)})


def _declared_only(value):
    return int(value)


_declared_only.bounds = integer(min=1, max=4).bounds
# Its validator declares 1..4 but enforces nothing.
range_not_enforced = Stage("range_not_enforced", build=_scale_repeated, trainable=False,
                           options={"scale": Option(number(), 2.0), "repeats": Option(_declared_only, 1)})


def _one_past_the_end(value):
    if not 1 <= int(value) <= 5:
        raise ValueError("must be between 1 and 5")
    return int(value)


_one_past_the_end.bounds = integer(min=1, max=4).bounds
# Its validator declares 1..4 but accepts 5 (an end off by one).
range_off_by_one = Stage("range_off_by_one", build=_scale_repeated, trainable=False,
                         options={"scale": Option(number(), 2.0), "repeats": Option(_one_past_the_end, 1)})


def _size_declared_only(value):
    return [int(side) for side in value]


_size_declared_only.bounds = integer(min=1, max=64).bounds
# A size option, [height, width], whose validator declares 1..64 for each side but enforces nothing.
size_range_not_enforced = Stage("size_range_not_enforced", build=lambda o, spec: (Scale(), spec), trainable=False,
                                options={"tile": Option(_size_declared_only, [8, 8])})


class _LenientStage(Stage):
    def validate(self, config):
        return {k: v for k, v in super().validate({}).items()}


ignores_unknown_keys = _LenientStage("ignores_unknown_keys", build=lambda o, spec: (Scale(**o), spec),
                                     options={}, trainable=False)


_lender = _scale_stage("lends_its_validation")


class _BorrowedValidation(Stage):
    def validate(self, config):
        return _lender.validate(config)  # a refusal names the stage it borrowed from, not this one


borrows_validation = _BorrowedValidation("borrows_validation", build=lambda o, spec: (Scale(**o), spec),
                                         options={"scale": Option(number(), 2.0)}, trainable=False)


@keras.utils.register_keras_serializable(package=_PKG)
class LogOfNegative(Scale):
    """log(x - 2) of images in [0, 1]: NaN everywhere."""

    def call(self, inputs, training=None):
        return ops.log(super().call(inputs) - 2.0)


produces_nan = _scale_stage("produces_nan", LogOfNegative)


class _ScalarGain(keras.layers.Layer):
    """One trainable scalar ``gain``, started at ``initializer``: the base of the gradient check's broken layers."""

    initializer = "ones"

    def build(self, input_shape):
        self.gain = self.add_weight(name="gain", shape=(), initializer=self.initializer)
        super().build(input_shape)


@keras.utils.register_keras_serializable(package=_PKG)
class ZeroGain(_ScalarGain):
    """A trainable gain that reaches the output multiplied by zero: connected, its gradient is exactly zero."""

    def call(self, inputs, training=None):
        return inputs + ops.cast(self.gain, inputs.dtype) * 0.0


zero_gradient = Stage("zero_gradient", build=lambda o, spec: (ZeroGain(), spec), options={}, trainable=True)
no_trainable_weights = _scale_stage("no_trainable_weights", trainable=True)


@keras.utils.register_keras_serializable(package=_PKG)
class SquareRootGain(_ScalarGain):
    """x * sqrt(gain) with gain 0: a finite output whose gradient is infinite."""

    initializer = "zeros"

    def call(self, inputs, training=None):
        return inputs * ops.cast(self.gain, inputs.dtype) ** 0.5


infinite_gradient = Stage("infinite_gradient", build=lambda o, spec: (SquareRootGain(), spec), options={},
                          trainable=True)
# Declares an output of no channels.
no_channels = Stage("no_channels", build=lambda o, spec: (Scale(), ImageSpec(spec.height, spec.width, 0)),
                    options={}, trainable=False)


@keras.utils.register_keras_serializable(package=_PKG)
class ChannelMean(Scale):
    """Averages the channels away: a rank-3 output."""

    def call(self, inputs, training=None):
        return ops.mean(super().call(inputs), axis=-1)


rank_3_output = _scale_stage("rank_3_output", ChannelMean)


@keras.utils.register_keras_serializable(package=_PKG)
class ObjectInConfig(Scale):
    def get_config(self):
        return dict(super().get_config(), table=object())


config_not_json = _scale_stage("config_not_json", ObjectInConfig)


@keras.utils.register_keras_serializable(package=_PKG)
class InfiniteActivityLoss(Scale):
    """Adds an infinite activity loss: the model's loss is not finite though its outputs are."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        self.add_loss(-ops.log(ops.mean(x) * 0.0))
        return x


infinite_loss = _scale_stage("infinite_loss", InfiniteActivityLoss)


@keras.utils.register_keras_serializable(package=_PKG)
class DriftingScale(Scale):
    """Each call scales by a millionth more than the one before: two inference calls differ by about 1e-4."""

    def call(self, inputs, training=None):
        self.calls = getattr(self, "calls", 0) + 1
        return super().call(inputs) * (1.0 + 1e-6 * self.calls)


drifts_between_calls = _scale_stage("drifts_between_calls", DriftingScale)


@keras.utils.register_keras_serializable(package=_PKG)
class BatchMeanNudge(Scale):
    """Adds a hundredth of the batch mean: an image alone differs from itself in a batch by about 0.5."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        return x + 0.01 * ops.mean(x, axis=0, keepdims=True)


slightly_batch_dependent = _scale_stage("slightly_batch_dependent", BatchMeanNudge)


@keras.utils.register_keras_serializable(package=_PKG)
class PositionOffset(Scale):
    """Adds 1 and half its position in the batch: image 0 is the same alone as first in a batch, but is off by 1.0
    (at most its own value) when a batch of 3 is reversed."""

    def call(self, inputs, training=None):
        x = super().call(inputs)
        position = ops.cast(ops.arange(ops.shape(x)[0]), x.dtype)
        return x + 1.0 + 0.5 * ops.reshape(position, (-1, 1, 1, 1))


depends_on_position = _scale_stage("depends_on_position", PositionOffset)


class AlwaysFlipped(Scale):
    """Flips in training, as an augmentation does, but at inference too."""

    def call(self, inputs, training=None):
        return ops.flip(ops.cast(inputs, self.compute_dtype), axis=2)


flips_at_inference = _scale_stage("flips_at_inference", AlwaysFlipped, augmentation=True,
                                  options={"scale": Option(number(), 1.0)})
never_augments = _scale_stage("never_augments", augmentation=True, options={"scale": Option(number(), 1.0)})

#: backend -> the stages check_compiled must reject there (none on PyTorch: nothing is compiled there)
COMPILED_CASES = {"tensorflow": [(eager_only, "fails inside tf.function(jit_compile=False)"),
                                 (not_xla_compatible, "fails inside tf.function(jit_compile=True)"),
                                 (differs_compiled, "tf.function(jit_compile=True) vs eager: outputs differ")],
                  "jax": [(eager_only, "fails inside jax.jit"), (differs_compiled, "jax.jit vs eager: outputs differ")],
                  "torch": []}
#: check name -> broken stages that check must reject, with a phrase its message must contain
BROKEN = {
    "check_builds_from_defaults": [(fails_to_build, "does not build"),
                                   (no_channels, "is not an ImageSpec with a channel count"),
                                   (rank_3_output, "output rank is 3, expected 4")],
    "check_output_spec": [(wrong_output_spec, "declared output"),
                          (shrinks_at_inference,
                           "input (96, 96, 3) fed (96, 96): declared output (96, 96, 3) but got (2, 48, 48, 3)")],
    "check_config_round_trip": [(forgets_config, "from_config"), (config_not_json, "is not JSON-serializable")],
    "check_keras_save_load": [(not_serializable, "save/load"), (loses_state_on_save, "after save and load")],
    "check_gradients": [(dead_weight, "zero or missing gradient"), (zero_gradient, "zero or missing gradient"),
                        (undeclared_weights, "trainable=False"),
                        (no_trainable_weights, "declared trainable=True but has no trainable weights"),
                        (infinite_gradient, "non-finite gradient on")],
    "check_deterministic_inference": [(batch_dependent, "differ"),
                                      (drifts_between_calls, "two inference calls on the same batch: outputs differ"),
                                      (slightly_batch_dependent, "image 0 alone vs in a batch of 3: outputs differ"),
                                      (depends_on_position, "batch order reversed: outputs differ")],
    "check_mixed_precision": [(ignores_mixed_precision, "the output is float32"),
                              (float16_variables, "these variables are not float32"),
                              (produces_nan, "the output is not finite")],
    "check_compiled": COMPILED_CASES[BACKEND],
    "check_rejects_bad_config": [(accepts_anything, "accepted the bad option"),
                                 (ignores_unknown_keys, "no_such_option_zz"),
                                 (borrows_validation, "does not name the stage and the key")],
    "check_integer_options_have_a_range": [(unbounded_option, "integer option 'repeats' declares no range"),
                                           (range_not_enforced, "declares between 1 and 4 but accepts 0"),
                                           (range_off_by_one, "declares between 1 and 4 but accepts 5"),
                                           (size_range_not_enforced, "declares between 1 and 64 but accepts 0")],
    "check_fit_step_in_front_of_backbone": [(produces_nan, "after one fit step"),  # the loss (Keras 2) or the weights
                                            (infinite_loss, "the loss after one fit step is inf")],
    "check_augmentation": [(flips_at_inference, "it must be the identity"),
                           (never_augments, "five training calls left the photos as they were")],
}

__all__ = ["BROKEN", "ImageSpec"]
