"""The learnable resizer of Talebi & Milanfar, "Learning to Resize Images for Computer Vision Tasks" (ICCV 2021).

Pure Keras: no recipe, CLI or registry code lives here.
"""
import numpy as np
import tensorflow as tf

from ..compat import IS_KERAS_3, keras, onednn_enabled

__all__ = ["FusedBatchNormalization", "LearnableResizer", "ResidualBlock", "Resize", "INTERPOLATIONS", "resize_images"]

#: Interpolation methods accepted by :func:`resize_images` (those of ``tf.image.resize``).
INTERPOLATIONS = ("bilinear", "bicubic", "area", "nearest", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")

_LEAKY_SLOPE = 0.2
_PACKAGE = "resizer_plugin"


def resize_images(images, size, interpolation="bilinear", antialias=False):
    """Resize a batch of NHWC images to ``size`` (height, width), keeping the input dtype."""
    _check_interpolation(interpolation)
    resized = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    return tf.cast(resized, images.dtype)


def _check_interpolation(interpolation):
    if interpolation not in INTERPOLATIONS:
        raise ValueError("interpolation must be one of {}, got {!r}".format(", ".join(INTERPOLATIONS), interpolation))


def _target_size(target_size):
    height, width = (int(v) for v in target_size)
    if height < 1 or width < 1:
        raise ValueError("target_size must be two positive integers, got {!r}".format(target_size))
    return height, width


@keras.utils.register_keras_serializable(package=_PACKAGE)
class Resize(keras.layers.Layer):
    """Naive resize of NHWC images to ``target_size`` with one of :data:`INTERPOLATIONS`; no weights."""

    def __init__(self, target_size, interpolation="bilinear", antialias=False, **kwargs):
        super().__init__(**kwargs)
        _check_interpolation(interpolation)
        self.target_size = _target_size(target_size)
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


#: a 7x7 convolution whose input (conv_in) or output (conv_out) has at most this many channels is computed in
#: the faster equivalent forms below; past it the stacked copies cost more than they save
_FEW_CHANNELS = 4


def _cpu_forms_are_faster():
    """Whether float32 convolutions take the equivalent forms below. They were measured faster on CPU with
    TensorFlow's own (Eigen) kernels only: with its oneDNN kernels (``TF_ENABLE_ONEDNN_OPTS=1``, TensorFlow's
    default on CPUs with AVX-512, and zoo-run's) the stock forms were faster, and GPUs run them with cuDNN."""
    return not tf.config.get_visible_devices("GPU") and not onednn_enabled()


def _stacked_rows_conv(x, kernel):
    """``conv2d(x, kernel, SAME)`` for a k x k kernel and few input channels, as a 1 x k convolution over k
    vertically shifted copies of ``x`` stacked as channels: the same sums, in a shape the CPU kernels run about
    30% faster forward and backward (the backward-filter pass of a 3-channel 7x7 convolution is slow)."""
    size, channels, filters = kernel.shape[0], kernel.shape[2], kernel.shape[3]
    half = (size - 1) // 2
    height = tf.shape(x)[1]
    padded = tf.pad(x, [[0, 0], [half, size - 1 - half], [0, 0], [0, 0]])
    stacked = tf.concat([padded[:, i:i + height] for i in range(size)], axis=-1)  # channels ordered (kh, c)
    rows = tf.reshape(tf.transpose(kernel, (1, 0, 2, 3)), (1, size, size * channels, filters))
    return tf.nn.conv2d(stacked, rows, 1, "SAME")


def _row_then_column_conv(x, kernel):
    """``conv2d(x, kernel, SAME)`` for a k x k kernel with few output channels C: a k x 1 convolution to k*C
    channels (one group per kernel column), then a constant 1 x k convolution that adds each group shifted to its
    column. Same sums; about twice as fast on CPU as the direct form, whose C=3 output wastes the vector units."""
    size, channels, filters = kernel.shape[0], kernel.shape[2], kernel.shape[3]
    columns = tf.reshape(tf.transpose(kernel, (0, 2, 1, 3)), (size, 1, channels, size * filters))  # (kw, o)
    select = np.zeros((1, size, size * filters, filters), dtype=np.float32)
    for column in range(size):
        select[0, column, column * filters:(column + 1) * filters] = np.eye(filters, dtype=np.float32)
    partial = tf.nn.conv2d(x, columns, 1, "SAME")
    return tf.nn.conv2d(partial, tf.constant(select, dtype=partial.dtype), 1, "SAME")


def _space_to_depth_taps(size, block):
    """For a SAME ``size`` x ``size`` convolution rewritten over ``block`` x ``block`` space-to-depth tensors:
    (padding before, padding after, index table). ``table[p, p', q, q', a, a']`` is the flat index of the original
    tap that links input sub-pixel (q, q') of block offset (p, p') to output sub-pixel (a, a'); ``size**2`` marks
    the pairs no tap links (a zero weight)."""
    half = (size - 1) // 2
    links = [(u, q, a, (u + a - q) // block) for u in range(-half, size - half) for q in range(block)
             for a in range(block) if (u + a - q) % block == 0]
    first, last = min(link[3] for link in links), max(link[3] for link in links)
    taps = last - first + 1
    row = np.full((taps, block, block), -1)  # [p, q, a] -> original kernel row, or -1
    for u, q, a, p in links:
        row[p - first, q, a] = u + half
    r, c = row[:, None, :, None, :, None], row[None, :, None, :, None, :]
    table = np.where((r >= 0) & (c >= 0), r * size + c, size * size)
    return -first, last, table


def _space_to_depth_conv(x, kernel, block=2):
    """``space_to_depth(conv2d(x, kernel, SAME), block)`` computed directly on ``space_to_depth(x, block)``: the
    same sums as one convolution with block**2 times the channels both ways, the shape CPU kernels run fastest.
    It needs the height and width divisible by ``block``."""
    size, channels, filters = kernel.shape[0], kernel.shape[2], kernel.shape[3]
    before, after, table = _space_to_depth_taps(size, block)
    taps = table.shape[0]
    flat = tf.concat([tf.reshape(kernel, (size * size, channels, filters)),
                      tf.zeros((1, channels, filters), kernel.dtype)], axis=0)
    gathered = tf.gather(flat, table)  # (p, p', q, q', a, a', c, f)
    merged = tf.reshape(tf.transpose(gathered, (0, 1, 2, 3, 6, 4, 5, 7)),
                        (taps, taps, block * block * channels, block * block * filters))
    padded = tf.pad(tf.nn.space_to_depth(x, block), [[0, 0], [before, after], [before, after], [0, 0]])
    return tf.nn.conv2d(padded, merged, 1, "VALID")


def _pointwise_as_matmul(x, kernel):
    """``conv2d(x, kernel)`` for a 1x1 kernel as one matrix product over all pixels; its gradients are matrix
    products too, about 25% faster on CPU than the convolution kernels' backward passes."""
    channels, filters = kernel.shape[2], kernel.shape[3]
    shape = tf.concat([tf.shape(x)[:-1], [filters]], axis=0)
    return tf.reshape(tf.matmul(tf.reshape(x, (-1, channels)), kernel[0, 0]), shape)


@tf.custom_gradient
def _conv_with_forward_input_gradient(x, kernel):
    """``conv2d(x, kernel, SAME)`` for an odd square kernel, whose input gradient is computed as the forward
    convolution of the output gradient with the flipped, transposed kernel: the same sums, and on CPU about
    twice as fast as TensorFlow's backward-input kernel for the resizer's 16-channel 3x3 convolutions."""
    def gradient(upstream):
        flipped = tf.transpose(tf.reverse(kernel, [0, 1]), (0, 1, 3, 2))
        return (tf.nn.conv2d(upstream, flipped, 1, "SAME"),
                tf.compat.v1.nn.conv2d_backprop_filter(x, tf.shape(kernel), upstream, [1, 1, 1, 1], "SAME"))

    return tf.nn.conv2d(x, kernel, 1, "SAME"), gradient


def _conv_forward(conv, x, form):
    """Apply Keras Conv2D ``conv`` (its own variables, stride 1, SAME) to ``x`` with ``form``, plus its bias."""
    y = form(x, tf.cast(conv.kernel, x.dtype))
    return tf.nn.bias_add(y, tf.cast(conv.bias, x.dtype)) if conv.use_bias else y


def _same_conv(conv, x):
    """Keras Conv2D ``conv`` (odd square kernel, stride 1, SAME) on ``x``, with the faster input gradient of
    :func:`_conv_with_forward_input_gradient` where :func:`_cpu_forms_are_faster` in float32."""
    if x.dtype == tf.float32 and _cpu_forms_are_faster():
        return _conv_forward(conv, x, _conv_with_forward_input_gradient)
    return conv(x)


def _conv(filters, kernel_size, use_bias, name, dtype):
    return keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias, name=name, dtype=dtype)


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Keras 3's BatchNormalization (same weights, same results) computed with TensorFlow's fused kernel.

    Keras 3 composes batch norm from separate ops, several passes over the tensor each way; at the resizer's full
    resolution that costs about as much as its convolutions. FusedBatchNormV3 does it in one pass forward and one
    backward. Moving statistics are updated as Keras does, with the biased batch variance. Keras 2 fuses its own
    BatchNormalization already, so there the stock layer is used.
    """

    def call(self, inputs, training=None, mask=None):
        if mask is not None or self.renorm or self.synchronized or len(inputs.shape) != 4 or self.axis not in (
                [3], [-1], 3, -1) or not (self.scale and self.center):
            return super().call(inputs, training=training, mask=mask)
        dtype = inputs.dtype if inputs.dtype in (tf.float16, tf.bfloat16, tf.float32) else tf.float32
        x = tf.cast(inputs, dtype)
        gamma, beta = tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32)
        if training and self.trainable:
            y, mean, corrected_variance = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True)
            count = tf.cast(tf.reduce_prod(tf.shape(x)[:3]), tf.float32)
            variance = corrected_variance * (count - 1.0) / count  # the kernel returns the unbiased variance
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, mean=tf.cast(self.moving_mean, tf.float32),
                variance=tf.cast(self.moving_variance, tf.float32), epsilon=self.epsilon, data_format="NHWC",
                is_training=False)
        return tf.cast(y, self.compute_dtype)


def _batch_norm(name, dtype):
    layer_class = FusedBatchNormalization if IS_KERAS_3 else keras.layers.BatchNormalization
    return layer_class(name=name, dtype=dtype)


@keras.utils.register_keras_serializable(package=_PACKAGE)
class ResidualBlock(keras.layers.Layer):
    """3x3 conv - BN - LeakyReLU(0.2) - 3x3 conv - BN, added to the block's input."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv_a = _conv(self.filters, 3, False, "conv_a", self.dtype_policy)
        self.bn_a = _batch_norm("bn_a", self.dtype_policy)
        self.conv_b = _conv(self.filters, 3, False, "conv_b", self.dtype_policy)
        self.bn_b = _batch_norm("bn_b", self.dtype_policy)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in (self.conv_a, self.bn_a, self.conv_b, self.bn_b):
            layer.build(shape)
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = _same_conv(self.conv_a, inputs)
        x = self.bn_a(x, training=training)
        x = tf.nn.leaky_relu(x, alpha=_LEAKY_SLOPE)
        x = _same_conv(self.conv_b, x)
        x = self.bn_b(x, training=training)
        return inputs + x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters)
        return config


