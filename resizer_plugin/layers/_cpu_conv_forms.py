"""The resizer's convolutions in the forms TensorFlow's own (Eigen) CPU kernels run fastest: the same sums as Keras
Conv2D. TensorFlow only; used where ``_conv_forms.cpu_forms_apply`` says so.
"""
import numpy as np
import tensorflow as tf

#: a 7x7 convolution whose input (conv_in) or output (conv_out) has at most this many channels is computed in
#: the few-channel forms below; past it the stacked copies cost more than they save
FEW_CHANNELS = 4


def conv_forward(conv, x, form):
    """Apply Keras Conv2D ``conv`` (its own variables, stride 1, SAME) to ``x`` with ``form``, plus its bias."""
    y = form(x, tf.cast(conv.kernel, x.dtype))
    return tf.nn.bias_add(y, tf.cast(conv.bias, x.dtype)) if conv.use_bias else y


def stacked_rows_conv(x, kernel):
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


def row_then_column_conv(x, kernel):
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


def space_to_depth_taps(size, block):
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


def space_to_depth_conv(x, kernel, block=2):
    """``space_to_depth(conv2d(x, kernel, SAME), block)`` computed directly on ``space_to_depth(x, block)``: the
    same sums as one convolution with block**2 times the channels both ways, the shape CPU kernels run fastest.
    It needs the height and width divisible by ``block``."""
    size, channels, filters = kernel.shape[0], kernel.shape[2], kernel.shape[3]
    before, after, table = space_to_depth_taps(size, block)
    taps = table.shape[0]
    flat = tf.concat([tf.reshape(kernel, (size * size, channels, filters)),
                      tf.zeros((1, channels, filters), kernel.dtype)], axis=0)
    gathered = tf.gather(flat, table)  # (p, p', q, q', a, a', c, f)
    merged = tf.reshape(tf.transpose(gathered, (0, 1, 2, 3, 6, 4, 5, 7)),
                        (taps, taps, block * block * channels, block * block * filters))
    padded = tf.pad(tf.nn.space_to_depth(x, block), [[0, 0], [before, after], [before, after], [0, 0]])
    return tf.nn.conv2d(padded, merged, 1, "VALID")


def pointwise_as_matmul(x, kernel):
    """``conv2d(x, kernel)`` for a 1x1 kernel as one matrix product over all pixels; its gradients are matrix
    products too, about 25% faster on CPU than the convolution kernels' backward passes."""
    channels, filters = kernel.shape[2], kernel.shape[3]
    shape = tf.concat([tf.shape(x)[:-1], [filters]], axis=0)
    return tf.reshape(tf.matmul(tf.reshape(x, (-1, channels)), kernel[0, 0]), shape)


@tf.custom_gradient
def conv_with_forward_input_gradient(x, kernel):
    """``conv2d(x, kernel, SAME)`` for an odd square kernel, whose input gradient is computed as the forward
    convolution of the output gradient with the flipped, transposed kernel: the same sums, and on CPU about
    twice as fast as TensorFlow's backward-input kernel for the resizer's 16-channel 3x3 convolutions."""
    def gradient(upstream):
        flipped = tf.transpose(tf.reverse(kernel, [0, 1]), (0, 1, 3, 2))
        return (tf.nn.conv2d(upstream, flipped, 1, "SAME"),
                tf.compat.v1.nn.conv2d_backprop_filter(x, tf.shape(kernel), upstream, [1, 1, 1, 1], "SAME"))

    return tf.nn.conv2d(x, kernel, 1, "SAME"), gradient
