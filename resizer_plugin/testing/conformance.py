"""The conformance kit: the checks every ``zoo.stages`` stage must pass.

Each check is a small named function taking a :class:`~resizer_plugin.zoo.contract.Stage` (or a registered
name) and raising :class:`ConformanceError` with a reason when the stage breaks the contract. Run one alone,
all with :func:`check_stage`, or from pytest with :func:`parametrize_with_checks` (or ``pytest --zoo-stage NAME``).
"""
import json
import os
import tempfile

import numpy as np

from ..compat import MODEL_FILE_SUFFIX, dtype_name, keras, mixed_policies, set_random_seed, to_numpy
from ..compat.backend_functions import compiled_forms, trainable_gradients
from ..zoo.config import registry
from ..zoo.contract import ImageSpec, Stage, StageConfigError
from ..photos import sample_photos

__all__ = ["CHECKS", "TRAIT_CHECKS", "ConformanceError", "check_stage", "checks_for", "parametrize_with_checks",
           "resolve_stage",
           "check_builds_from_defaults", "check_output_spec", "check_config_round_trip", "check_keras_save_load",
           "check_gradients", "check_deterministic_inference", "check_mixed_precision", "check_compiled",
           "check_rejects_bad_config", "check_integer_options_have_a_range", "check_fit_step_in_front_of_backbone",
           "check_augmentation"]

_SPEC = ImageSpec(96, 96, 3)
_ATOL = 1e-5


class ConformanceError(AssertionError):
    """A stage broke the stage contract; the message names the stage and the check."""


def resolve_stage(stage):
    """A Stage object, or the Stage registered under that name in ``zoo.stages``."""
    if isinstance(stage, Stage):
        return stage
    if isinstance(stage, str):
        return registry.stages.load(stage)
    raise TypeError("expected a Stage or a registered stage name, got {!r}".format(stage))


def _fail(stage, message):
    raise ConformanceError("stage {!r}: {}".format(stage.name, message))


def _build(stage, spec=_SPEC, config=None):
    try:
        layer, out_spec = stage(config or {}, spec)
    except Exception as error:
        _fail(stage, "does not build from {} with input {}: {}: {}".format(
            "its defaults" if not config else config, tuple(spec), type(error).__name__, error))
    if not isinstance(layer, keras.layers.Layer):
        _fail(stage, "build returned {!r}, not a Keras layer".format(type(layer).__name__))
    return layer, out_spec


def _photos(spec, count=3):
    return sample_photos((spec.height, spec.width), count)


def _built_on_photos(stage):
    """The stage resolved and built with seeded weights, a batch of 3 photos, and its inference output on them."""
    stage = resolve_stage(stage)
    set_random_seed(0)
    layer, _ = _build(stage)
    x = _photos(_SPEC)
    return stage, layer, x, layer(x, training=False)


def _numpy(value):
    return np.asarray(to_numpy(value), dtype=np.float64)


def _max_diff(a, b):
    return float(np.max(np.abs(_numpy(a) - _numpy(b))))


def _assert_close(stage, what, expected, actual, atol=_ATOL, rtol=1e-5):
    expected, actual = _numpy(expected), _numpy(actual)
    if expected.shape != actual.shape:
        _fail(stage, "{}: shapes differ, {} vs {}".format(what, expected.shape, actual.shape))
    if not np.allclose(expected, actual, atol=atol, rtol=rtol):
        _fail(stage, "{}: outputs differ by up to {:.3g}".format(what, _max_diff(expected, actual)))


def check_builds_from_defaults(stage):
    """The stage builds from an empty option mapping and runs on a batch of photos."""
    stage = resolve_stage(stage)
    layer, out_spec = _build(stage)
    if not isinstance(out_spec, ImageSpec) or out_spec.channels is None or out_spec.channels < 1:
        _fail(stage, "output spec {!r} is not an ImageSpec with a channel count".format(out_spec))
    outputs = layer(_photos(_SPEC), training=False)
    if len(outputs.shape) != 4:
        _fail(stage, "output rank is {}, expected 4 (NHWC)".format(len(outputs.shape)))


