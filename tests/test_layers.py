"""LearnableResizer: the paper's architecture, any size, serialization, precision, and that it learns."""
import threading
from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from resizer_plugin.testing.reference import reference_resizer, sublayers_by_reference_name
from resizer_plugin import LearnableResizer
from resizer_plugin.compat import MODEL_FILE_SUFFIX, keras, mixed_policies, set_random_seed
from resizer_plugin.layers import (CONV_FORMS, INTERPOLATIONS, Resize, ResidualBlock, _cpu_conv_forms, conv_forms,
                                   resize_images)
from resizer_plugin.photos import sample_photos


def _resizer_params(n, r, c=3):
    conv_in = 7 * 7 * c * n + n
    pointwise = n * n + n
    bn = 4 * n
    res_block = 2 * (3 * 3 * n * n) + 2 * bn
    proj = 3 * 3 * n * n + bn
    conv_out = 7 * 7 * n * c + c
    return conv_in + pointwise + bn + r * res_block + proj + conv_out


@pytest.mark.parametrize("n, r, c", [(16, 1, 3), (8, 3, 3), (16, 0, 1), (32, 2, 3)])
def test_parameter_count_follows_the_paper(n, r, c):
    layer = LearnableResizer((150, 150), filters=n, num_res_blocks=r)
    layer.build((None, None, None, c))
    assert layer.count_params() == _resizer_params(n, r, c)


def test_default_resizer_has_12163_parameters():
    layer = LearnableResizer((150, 150))
    layer.build((None, 300, 300, 3))
    assert layer.count_params() == 12163


@pytest.mark.slow
def test_resizer_in_front_of_densenet121_has_7051717_parameters():
    backbone = keras.applications.DenseNet121(weights=None, classes=2, input_shape=(150, 150, 3))
    assert backbone.count_params() == 7039554
    inputs = keras.Input((300, 300, 3))
    model = keras.Model(inputs, backbone(LearnableResizer((150, 150))(inputs)))
    assert model.count_params() == 7051717


def _copy_into_reference(layer, reference):
    present = {l.name for l in reference.layers}  # the unchained bug's dead blocks are pruned from its graph
    for name, sublayer in sublayers_by_reference_name(layer).items():
        if name in present:
            reference.get_layer(name).set_weights(sublayer.get_weights())


def _trainable_by_reference_name(layer):
    return {"{}/{}".format(name, i): weight for name, sublayer in sublayers_by_reference_name(layer).items()
            for i, weight in enumerate(sublayer.trainable_weights)}


def _trainable_by_name(reference):
    return {"{}/{}".format(sublayer.name, i): weight for sublayer in reference.layers
            for i, weight in enumerate(sublayer.trainable_weights)}


def _randomize_batch_norm_statistics(layer):
    rng = np.random.default_rng(0)
    for sublayer in sublayers_by_reference_name(layer).values():
        if isinstance(sublayer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = sublayer.get_weights()
            sublayer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                                  rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, var.shape)])


@pytest.mark.parametrize("num_res_blocks", [1, 2, 3])
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("target", [(60, 48), (50, 40)], ids=["halving", "general"])
@pytest.mark.parametrize("forms", CONV_FORMS)
def test_matches_the_reference_composition_with_chained_blocks(num_res_blocks, training, target, forms):
    """Same weights, same batch: the same outputs and, weight by weight, the same gradients as stock layers wired
    as in the keras.io example, on the halving path (2x2 blocks) and the general one, with the CPU forms of the
    convolutions and with the stock ones (the default: GPU, oneDNN, NPU). Gradients are compared by the relative
    norm of their difference, within :data:`GRADIENT_TOLERANCE` (why each bound: see there)."""
    with conv_forms(forms):
        _check_against_the_reference(num_res_blocks, training, target)


@pytest.mark.parametrize("antialias", [False, True], ids=["plain", "antialias"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_every_interpolation_and_antialias_reach_both_resizes(interpolation, antialias):
    """The naive and the feature resize both take the layer's method and antialiasing: against the reference
    wired with the same, in training (batch statistics) and inference. The reference's area resize has no
    gradient in TensorFlow, so for area the outputs are compared and our gradients checked to exist."""
    for training in (False, True):
        _check_against_the_reference(1, training, (50, 40), interpolation, antialias,
                                     gradients=interpolation != "area")


def test_an_area_resizer_trains():
    """TensorFlow's ResizeArea op has no gradient; the layer's area resize must have one."""
    photos = sample_photos((64, 48), 2)
    layer = LearnableResizer((30, 20), interpolation="area")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(photos, training=True)))
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) and np.any(g.numpy()) for g in gradients)
    # the fractional weights rounded otherwise in float32: measured 2.6e-6 apart here (up to 2e-5 when upscaling,
    # where ours is the nearer to the float64 box filter)
    np.testing.assert_allclose(resize_images(photos, (30, 20), "area"),
                               tf.image.resize(photos, (30, 20), method="area"), atol=1e-5)


