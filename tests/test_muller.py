"""MullerResizer (MULLER, ICCV 2023): the naive resize at initialization, the paper's sum of resized Laplacian
bands through tanh against a NumPy reference, its 2 parameters per layer, any input size, and training."""
import numpy as np
import pytest
import tensorflow as tf

from resizer_plugin import MullerResizer
from resizer_plugin.compat import keras, set_random_seed
from resizer_plugin.layers import resize_images
from resizer_plugin.photos import sample_photos


def _gaussian_blur(image, size, stddev):
    """The separable Gaussian blur of one HxWxC image in NumPy, zero beyond the borders."""
    offsets = np.arange(size) - size // 2
    taps = np.exp(-offsets ** 2 / (2.0 * stddev ** 2))
    taps /= taps.sum()
    blurred = np.apply_along_axis(lambda column: np.convolve(column, taps, mode="same"), 0, image)
    return np.apply_along_axis(lambda row: np.convolve(row, taps, mode="same"), 1, blurred)


def _reference(images, target, scales, biases, size=5, stddev=1.0):
    """The paper's Eq. 2-3, one image at a time; TensorFlow's bilinear resize as the naive resize."""
    def resize(x):
        return resize_images(tf.constant(x[None], tf.float32), target).numpy()[0]
    outputs = []
    for image in images:
        level, out = image.astype(np.float64), resize(image)
        for scale, bias in zip(scales, biases):
            blurred = _gaussian_blur(level, size, stddev)
            out = out + np.tanh(scale * resize(blurred - level) + bias)
            level = blurred
        outputs.append(out)
    return np.stack(outputs)


def test_the_untrained_layer_is_the_naive_resize_with_four_parameters():
    photos = sample_photos((64, 80), 2)
    layer = MullerResizer((32, 40))
    out = layer(photos)
    assert layer.count_params() == 4 and [w.shape for w in layer.trainable_weights] == [(2,), (2,)]
    np.testing.assert_array_equal(out.numpy(), resize_images(tf.constant(photos), (32, 40)).numpy())


@pytest.mark.parametrize("target, layers", [((24, 32), 2), ((96, 120), 3), ((30, 30), 1)])  # down, up, non-square
def test_matches_the_papers_equation_computed_in_numpy(target, layers):
    photos = sample_photos((48, 60), 2)
    layer = MullerResizer(target, num_layers=layers, kernel_size=5, stddev=1.3)
    layer.build(photos.shape)
    scales, biases = np.linspace(-1.5, 2.0, layers), np.linspace(0.1, -0.2, layers)
    layer.set_weights([scales.astype("float32"), biases.astype("float32")])
    expected = _reference(photos, target, scales, biases, stddev=1.3)
    np.testing.assert_allclose(layer(photos).numpy(), expected, atol=2e-5)


def test_any_input_size_including_unknown():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, MullerResizer((20, 24))(inputs))
    for size in ((40, 40), (33, 57), (16, 16)):
        assert tuple(model(sample_photos(size, 1)).shape) == (1, 20, 24, 3)


@pytest.mark.parametrize("args, phrase", [({"num_layers": 0}, "num_layers"), ({"kernel_size": 4}, "odd"),
                                          ({"stddev": 0}, "stddev"), ({"interpolation": "cubic"}, "interpolation")])
def test_bad_arguments_are_refused(args, phrase):
    with pytest.raises(ValueError, match=phrase):
        MullerResizer((8, 8), **args)


@pytest.mark.slow
def test_it_learns_the_detail_a_naive_shrink_loses():
    """Trained alone to reproduce an area (box) downscale from a bilinear base, its scales leave zero and the
    error falls: the bands carry what the bilinear shrink lost."""
    set_random_seed(3)
    photos = sample_photos((96, 96), 8)
    target = tf.image.resize(photos, (32, 32), method="area")
    inputs = keras.Input((96, 96, 3))
    layer = MullerResizer((32, 32))
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    before = float(model.evaluate(photos, target, verbose=0))
    model.fit(photos, target, epochs=60, verbose=0)
    after = float(model.evaluate(photos, target, verbose=0))
    assert after < 0.8 * before, (before, after)
    assert np.all(np.abs(layer.get_weights()[0]) > 1e-3)


def test_the_stage_in_a_recipe_and_its_parameters_in_the_dry_run(tmp_path):
    from .builders import small_recipe, write_recipe, zoo_run

    stages = [{"type": "rescale"}, {"type": "muller_resizer", "target_size": [24, 24], "num_layers": 3}]
    result = zoo_run(write_recipe(tmp_path, small_recipe({"model.stages": stages})), "--dry-run")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("stage       muller_resizer"))
    assert "-> 24x24x3" in line and line.endswith("(6 trainable parameters)")