def _spec_mismatch(out_spec, shape):
    expected = (out_spec.height, out_spec.width, out_spec.channels)
    return any(e is not None and s is not None and e != s for e, s in zip(expected, tuple(shape)[1:]))


def check_output_spec(stage):
    """The declared output spec matches the real output for square, non-square and unknown input sizes."""
    stage = resolve_stage(stage)
    cases = [(ImageSpec(96, 96, 3), [(96, 96)]), (ImageSpec(80, 120, 3), [(80, 120)]),
             (ImageSpec(None, None, 3), [(64, 96), (100, 72)])]
    for spec, sizes in cases:
        layer, out_spec = _build(stage, spec)
        symbolic = layer(keras.Input((spec.height, spec.width, spec.channels)))
        if _spec_mismatch(out_spec, symbolic.shape):
            _fail(stage, "input {}: declared output {} but the symbolic output is {}".format(
                tuple(spec), tuple(out_spec), tuple(symbolic.shape)))
        for size in sizes:
            shape = tuple(layer(_photos(ImageSpec(size[0], size[1], 3), 2), training=False).shape)
            if len(shape) != 4 or _spec_mismatch(out_spec, shape) or None in shape:
                _fail(stage, "input {} fed {}: declared output {} but got {}".format(
                    tuple(spec), size, tuple(out_spec), shape))


def check_config_round_trip(stage):
    """``from_config(get_config())`` with the same weights gives identical outputs; the config is JSON."""
    stage, layer, x, expected = _built_on_photos(stage)
    config = layer.get_config()
    try:
        json.dumps(config)
    except TypeError as error:
        _fail(stage, "get_config() is not JSON-serializable: {}".format(error))
    clone = type(layer).from_config(config)
    clone(x, training=False)
    clone.set_weights(layer.get_weights())
    _assert_close(stage, "from_config(get_config()) with the same weights", expected, clone(x, training=False))


def check_keras_save_load(stage):
    """A model holding the stage saves and loads (no custom_objects) with identical outputs."""
    stage = resolve_stage(stage)
    set_random_seed(0)
    layer, _ = _build(stage)
    inputs = keras.Input((_SPEC.height, _SPEC.width, _SPEC.channels))
    model = keras.Model(inputs, layer(inputs))
    x = _photos(_SPEC)
    expected = model(x, training=False)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "stage" + MODEL_FILE_SUFFIX)
        try:
            model.save(path)
            loaded = keras.models.load_model(path, compile=False)
        except Exception as error:
            _fail(stage, "save/load of a model holding it failed: {}: {} (is the layer registered with "
                         "keras.utils.register_keras_serializable?)".format(type(error).__name__, error))
    _assert_close(stage, "after save and load", expected, loaded(x, training=False))


def check_gradients(stage):
    """Trainable stages get a non-zero gradient on every trainable weight; non-trainable ones have none."""
    stage, layer, x, _ = _built_on_photos(stage)
    weights = layer.trainable_weights
    if not stage.trainable:
        if weights:
            _fail(stage, "declared trainable=False but has trainable weights: {}".format(
                [w.name for w in weights]))
        return
    if not weights:
        _fail(stage, "declared trainable=True but has no trainable weights")
    projection = np.random.default_rng(1).standard_normal(tuple(layer(x, training=True).shape))
    grads = trainable_gradients(layer, x, projection)
    dead = [w.name for w, g in zip(weights, grads) if g is None or not np.any(g)]
    if dead:
        _fail(stage, "zero or missing gradient on trainable weights: {}".format(dead))
    bad = [w.name for w, g in zip(weights, grads) if not np.all(np.isfinite(g))]
    if bad:
        _fail(stage, "non-finite gradient on: {}".format(bad))


