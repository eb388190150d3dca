"""The resizer's residual block."""
from ..compat import build_sublayer, keras, ops
from ._conv_forms import same_conv, same_conv_layer
from .fused_batch_norm import batch_norm

__all__ = ["ResidualBlock"]

#: the negative slope of every LeakyReLU in the resizer (paper: 0.2)
LEAKY_SLOPE = 0.2


@keras.utils.register_keras_serializable(package="resizer_plugin")
class ResidualBlock(keras.layers.Layer):
    """3x3 conv - BN - LeakyReLU(0.2) - 3x3 conv - BN, added to the block's input."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv_a = same_conv_layer(self.filters, 3, False, "conv_a", self.dtype_policy)
        self.bn_a = batch_norm("bn_a", self.dtype_policy)
        self.conv_b = same_conv_layer(self.filters, 3, False, "conv_b", self.dtype_policy)
        self.bn_b = batch_norm("bn_b", self.dtype_policy)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in (self.conv_a, self.bn_a, self.conv_b, self.bn_b):
            build_sublayer(layer, shape)
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = same_conv(self.conv_a, inputs)
        x = self.bn_a(x, training=training)
        x = ops.leaky_relu(x, negative_slope=LEAKY_SLOPE)
        x = same_conv(self.conv_b, x)
        x = self.bn_b(x, training=training)
        return inputs + x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters)
        return config
