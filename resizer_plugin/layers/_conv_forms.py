"""Which forms the resizer's convolutions take.

``"stock"`` (the default) computes every convolution with Keras Conv2D on any backend: what GPUs (cuDNN), oneDNN CPU
kernels, XLA and accelerator compilers (Ascend NPUs) run best, and all they may accept. ``"cpu"`` computes the
float32 convolutions in the TensorFlow forms of ``_cpu_conv_forms``: the same sums, measured faster with
TensorFlow's own (Eigen) CPU kernels; on other backends it changes nothing. The layer never picks them by itself;
whoever knows the device does, with :class:`conv_forms`.
"""
from ..compat import BACKEND, dtype_name, keras

#: the names :class:`conv_forms` accepts
CONV_FORMS = ("stock", "cpu")

_active = "stock"  # process-global, not thread-local: MirroredStrategy traces its replicas in other threads


class conv_forms:  # noqa: N801 (a context manager, named like contextlib's)
    """``with conv_forms("cpu"):`` -- the resizer's convolutions take the CPU forms while a layer is called or
    traced inside; the previous value comes back on exit, also on an exception. One of :data:`CONV_FORMS`.

    The value is read when the layer is called or traced, for the whole process (all threads): a ``tf.function``
    traced inside keeps its forms when called later, one traced outside takes the stock ones.
    """

    def __init__(self, name):
        if name not in CONV_FORMS:
            raise ValueError("conv_forms must be one of {}, got {!r}".format(", ".join(CONV_FORMS), name))
        self.name = name
        self._previous = []

    def __enter__(self):
        global _active
        self._previous.append(_active)
        _active = self.name
        return self

    def __exit__(self, *exc_info):
        global _active
        _active = self._previous.pop()
        return False

    @staticmethod
    def active():
        """The forms in effect now: ``"stock"`` outside any ``conv_forms`` scope."""
        return _active


def cpu_forms_apply(dtype):
    """Whether a convolution computed in ``dtype`` takes the CPU forms now: under ``conv_forms("cpu")``, on
    TensorFlow, and in float32 only (on CPU under bfloat16 they were measured slower)."""
    return _active == "cpu" and BACKEND == "tensorflow" and dtype_name(dtype) == "float32"


def same_conv_layer(filters, kernel_size, use_bias, name, dtype, kernel_initializer="glorot_uniform"):
    """The resizer's Keras Conv2D: stride 1, SAME padding."""
    return keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias, name=name, dtype=dtype,
                               kernel_initializer=kernel_initializer)


def same_conv(conv, x):
    """Keras Conv2D ``conv`` (odd square kernel, stride 1, SAME) on ``x``; with the faster input gradient of
    ``_cpu_conv_forms.conv_with_forward_input_gradient`` where :func:`cpu_forms_apply`."""
    if cpu_forms_apply(x.dtype):
        from . import _cpu_conv_forms as forms

        return forms.conv_forward(conv, x, forms.conv_with_forward_input_gradient)
    return conv(x)