def check_deterministic_inference(stage):
    """Inference gives the same output twice, and each image's output does not depend on its batch-mates."""
    stage, layer, x, first = _built_on_photos(stage)
    first = _numpy(first)
    _assert_close(stage, "two inference calls on the same batch", first, layer(x, training=False), atol=0, rtol=0)
    alone = _numpy(layer(x[:1], training=False))
    _assert_close(stage, "image 0 alone vs in a batch of 3", first[:1], alone, atol=1e-4, rtol=1e-4)
    reversed_out = _numpy(layer(np.ascontiguousarray(x[::-1]), training=False))
    _assert_close(stage, "batch order reversed", first, reversed_out[::-1], atol=1e-4, rtol=1e-4)


def check_mixed_precision(stage):
    """Under mixed_float16 and mixed_bfloat16 (those the backend convolves in: ``compat.mixed_policies``) variables
    stay float32 and the output has the compute dtype."""
    stage = resolve_stage(stage)
    original = keras.mixed_precision.global_policy()
    try:
        for policy in mixed_policies():
            keras.mixed_precision.set_global_policy(policy)
            compute = keras.mixed_precision.global_policy().compute_dtype
            layer, _ = _build(stage)
            outputs = layer(_photos(_SPEC), training=False)
            if dtype_name(outputs.dtype) != compute:
                _fail(stage, "under {} the output is {}, expected {}".format(policy, dtype_name(outputs.dtype),
                                                                             compute))
            wrong = [(w.name, dtype_name(w.dtype)) for w in layer.weights if dtype_name(w.dtype) != "float32"]
            if wrong:
                _fail(stage, "under {} these variables are not float32: {}".format(policy, wrong))
            if not np.all(np.isfinite(_numpy(outputs))):
                _fail(stage, "under {} the output is not finite".format(policy))
    finally:
        keras.mixed_precision.set_global_policy(original)


def check_compiled(stage):
    """Compiled as the backend compiles, the outputs match eager execution: inside ``tf.function`` and with XLA
    (``jit_compile=True``, where ``Model.compile`` offers it: Keras 3, tf.keras from 2.8) on TensorFlow, under
    ``jax.jit`` on JAX (``compat.backend_functions.compiled_forms``; none on PyTorch)."""
    stage, layer, x, eager = _built_on_photos(stage)
    for label, fn in compiled_forms(lambda t: layer(t, training=False)):
        try:
            outputs = fn(x)
        except Exception as error:
            _fail(stage, "fails inside {}: {}: {}".format(
                label, type(error).__name__, str(error).splitlines()[0] if str(error) else ""))
        _assert_close(stage, "{} vs eager".format(label), eager, outputs, atol=1e-4, rtol=1e-4)


class _NotAnOptionValue:
    """A value no option validator may accept."""

    def __repr__(self):
        return "<not an option value>"


def check_rejects_bad_config(stage):
    """Unknown keys and wrongly typed values raise StageConfigError naming the stage and the key."""
    stage = resolve_stage(stage)
    key = "no_such_option_zz"
    bad_configs = [({key: 1}, key)] + [({name: _NotAnOptionValue()}, name) for name in stage.options]
    for config, key in bad_configs:
        try:
            stage(config, _SPEC)
        except StageConfigError as error:
            if stage.name not in str(error) or key not in str(error):
                _fail(stage, "the error for {!r} does not name the stage and the key: {}".format(config, error))
            continue
        except Exception as error:
            _fail(stage, "{!r} raised {}: {}, not StageConfigError".format(config, type(error).__name__, error))
        _fail(stage, "accepted the bad option {!r}".format(config))


def _integer_option(option):
    return option.bounds is not None or (isinstance(option.default, int) and not isinstance(option.default, bool))


def _shaped_like(default, number):
    """``number`` as the option takes it: alone, or in a list as long as a list default (a size's [height, width])."""
    return [number] * len(default) if isinstance(default, (list, tuple)) else number


def check_integer_options_have_a_range(stage):
    """Every integer option (an integer default, or a validator with ``bounds``) declares both ends of its range,
    ``integer(min=..., max=...)``, and refuses the values just outside it: a stage runs on every image, so an open
    size or count is a way to run out of memory that only training would find."""
    stage = resolve_stage(stage)
    for key, option in stage.options.items():
        if not _integer_option(option):
            continue
        if option.bounds is None or None in option.bounds:
            _fail(stage, "integer option {!r} declares no range (min and max): give it integer(min=..., max=...)"
                  .format(key))
        for outside in (option.bounds.min - 1, option.bounds.max + 1):
            try:
                stage.validate({key: _shaped_like(option.default, outside)})
            except StageConfigError:
                continue
            _fail(stage, "option {!r} declares {} but accepts {}".format(key, option.bounds, outside))


