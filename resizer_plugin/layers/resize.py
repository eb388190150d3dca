"""Naive resizing of NHWC images, and the checks of interpolation and target size the resizer reuses."""
from ..compat import BACKEND, keras, ops

__all__ = ["INTERPOLATIONS", "BACKEND_INTERPOLATIONS", "Resize", "resize_images"]

#: Interpolation methods accepted by :func:`resize_images` on TensorFlow (those of ``tf.image.resize``).
INTERPOLATIONS = ("bilinear", "bicubic", "area", "nearest", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
#: The methods each Keras backend resizes with: ``keras.ops.image.resize``'s, area (computed here), and on
#: TensorFlow the two only ``tf.image.resize`` has.
BACKEND_INTERPOLATIONS = {"tensorflow": INTERPOLATIONS,
                          "jax": ("bilinear", "bicubic", "area", "nearest", "lanczos3", "lanczos5"),
                          "torch": ("bilinear", "bicubic", "area", "nearest")}
_TENSORFLOW_ONLY = ("gaussian", "mitchellcubic")


def check_interpolation(interpolation):
    """Raise ValueError unless ``interpolation`` is one of :data:`INTERPOLATIONS` and the backend resizes with it."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError("interpolation must be one of {}, got {!r}".format(", ".join(INTERPOLATIONS), interpolation))
    if interpolation not in BACKEND_INTERPOLATIONS[BACKEND]:
        raise ValueError("interpolation {!r} needs Keras' TensorFlow backend; on {} it is one of {}".format(
            interpolation, BACKEND, ", ".join(BACKEND_INTERPOLATIONS[BACKEND])))


def check_target_size(target_size):
    """``target_size`` as a (height, width) pair of positive ints; ValueError otherwise."""
    height, width = (int(v) for v in target_size)
    if height < 1 or width < 1:
        raise ValueError("target_size must be two positive integers, got {!r}".format(target_size))
    return height, width


def _area_matrix(size_in, size_out, dtype):
    """The ``size_out`` x ``size_in`` matrix of an area resize along one axis (it is separable): each output pixel
    the mean of the input it covers, input pixels cut at its edges counted by the part inside (TensorFlow's
    ``area`` method)."""
    scale = ops.cast(size_in, "float32") / float(size_out)
    starts = ops.cast(ops.arange(size_out), "float32")[:, None] * scale
    pixels = ops.cast(ops.arange(size_in), "float32")[None, :]
    overlap = ops.minimum(starts + scale, pixels + 1.0) - ops.maximum(starts, pixels)
    return ops.cast(ops.maximum(overlap, 0.0) / scale, dtype)


def _area_resize(images, size):
    """An area resize as two matrix products: the values of ``tf.image.resize(method="area")`` (up to float32's
    rounding of the fractional weights), and a gradient, which TensorFlow's ResizeArea op has not (the feature
    resize of a resizer must pass gradients)."""
    shape = ops.shape(images)
    rows = _area_matrix(shape[1], size[0], images.dtype)
    columns = _area_matrix(shape[2], size[1], images.dtype)
    return ops.einsum("oh,bhwc,pw->bopc", rows, images, columns)


def resize_images(images, size, interpolation="bilinear", antialias=False):
    """Resize a batch of NHWC images to ``size`` (height, width), keeping the input dtype. Every method passes
    gradients (area, whose TensorFlow op has none, is computed as products with its resize matrices)."""
    check_interpolation(interpolation)
    if interpolation == "area":
        return _area_resize(images, size)
    if interpolation in _TENSORFLOW_ONLY:
        import tensorflow as tf

        resized = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    else:
        resized = ops.image.resize(images, size, interpolation=interpolation, antialias=antialias,
                                   data_format="channels_last")
    return ops.cast(resized, images.dtype)


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
        return resize_images(ops.cast(inputs, self.compute_dtype), self.target_size, self.interpolation,
                             self.antialias)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.target_size + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(target_size=list(self.target_size), interpolation=self.interpolation, antialias=self.antialias)
        return config