#: the relative norm of each weight's gradient error against the reference that the tests hold, by conv forms.
#: Measured: at most 5.7e-5 with the stock forms over every case below, 1.0e-2 with the CPU forms (3 chained
#: blocks, training, halving path): those sum in another order, and BatchNorm's backward pass (a difference of
#: means) and pre-activations within rounding of LeakyReLU's kink amplify the rounding differences.
GRADIENT_TOLERANCE = {"stock": 1e-4, "cpu": 2e-2}


def _photos_as_measured(size, count):
    """The sample photos area-resized by TensorFlow's own op: the inputs GRADIENT_TOLERANCE was measured on. The
    same photos rounded otherwise (by the layers' area matrices, within 1e-5) put one pre-activation of a residual
    block's LeakyReLU within rounding of its kink (lanczos5 with antialiasing, in training, oneDNN): 5.4e-3 on that
    block's first BatchNorm beta and upstream, every other case unchanged."""
    from resizer_plugin.photos import PHOTO_NAMES, load_photo

    names = [PHOTO_NAMES[i % len(PHOTO_NAMES)] for i in range(count)]
    return np.stack([tf.image.resize(load_photo(n), size, method="area").numpy() / 255.0 for n in names]).astype(
        np.float32)


def _outputs_and_gradients(model, weights, photos, training, projection):
    """The model's output and the gradients of ``sum(output * projection)`` by weight name (None without one)."""
    if projection is None:
        return model(photos, training=training), dict.fromkeys(weights)
    with tf.GradientTape() as tape:
        output = model(photos, training=training)
        loss = tf.reduce_sum(output * projection)
    return output, dict(zip(weights, tape.gradient(loss, list(weights.values()))))


def _check_against_the_reference(num_res_blocks, training, target, interpolation="bilinear", antialias=False,
                                 gradients=True):
    """Outputs (and, weight by weight, gradients) of LearnableResizer and the reference with the same weights;
    returns the largest relative gradient error."""
    set_random_seed(num_res_blocks)
    photos = _photos_as_measured((120, 96), 2)
    layer = LearnableResizer(target, num_res_blocks=num_res_blocks, interpolation=interpolation, antialias=antialias)
    layer(photos)
    _randomize_batch_norm_statistics(layer)
    reference = reference_resizer(target, num_res_blocks=num_res_blocks, interpolation=interpolation,
                                  antialias=antialias)
    _copy_into_reference(layer, reference)
    projection = tf.random.stateless_normal((2,) + target + (3,), seed=(1, 2))
    ours, our_gradients = _outputs_and_gradients(layer, _trainable_by_reference_name(layer), photos, training,
                                                 projection)
    theirs, their_gradients = _outputs_and_gradients(reference, _trainable_by_name(reference), photos, training,
                                                     projection if gradients else None)
    np.testing.assert_allclose(ours, theirs, atol=2e-5, rtol=1e-5)
    assert set(our_gradients) == set(their_gradients) and len(our_gradients) == len(layer.trainable_weights)
    errors = [float(tf.norm(our_gradients[name] - expected) / tf.norm(expected))
              for name, expected in their_gradients.items() if expected is not None]
    assert all(error < GRADIENT_TOLERANCE[conv_forms.active()] for error in errors), errors
    return max(errors, default=0.0)


def test_residual_blocks_are_chained_not_all_fed_the_bottleneck():
    photos = sample_photos((96, 96), 2)
    layer = LearnableResizer((48, 48), num_res_blocks=2)
    layer(photos)
    _randomize_batch_norm_statistics(layer)
    unchained = reference_resizer((48, 48), num_res_blocks=2, chain_res_blocks=False)
    _copy_into_reference(layer, unchained)
    assert np.max(np.abs(layer(photos, training=False) - unchained(photos, training=False))) > 1e-3


@pytest.mark.parametrize("input_hw, target", [((300, 300), (150, 150)), ((120, 200), (64, 48)),
                                              ((48, 64), (96, 160)), ((77, 131), (33, 33))])
