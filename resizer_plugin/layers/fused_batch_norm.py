"""Keras 3's BatchNormalization computed with TensorFlow's fused kernel, and the factory the resizer's layers use."""
from ..compat import BACKEND, IS_KERAS_3, keras

__all__ = ["FusedBatchNormalization"]


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Keras 3's BatchNormalization (same weights, same results) computed with TensorFlow's fused kernel.

    Keras 3 composes batch norm from separate ops, several passes over the tensor each way; at the resizer's full
    resolution that costs about as much as its convolutions. FusedBatchNormV3 does it in one pass forward and one
    backward. Moving statistics are updated as Keras does, with the biased batch variance. Keras 2 fuses its own
    BatchNormalization already, so there the stock layer is used; on JAX and PyTorch this layer computes as the stock
    one (XLA fuses it), so a model saved on one backend loads on any.
    """

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

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

    def _fusable(self, inputs, mask):
        """Whether the fused kernel computes what the stock layer would: TensorFlow, NHWC, channels last, scale and
        center."""
        return (BACKEND == "tensorflow" and mask is None and not self.renorm and not self.synchronized
                and len(inputs.shape) == 4 and self.axis in ([3], [-1], 3, -1) and self.scale and self.center)


def batch_norm(name, dtype):
    """The resizer's batch norm: :class:`FusedBatchNormalization` on Keras 3, the stock (fused) layer on Keras 2."""
    layer_class = FusedBatchNormalization if IS_KERAS_3 else keras.layers.BatchNormalization
    return layer_class(name=name, dtype=dtype)