@keras.utils.register_keras_serializable(package=_PACKAGE)
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

    Accepts NHWC inputs of any spatial size, including unknown height and width; the output has the input's
    channel count and the layer's compute dtype.
    """

    def __init__(self, target_size, filters=16, num_res_blocks=1, interpolation="bilinear", antialias=False,
                 **kwargs):
        super().__init__(**kwargs)
        _check_interpolation(interpolation)
        if int(filters) < 1:
            raise ValueError("filters must be >= 1, got {!r}".format(filters))
        if int(num_res_blocks) < 0:
            raise ValueError("num_res_blocks must be >= 0, got {!r}".format(num_res_blocks))
        self.target_size = _target_size(target_size)
        self.filters = int(filters)
        self.num_res_blocks = int(num_res_blocks)
        self.interpolation = interpolation
        self.antialias = bool(antialias)
        policy = self.dtype_policy
        self.conv_in = _conv(self.filters, 7, True, "conv_in", policy)
        self.conv_pointwise = _conv(self.filters, 1, True, "conv_pointwise", policy)
        self.bn_in = _batch_norm("bn_in", policy)
        self.res_blocks = [ResidualBlock(self.filters, name="res_block_{}".format(i), dtype=policy)
                           for i in range(self.num_res_blocks)]
        self.conv_proj = _conv(self.filters, 3, False, "conv_proj", policy)
        self.bn_proj = _batch_norm("bn_proj", policy)
        self.conv_out = None  # its width is the input's channel count, known in build()

    def build(self, input_shape):
        batch, _, _, channels = tuple(input_shape)
        if channels is None:
            raise ValueError("LearnableResizer needs a known channel count, got input shape {}".format(input_shape))
        self.conv_out = _conv(int(channels), 7, True, "conv_out", self.dtype_policy)
        full = (batch, input_shape[1], input_shape[2], int(channels))
        self.conv_in.build(full)
        features = (batch, input_shape[1], input_shape[2], self.filters)
        self.conv_pointwise.build(features)
        self.bn_in.build(features)
        bottleneck = (batch,) + self.target_size + (self.filters,)
        for layer in self.res_blocks + [self.conv_proj, self.bn_proj, self.conv_out]:
            layer.build(bottleneck)
        super().build(input_shape)

    def call(self, inputs, training=None):
        inputs = tf.cast(inputs, self.compute_dtype)
        naive = resize_images(inputs, self.target_size, self.interpolation, self.antialias)
        # the fast forms were measured faster in float32 only (on CPU under bfloat16 they were slower)
        few_in = (inputs.shape[-1] <= _FEW_CHANNELS and self.compute_dtype == "float32"
                  and _cpu_forms_are_faster())
        if few_in and self._halves(inputs.shape):
            bottleneck = self._halving_front(inputs, training)
        else:
            x = _conv_forward(self.conv_in, inputs, _stacked_rows_conv) if few_in else self.conv_in(inputs)
            x = tf.nn.leaky_relu(x, alpha=_LEAKY_SLOPE)
            x = _conv_forward(self.conv_pointwise, x, _pointwise_as_matmul) if few_in else self.conv_pointwise(x)
            x = self.bn_in(tf.nn.leaky_relu(x, alpha=_LEAKY_SLOPE), training=training)
            bottleneck = resize_images(x, self.target_size, self.interpolation, self.antialias)
        x = bottleneck
        for block in self.res_blocks:
            x = block(x, training=training)
        x = self.bn_proj(_same_conv(self.conv_proj, x), training=training) + bottleneck
        x = _conv_forward(self.conv_out, x, _row_then_column_conv) if few_in else self.conv_out(x)
        return naive + x

    def _halves(self, input_shape):
        """Whether the feature resize is an exact 2x2 mean: halving known even sizes, bilinear without
        antialiasing (sampled mid-way between two pixels) or area."""
        height, width = input_shape[1], input_shape[2]
        return (height is not None and width is not None and height % 2 == 0 and width % 2 == 0
                and self.target_size == (height // 2, width // 2)
                and (self.interpolation == "area" or (self.interpolation == "bilinear" and not self.antialias)))

    def _halving_front(self, inputs, training):
        """The full-resolution part up to the resized features, when :meth:`_halves`: computed on 2x2
        space-to-depth blocks, so the 7x7 convolution runs with 4x the channels and the resize is the mean of each
        block's four sub-pixels. Same sums as the general path, about 20% less time on CPU."""
        height, width = inputs.shape[1] // 2, inputs.shape[2] // 2
        kernel = tf.cast(self.conv_in.kernel, inputs.dtype)
        x = _space_to_depth_conv(inputs, kernel) + tf.tile(tf.cast(self.conv_in.bias, inputs.dtype), [4])
        x = tf.reshape(tf.nn.leaky_relu(x, alpha=_LEAKY_SLOPE), (-1, height, width * 4, self.filters))
        x = tf.nn.leaky_relu(_conv_forward(self.conv_pointwise, x, _pointwise_as_matmul), alpha=_LEAKY_SLOPE)
        x = self.bn_in(x, training=training)  # the statistics of all sub-pixels, as at full resolution
        return tf.reduce_mean(tf.reshape(x, (-1, height, width, 4, self.filters)), axis=3)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.target_size + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(target_size=list(self.target_size), filters=self.filters, num_res_blocks=self.num_res_blocks,
                      interpolation=self.interpolation, antialias=self.antialias)
        return config