def test_any_input_and_target_size(input_hw, target):
    layer = LearnableResizer(target)
    symbolic = layer(keras.Input((None, None, 3)))
    assert tuple(symbolic.shape) == (None,) + target + (3,)
    out = layer(sample_photos(input_hw, 2), training=False)
    assert tuple(out.shape) == (2,) + target + (3,)
    assert np.all(np.isfinite(out.numpy()))


def test_grayscale_input_keeps_one_channel():
    gray = tf.image.rgb_to_grayscale(sample_photos((80, 80), 2))
    assert tuple(LearnableResizer((40, 40))(gray).shape) == (2, 40, 40, 1)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_every_interpolation_resizes(interpolation):
    photos = sample_photos((90, 120), 2)
    out = LearnableResizer((45, 60), interpolation=interpolation)(photos, training=False)
    naive = Resize((45, 60), interpolation)(photos)
    assert tuple(out.shape) == (2, 45, 60, 3) and tuple(naive.shape) == (2, 45, 60, 3)
    expected = tf.image.resize(photos, (45, 60), method=interpolation)
    np.testing.assert_allclose(naive, expected, atol=1e-6)


def test_antialias_changes_a_downscale():
    photos = sample_photos((300, 300), 1)
    plain = Resize((75, 75), "bilinear")(photos)
    smooth = Resize((75, 75), "bilinear", antialias=True)(photos)
    assert np.max(np.abs(plain - smooth)) > 0.05


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="target_size"):
        LearnableResizer((0, 150))
    with pytest.raises(ValueError, match="filters"):
        LearnableResizer((150, 150), filters=0)
    with pytest.raises(ValueError, match="interpolation"):
        LearnableResizer((150, 150), interpolation="cubic")
    with pytest.raises(ValueError, match="channel"):
        LearnableResizer((150, 150)).build((None, None, None, None))


@pytest.mark.parametrize("suffix", sorted({MODEL_FILE_SUFFIX, ".h5"}))  # HDF5 keys weights by name: none may clash
def test_keras_file_round_trip_of_a_non_default_resizer(tmp_path, suffix):
    photos = sample_photos((100, 80), 2)
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, LearnableResizer((40, 70), filters=8, num_res_blocks=2, interpolation="bicubic",
                                                 antialias=True)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(photos, tf.image.resize(photos, (40, 70)), epochs=1, verbose=0)  # moves BN statistics off 0/1
    path = str(tmp_path / ("resizer" + suffix))
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    restored = loaded.layers[-1]
    assert isinstance(restored, LearnableResizer) and restored.get_config() == model.layers[-1].get_config()
    assert isinstance(restored.res_blocks[1], ResidualBlock)
    np.testing.assert_array_equal(model(photos, training=False), loaded(photos, training=False))


@pytest.mark.parametrize("policy", mixed_policies())
def test_policy_given_to_the_layer_reaches_every_sublayer(policy):
    layer = LearnableResizer((32, 32), dtype=policy)
    out = layer(sample_photos((64, 64), 1))
    compute = keras.mixed_precision.Policy(policy).compute_dtype
    assert out.dtype == tf.as_dtype(compute)
    assert {tf.as_dtype(w.dtype) for w in layer.weights} == {tf.float32}
    for sublayer in sublayers_by_reference_name(layer).values():
        assert sublayer.compute_dtype == compute


@pytest.mark.slow
def test_resizer_learns_to_reproduce_an_area_downscale():
    """Trained alone on real photos, it cancels its random initial residual and approaches the target."""
    set_random_seed(1)
    photos = sample_photos((128, 128), 4)
    target = tf.image.resize(photos, (32, 32), method="area")
    inputs = keras.Input((128, 128, 3))
    model = keras.Model(inputs, LearnableResizer((32, 32), filters=8)(inputs))

    def error(training):
        return float(tf.reduce_mean(tf.square(model(photos, training=training) - target)))

    initial = error(False)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    history = model.fit(photos, target, batch_size=4, epochs=100, verbose=0)
    assert history.history["loss"][-1] < 0.25 * history.history["loss"][0]
    assert error(True) < 0.25 * initial and error(False) < 0.25 * initial, (error(True), error(False), initial)