def check_fit_step_in_front_of_backbone(stage):
    """In front of a small conv backbone, one ``fit`` step leaves the loss and every weight finite."""
    stage = resolve_stage(stage)
    set_random_seed(0)
    layer, out_spec = _build(stage)
    inputs = keras.Input((_SPEC.height, _SPEC.width, _SPEC.channels))
    x = layer(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    images = _photos(_SPEC, 4)
    history = model.fit(images, np.array([0, 1, 0, 1]), batch_size=4, epochs=1, verbose=0)
    loss = history.history["loss"][-1]
    if not np.isfinite(loss):
        _fail(stage, "the loss after one fit step is {}".format(loss))
    bad = [w.name for w in model.weights if not np.all(np.isfinite(_numpy(w)))]
    if bad:
        _fail(stage, "non-finite weights after one fit step: {}".format(bad))


def check_augmentation(stage):
    """An augmentation (a stage declared ``augmentation=True``; others do not get this check) is the identity at
    inference and, in training, changes a real photo (in at least one of five calls: a random flip may leave one
    unchanged)."""
    stage, layer, x, inferred = _built_on_photos(stage)
    _assert_close(stage, "an augmentation at inference vs its input (it must be the identity)", x, inferred)
    for seed in range(5):
        set_random_seed(seed)
        trained = layer(x, training=True)
        if tuple(trained.shape) == tuple(x.shape) and _max_diff(x, trained) > 1e-3:
            return
    _fail(stage, "declared an augmentation, but five training calls left the photos as they were")


#: every check of the kit; :func:`checks_for` picks a stage's from its declared traits
CHECKS = (check_builds_from_defaults, check_output_spec, check_config_round_trip, check_keras_save_load,
          check_gradients, check_deterministic_inference, check_mixed_precision, check_compiled,
          check_rejects_bad_config, check_integer_options_have_a_range, check_fit_step_in_front_of_backbone,
          check_augmentation)
#: the checks only stages with a trait get: trait -> checks
TRAIT_CHECKS = {"augmentation": (check_augmentation,)}


def checks_for(stage):
    """The checks ``stage`` (a Stage or registered name) gets: every check, but those of a trait it has not declared
    (``check_augmentation`` is for augmentations only). ``check_gradients`` is for every stage: it checks a
    non-trainable stage has no trainable weights."""
    stage = resolve_stage(stage)
    left_out = {check for trait, checks in TRAIT_CHECKS.items() if not getattr(stage, trait) for check in checks}
    return tuple(check for check in CHECKS if check not in left_out)


def check_stage(stage, checks=None):
    """Run ``checks`` (default: :func:`checks_for` the stage) on ``stage`` (a Stage or registered name); raise
    ConformanceError listing all failures."""
    stage = resolve_stage(stage)
    checks = checks_for(stage) if checks is None else checks
    failures = []
    for check in checks:
        try:
            check(stage)
        except ConformanceError as error:
            failures.append("{}: {}".format(check.__name__, error))
    if failures:
        raise ConformanceError("stage {!r} failed {} of {} checks:\n  {}".format(
            stage.name, len(failures), len(checks), "\n  ".join(failures)))
    return [check.__name__ for check in checks]


def parametrize_with_checks(stages, checks=None):
    """A ``pytest.mark.parametrize`` over (stage, check) with readable ids, for ``def test(stage, check)``: each
    stage with ``checks`` (default: :func:`checks_for` it)."""
    import pytest

    resolved = [resolve_stage(s) for s in stages]
    params = [pytest.param(s, c, id="{}-{}".format(s.name, c.__name__)) for s in resolved
              for c in (checks_for(s) if checks is None else checks)]
    return pytest.mark.parametrize("stage, check", params)
