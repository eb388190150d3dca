"""Naive resizing of NHWC images, and the checks of interpolation and target size the resizer reuses."""
import tensorflow as tf

from ..compat import keras

__all__ = ["INTERPOLATIONS", "Resize", "resize_images"]

#: Interpolation methods accepted by :func:`resize_images` (those of ``tf.image.resize``).
INTERPOLATIONS = ("bilinear", "bicubic", "area", "nearest", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def check_interpolation(interpolation):
    """Raise ValueError unless ``interpolation`` is one of :data:`INTERPOLATIONS`."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError("interpolation must be one of {}, got {!r}".format(", ".join(INTERPOLATIONS), interpolation))


def check_target_size(target_size):
    """``target_size`` as a (height, width) pair of positive ints; ValueError otherwise."""
    height, width = (int(v) for v in target_size)
    if height < 1 or width < 1:
        raise ValueError("target_size must be two positive integers, got {!r}".format(target_size))
    return height, width


def _area_matrix(size_in, size_out):
    """The ``size_out`` x ``size_in`` matrix of TensorFlow's area resize along one axis (it is separable)."""
    eye = tf.eye(size_in)[tf.newaxis, :, tf.newaxis, :]
    return tf.image.resize(eye, (size_out, 1), method="area")[0, :, 0, :]


def _area_resize(images, size):
    """``tf.image.resize(method="area")`` as two matrix products: the same values, and a gradient, which
    TensorFlow's ResizeArea op has not (the feature resize of a resizer must pass gradients)."""
    shape = tf.shape(images)
    rows = tf.cast(_area_matrix(shape[1], size[0]), images.dtype)
    columns = tf.cast(_area_matrix(shape[2], size[1]), images.dtype)
    return tf.einsum("oh,bhwc,pw->bopc", rows, images, columns)


def resize_images(images, size, interpolation="bilinear", antialias=False):
    """Resize a batch of NHWC images to ``size`` (height, width), keeping the input dtype. Every method passes
    gradients (area, whose TensorFlow op has none, is computed as products with its resize matrices)."""
    check_interpolation(interpolation)
    if interpolation == "area":
        return _area_resize(images, size)
    resized = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    return tf.cast(resized, images.dtype)


@keras.utils.register_keras_serializable(package="resizer_plugin")
class Resize(keras.layers.Layer):
    """Naive resize of NHWC images to ``target_size`` with one of :data:`INTERPOLATIONS`; no weights."""

    def __init__(self, target_size, interpolation="bilinear", antialias=False, **kwargs):
        super().__init__(**kwargs)
        check_interpolation(interpolation)
        self.target_size = check_target_size(target_size)
        self.interpolation = interpolation
        self.antialias = bool(antialias)

    def call(self, inputs):
        return resize_images(tf.cast(inputs, self.compute_dtype), self.target_size, self.interpolation, self.antialias)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.target_size + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(target_size=list(self.target_size), interpolation=self.interpolation, antialias=self.antialias)
        return config