def _bn_pair(policy):
    from resizer_plugin.layers import FusedBatchNormalization

    keras.mixed_precision.set_global_policy(policy)
    try:
        stock, fused = keras.layers.BatchNormalization(momentum=0.9), FusedBatchNormalization(momentum=0.9)
        for layer in (stock, fused):
            layer.build((None, 20, 24, 8))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 1.5, 8), rng.normal(0, 0.2, 8), rng.normal(0, 0.1, 8), rng.uniform(0.5, 1.5, 8)]
    for layer in (stock, fused):
        layer.set_weights([w.astype("float32") for w in weights])
    return stock, fused


@pytest.mark.skipif(not hasattr(keras, "version") or not keras.version().startswith("3."),
                    reason="FusedBatchNormalization replaces Keras 3's BatchNormalization only")
@pytest.mark.parametrize("policy, tolerance", [("float32", 1e-5), ("mixed_bfloat16", 3e-2)])
@pytest.mark.parametrize("training", [False, True])
def test_fused_batch_norm_computes_what_keras_batch_norm_does(policy, tolerance, training):
    stock, fused = _bn_pair(policy)
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(2.0, 3.0, (4, 20, 24, 8)).astype("float32"))
    projection = tf.constant(rng.normal(0.0, 1.0, (4, 20, 24, 8)).astype("float32"))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outputs = [layer(x, training=training) for layer in (stock, fused)]
        losses = [tf.reduce_sum(tf.cast(o, tf.float32) * projection) for o in outputs]
    assert outputs[0].dtype == outputs[1].dtype
    np.testing.assert_allclose(tf.cast(outputs[1], tf.float32), tf.cast(outputs[0], tf.float32),
                               atol=tolerance, rtol=tolerance)
    for a, b in zip(stock.weights, fused.weights):  # moving statistics updated alike (biased batch variance)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
    grads = [tape.gradient(loss, [x] + layer.trainable_weights) for loss, layer in zip(losses, (stock, fused))]
    for a, b in zip(*grads):
        scale = float(tf.reduce_max(tf.abs(tf.cast(a, tf.float32))))
        np.testing.assert_allclose(tf.cast(b, tf.float32), tf.cast(a, tf.float32), atol=tolerance * scale,
                                   rtol=tolerance)


@pytest.mark.parametrize("form, size, channels_in, channels_out", [
    ("stacked_rows_conv", 7, 3, 16), ("row_then_column_conv", 7, 16, 3),
    ("conv_with_forward_input_gradient", 3, 16, 16), ("conv_with_forward_input_gradient", 5, 3, 4),
    ("pointwise_as_matmul", 1, 16, 16)])
def test_fast_convolution_forms_compute_the_stock_convolution(form, size, channels_in, channels_out):
    """Layer by layer: the resizer's convolutions in their fast forms give Conv2D's outputs and gradients."""
    x = _photo_channels((60, 52), channels_in)
    conv = keras.layers.Conv2D(channels_out, size, padding="same")
    conv.build(x.shape)
    conv.bias.assign(tf.random.normal((channels_out,)))
    _assert_same_values_and_gradients(x, conv.trainable_weights, lambda: conv(x),
                                      lambda: _cpu_conv_forms.conv_forward(conv, x, getattr(_cpu_conv_forms, form)))


@pytest.mark.parametrize("size, block, shape", [(7, 2, (60, 52)), (7, 3, (48, 36)), (3, 2, (20, 30)),
                                                (5, 4, (16, 24))])
def test_space_to_depth_convolution_is_the_convolution_in_blocks(size, block, shape):
    x = _photo_channels(shape, 3)
    kernel = tf.Variable(tf.random.stateless_normal((size, size, 3, 16), seed=(5, 6)))
    _assert_same_values_and_gradients(x, [kernel], lambda: tf.nn.space_to_depth(tf.nn.conv2d(x, kernel, 1, "SAME"),
                                                                                 block),
                                      lambda: _cpu_conv_forms.space_to_depth_conv(x, kernel, block))


