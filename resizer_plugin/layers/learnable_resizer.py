"""The learnable resizer of Talebi & Milanfar, "Learning to Resize Images for Computer Vision Tasks" (ICCV 2021).

Pure Keras: no recipe, CLI or registry code lives here.
"""
from ..compat import build_sublayer, keras, ops
from ._conv_forms import cpu_forms_apply, same_conv, same_conv_layer
from .fused_batch_norm import batch_norm
from .residual_block import LEAKY_SLOPE, ResidualBlock
from .resize import check_interpolation, check_target_size, resize_images

__all__ = ["LearnableResizer"]


@keras.utils.register_keras_serializable(package="resizer_plugin")
class LearnableResizer(keras.layers.Layer):
    """Learnable resizer (arXiv 2103.09950, Fig. 2): a CNN whose output is added to a naive resize.

    ``inputs -> 7x7 conv (n) + LeakyReLU -> 1x1 conv (n) + LeakyReLU -> BN -> resize to target (bottleneck)
    -> r residual blocks, chained -> 3x3 conv + BN -> + bottleneck -> 7x7 conv (C) -> + naive resize(inputs)``.

    Args:
        target_size: output (height, width); up- or down-scaling, square or not.
        filters: n, the width of every inner convolution (paper: 16).
        num_res_blocks: r, residual blocks chained one after another (paper: 1).
        interpolation: method of both the naive and the feature resize, one of :data:`INTERPOLATIONS`.
        antialias: anti-alias when down-scaling (``tf.image.resize``'s ``antialias``).
        zero_init_residual: start the last convolution at zero, so the untrained layer is the naive resize (as
            MULLER starts). By default it starts as Keras' Glorot-uniform (the keras.io example's), and the untrained
            layer adds a residual several times the image's own spread.

    Accepts NHWC inputs of any spatial size, including unknown height and width; the output has the input's
    channel count and the layer's compute dtype. Its convolutions take the stock forms unless it is called or
    traced inside ``conv_forms("cpu")``.
    """

    def __init__(self, target_size, filters=16, num_res_blocks=1, interpolation="bilinear", antialias=False,
                 zero_init_residual=False, **kwargs):
        super().__init__(**kwargs)
        check_interpolation(interpolation)
        if int(filters) < 1:
            raise ValueError("filters must be >= 1, got {!r}".format(filters))
        if int(num_res_blocks) < 0:
            raise ValueError("num_res_blocks must be >= 0, got {!r}".format(num_res_blocks))
        self.target_size = check_target_size(target_size)
        self.filters = int(filters)
        self.num_res_blocks = int(num_res_blocks)
        self.interpolation = interpolation
        self.antialias = bool(antialias)
        self.zero_init_residual = bool(zero_init_residual)
        policy = self.dtype_policy
        self.conv_in = same_conv_layer(self.filters, 7, True, "conv_in", policy)
        self.conv_pointwise = same_conv_layer(self.filters, 1, True, "conv_pointwise", policy)
        self.bn_in = batch_norm("bn_in", policy)
        self.res_blocks = [ResidualBlock(self.filters, name="res_block_{}".format(i), dtype=policy)
                           for i in range(self.num_res_blocks)]
        self.conv_proj = same_conv_layer(self.filters, 3, False, "conv_proj", policy)
        self.bn_proj = batch_norm("bn_proj", policy)
        self.conv_out = None  # its width is the input's channel count, known in build()

    def build(self, input_shape):
        batch, _, _, channels = tuple(input_shape)
        if channels is None:
            raise ValueError("LearnableResizer needs a known channel count, got input shape {}".format(input_shape))
        initializer = "zeros" if self.zero_init_residual else "glorot_uniform"
        self.conv_out = same_conv_layer(int(channels), 7, True, "conv_out", self.dtype_policy, initializer)
        full = (batch, input_shape[1], input_shape[2], int(channels))
        build_sublayer(self.conv_in, full)
        features = (batch, input_shape[1], input_shape[2], self.filters)
        build_sublayer(self.conv_pointwise, features)
        build_sublayer(self.bn_in, features)
        bottleneck = (batch,) + self.target_size + (self.filters,)
        for layer in self.res_blocks + [self.conv_proj, self.bn_proj, self.conv_out]:
            build_sublayer(layer, bottleneck)
        super().build(input_shape)

    def call(self, inputs, training=None):
        inputs = ops.cast(inputs, self.compute_dtype)
        naive = resize_images(inputs, self.target_size, self.interpolation, self.antialias)
        forms = self._cpu_forms(inputs.shape[-1])
        if forms is not None and self._halves(inputs.shape):
            bottleneck = self._halving_front(inputs, training, forms)
        else:
            bottleneck = self._front(inputs, training, forms)
        x = bottleneck
        for block in self.res_blocks:
            x = block(x, training=training)
        x = self.bn_proj(same_conv(self.conv_proj, x), training=training) + bottleneck
        x = self.conv_out(x) if forms is None else forms.conv_forward(self.conv_out, x, forms.row_then_column_conv)
        return naive + x

    def _cpu_forms(self, channels):
        """The module of TensorFlow CPU forms where the few-channel 7x7 convolutions take them now, else None."""
        if not cpu_forms_apply(self.compute_dtype):
            return None
        from . import _cpu_conv_forms

        return _cpu_conv_forms if channels <= _cpu_conv_forms.FEW_CHANNELS else None

    def _front(self, inputs, training, forms):
        """The full-resolution part up to the resized features (the bottleneck); in the CPU ``forms`` if given."""
        x = self.conv_in(inputs) if forms is None else forms.conv_forward(self.conv_in, inputs, forms.stacked_rows_conv)
        x = ops.leaky_relu(x, negative_slope=LEAKY_SLOPE)
        if forms is None:
            x = self.conv_pointwise(x)
        else:
            x = forms.conv_forward(self.conv_pointwise, x, forms.pointwise_as_matmul)
        x = self.bn_in(ops.leaky_relu(x, negative_slope=LEAKY_SLOPE), training=training)
        return resize_images(x, self.target_size, self.interpolation, self.antialias)

    def _halves(self, input_shape):
        """Whether the feature resize is an exact 2x2 mean: halving known even sizes, bilinear without
        antialiasing (sampled mid-way between two pixels) or area."""
        height, width = input_shape[1], input_shape[2]
        return (height is not None and width is not None and height % 2 == 0 and width % 2 == 0
                and self.target_size == (height // 2, width // 2)
                and (self.interpolation == "area" or (self.interpolation == "bilinear" and not self.antialias)))

    def _halving_front(self, inputs, training, forms):
        """:meth:`_front` in the CPU ``forms`` when :meth:`_halves`: computed on 2x2 space-to-depth blocks, so the
        7x7 convolution runs with 4x the channels and the resize is the mean of each block's four sub-pixels. Same
        sums as the general path, about 20% less time on CPU."""
        height, width = inputs.shape[1] // 2, inputs.shape[2] // 2
        kernel = ops.cast(self.conv_in.kernel, inputs.dtype)
        x = forms.space_to_depth_conv(inputs, kernel) + ops.tile(ops.cast(self.conv_in.bias, inputs.dtype), [4])
        x = ops.reshape(ops.leaky_relu(x, negative_slope=LEAKY_SLOPE), (-1, height, width * 4, self.filters))
        x = forms.conv_forward(self.conv_pointwise, x, forms.pointwise_as_matmul)
        x = self.bn_in(ops.leaky_relu(x, negative_slope=LEAKY_SLOPE), training=training)  # all sub-pixels' statistics
        return ops.mean(ops.reshape(x, (-1, height, width, 4, self.filters)), axis=3)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.target_size + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(target_size=list(self.target_size), filters=self.filters, num_res_blocks=self.num_res_blocks,
                      interpolation=self.interpolation, antialias=self.antialias,
                      zero_init_residual=self.zero_init_residual)
        return config
