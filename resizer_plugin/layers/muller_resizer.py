"""MULLER, the multilayer Laplacian resizer of Tu, Milanfar & Talebi, "MULLER: Multilayer Laplacian Resizer for
Vision" (ICCV 2023, arXiv 2304.02859): the learnable resizer's lightweight successor.

Pure Keras: no recipe, CLI or registry code lives here.
"""
import numpy as np

from ..compat import keras, ops
from .resize import check_interpolation, check_target_size, resize_images

__all__ = ["MullerResizer"]


@keras.utils.register_keras_serializable(package="resizer_plugin")
class MullerResizer(keras.layers.Layer):
    """A naive resize plus, for each of ``num_layers`` Laplacian layers, its band of detail resized and passed
    through ``tanh`` with a trainable scale and bias (paper, Eq. 2-3)::

        x_0 = inputs;  x_k = G(x_(k-1));  output = resize(inputs) + sum_k tanh(w_k * resize(x_k - x_(k-1)) + b_k)

    where ``G`` is a Gaussian blur. Every scale and bias starts at zero (the paper's), so the untrained layer is
    the naive resize itself; it has ``2 * num_layers`` parameters.

    Args:
        target_size: output (height, width); up- or down-scaling, square or not.
        num_layers: the Laplacian layers (paper: 2).
        kernel_size: side of the Gaussian kernel, odd (paper: 5).
        stddev: its standard deviation in pixels (paper: 1.0).
        interpolation: method of every resize, one of ``resize.INTERPOLATIONS`` (paper: bilinear).
        antialias: anti-alias when down-scaling (``tf.image.resize``'s ``antialias``).

    Accepts NHWC inputs of any spatial size, including unknown height and width; the output has the input's channel
    count and the layer's compute dtype.
    """

    def __init__(self, target_size, num_layers=2, kernel_size=5, stddev=1.0, interpolation="bilinear",
                 antialias=False, **kwargs):
        super().__init__(**kwargs)
        check_interpolation(interpolation)
        if int(num_layers) < 1:
            raise ValueError("num_layers must be >= 1, got {!r}".format(num_layers))
        if int(kernel_size) < 1 or int(kernel_size) % 2 == 0:
            raise ValueError("kernel_size must be a positive odd integer, got {!r}".format(kernel_size))
        if not float(stddev) > 0:
            raise ValueError("stddev must be > 0, got {!r}".format(stddev))
        self.target_size = check_target_size(target_size)
        self.num_layers, self.kernel_size, self.stddev = int(num_layers), int(kernel_size), float(stddev)
        self.interpolation, self.antialias = interpolation, bool(antialias)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError("MullerResizer needs a known channel count, got input shape {}".format(input_shape))
        self.scales = self.add_weight(name="scales", shape=(self.num_layers,), initializer="zeros")
        self.biases = self.add_weight(name="biases", shape=(self.num_layers,), initializer="zeros")
        super().build(input_shape)

    def _taps(self):
        """The Gaussian's ``kernel_size`` taps, summing to one."""
        offsets = np.arange(self.kernel_size, dtype=np.float64) - self.kernel_size // 2
        taps = np.exp(-offsets ** 2 / (2.0 * self.stddev ** 2))
        return (taps / taps.sum()).astype(np.float32)

    def _blur(self, images):
        """The Gaussian blur, separable: a depthwise column then row pass, zero beyond the borders."""
        channels = images.shape[-1]
        taps = ops.cast(self._taps(), images.dtype)
        columns = ops.tile(ops.reshape(taps, (self.kernel_size, 1, 1, 1)), (1, 1, channels, 1))
        rows = ops.tile(ops.reshape(taps, (1, self.kernel_size, 1, 1)), (1, 1, channels, 1))
        images = ops.depthwise_conv(images, columns, strides=1, padding="same", data_format="channels_last")
        return ops.depthwise_conv(images, rows, strides=1, padding="same", data_format="channels_last")

    def _resize(self, images):
        return resize_images(images, self.target_size, self.interpolation, self.antialias)

    def call(self, inputs, training=None):
        level = ops.cast(inputs, self.compute_dtype)
        outputs = self._resize(level)
        scales, biases = ops.cast(self.scales, level.dtype), ops.cast(self.biases, level.dtype)
        for k in range(self.num_layers):
            blurred = self._blur(level)
            outputs += ops.tanh(scales[k] * self._resize(blurred - level) + biases[k])
            level = blurred
        return outputs

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.target_size + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(target_size=list(self.target_size), num_layers=self.num_layers, kernel_size=self.kernel_size,
                      stddev=self.stddev, interpolation=self.interpolation, antialias=self.antialias)
        return config