def _photo_channels(shape, channels):
    photos = sample_photos(shape, 2)
    return tf.tile(photos, [1, 1, 1, channels // 3 + 1])[..., :channels]


def _assert_same_values_and_gradients(x, weights, expected_fn, actual_fn):
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        expected, actual = expected_fn(), actual_fn()
        projection = tf.random.stateless_normal(expected.shape, seed=(3, 4))
        losses = [tf.reduce_sum(y * projection) for y in (expected, actual)]
    np.testing.assert_allclose(actual, expected, atol=2e-5 * float(tf.reduce_max(tf.abs(expected))), rtol=1e-5)
    for a, b in zip(tape.gradient(losses[0], [x] + weights), tape.gradient(losses[1], [x] + weights)):
        np.testing.assert_allclose(b, a, atol=2e-4 * float(tf.reduce_max(tf.abs(a))), rtol=1e-4)


#: op types only the CPU forms put into a training step's graph (found by comparing the two graphs' op types):
#: the 2x2 space-to-depth front, the 1x1 convolution as a matrix product, the custom input gradient (IdentityN)
#: and its flipped kernel. The stock gradient of Conv2D has Conv2DBackpropFilter/-Input too, so those are counted.
CPU_FORM_OPS = {"halving": {"SpaceToDepth", "MatMul", "IdentityN", "ReverseV2"},
                "general": {"MatMul", "IdentityN", "ReverseV2"}}
ANY_CPU_FORM_OP = set.union(*CPU_FORM_OPS.values())
SIZES = {"halving": ((300, 300), (150, 150)), "general": ((120, 96), (50, 40))}


def _training_step_op_types(layer, input_hw):
    """Op types (with counts) of a traced float32 training step of ``layer``: forward and weight gradients."""
    @tf.function
    def step(images):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(images, training=True))
        return tape.gradient(loss, layer.trainable_weights)

    graph = step.get_concrete_function(tf.TensorSpec((None,) + input_hw + (3,), tf.float32)).graph
    return Counter(op.type for op in graph.get_operations())


def _built_resizer(path, **kwargs):
    input_hw, target = SIZES[path]
    layer = LearnableResizer(target, **kwargs)
    layer.build((None,) + input_hw + (3,))
    return layer, input_hw


def _assert_stock_ops_only(ops, conv_layers=6):
    assert not ops.keys() & ANY_CPU_FORM_OP, sorted(ops.keys() & ANY_CPU_FORM_OP)
    # every Conv2D is one of the layer's Keras convolutions, with the stock gradient: one backprop of each kind
    assert [ops[t] for t in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter")] == [conv_layers] * 3


@pytest.mark.parametrize("path", list(SIZES))
def test_training_step_takes_stock_ops_only_by_default(path):
    """No conv_forms scope (what GPUs, oneDNN and NPU compilers get): plain Keras Conv2D calls, stock gradients."""
    assert conv_forms.active() == "stock"
    layer, input_hw = _built_resizer(path)
    _assert_stock_ops_only(_training_step_op_types(layer, input_hw))


@pytest.mark.parametrize("path", list(SIZES))
def test_training_step_takes_the_cpu_forms_inside_their_scope(path):
    layer, input_hw = _built_resizer(path)
    with conv_forms("cpu"):
        ops = _training_step_op_types(layer, input_hw)
    assert CPU_FORM_OPS[path] <= ops.keys(), sorted(CPU_FORM_OPS[path] - ops.keys())
    assert ops["Conv2DBackpropInput"] < ops["Conv2D"]  # input gradients computed as forward convolutions


def test_cpu_forms_are_float32_only():
    layer, input_hw = _built_resizer("halving", dtype="mixed_bfloat16")
    with conv_forms("cpu"):
        ops = _training_step_op_types(layer, input_hw)
    _assert_stock_ops_only(ops)


def test_forms_are_read_when_the_layer_is_traced_not_when_it_is_built():
    with conv_forms("cpu"):
        layer, input_hw = _built_resizer("halving")
        assert "SpaceToDepth" in _training_step_op_types(layer, input_hw)
    _assert_stock_ops_only(_training_step_op_types(layer, input_hw))


def test_conv_forms_scope_restores_the_previous_value():
    assert conv_forms.active() == "stock"
    with conv_forms("cpu"):
        assert conv_forms.active() == "cpu"
        with conv_forms("stock"):
            assert conv_forms.active() == "stock"
        assert conv_forms.active() == "cpu"
    assert conv_forms.active() == "stock"
    with pytest.raises(RuntimeError, match="inside"):
        with conv_forms("cpu"):
            raise RuntimeError("inside")
    assert conv_forms.active() == "stock"


def test_conv_forms_rejects_an_unknown_name_and_names_the_allowed_ones():
    with pytest.raises(ValueError, match="stock, cpu.*'gpu'"):
        conv_forms("gpu")
    assert conv_forms.active() == "stock"


def test_conv_forms_hold_for_other_threads_as_mirrored_strategy_replicas():
    seen = []
    with conv_forms("cpu"):
        thread = threading.Thread(target=lambda: seen.append(conv_forms.active()))
        thread.start()
        thread.join()
    assert seen == ["cpu"]
