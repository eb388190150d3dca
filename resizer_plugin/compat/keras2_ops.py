"""The ``keras.ops`` the layers compute with, over TensorFlow, for tf.keras 2 (which has no ``keras.ops``): the same
names, arguments and results, so the layers read the same on either Keras."""
import types

import tensorflow as tf

__all__ = ["arange", "cast", "depthwise_conv", "einsum", "flip", "image", "leaky_relu", "log", "maximum", "mean",
           "minimum", "reshape", "shape", "tanh", "tile", "where"]

arange = tf.range
einsum = tf.einsum
log = tf.math.log
maximum = tf.maximum
minimum = tf.minimum
reshape = tf.reshape
tanh = tf.tanh
tile = tf.tile
where = tf.where


def flip(x, axis=None):
    return tf.reverse(x, [axis] if axis is not None else list(range(len(x.shape))))


def cast(x, dtype):
    """``x`` in ``dtype``."""
    return tf.cast(x, dtype)


def shape(x):
    """The shape of ``x``: ints where known, scalar tensors where not."""
    x = tf.convert_to_tensor(x)
    static, dynamic = x.shape.as_list(), tf.shape(x)
    return tuple(size if size is not None else dynamic[i] for i, size in enumerate(static))


def mean(x, axis=None, keepdims=False):
    """The mean of ``x`` over ``axis``."""
    return tf.reduce_mean(x, axis=axis, keepdims=keepdims)


def leaky_relu(x, negative_slope=0.2):
    """LeakyReLU with ``negative_slope``."""
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None):
    """A depthwise 2-D convolution of NHWC ``inputs`` with a (height, width, channels, multiplier) ``kernel``."""
    _check_channels_last(data_format)
    return tf.nn.depthwise_conv2d(inputs, kernel, strides=(1, strides, strides, 1), padding=padding.upper())


def _resize(images, size, interpolation="bilinear", antialias=False, data_format=None):
    _check_channels_last(data_format)
    return tf.image.resize(images, size, method=interpolation, antialias=antialias)


def _check_channels_last(data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError("only channels_last (NHWC) is supported, got {!r}".format(data_format))


#: ``keras.ops.image``: ``resize``
image = types.SimpleNamespace(resize=_resize)
