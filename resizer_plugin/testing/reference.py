"""The reference composition: the learnable resizer wired from stock Keras layers as in the public keras.io example.

Kept in the testing kit as the oracle that ``resizer_plugin.layers.LearnableResizer`` is checked and timed against.
Layer names match the attribute names of LearnableResizer so weights can be copied across one to one.
"""
from resizer_plugin.compat import keras


def _conv(filters, kernel_size, use_bias, name):
    return keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias, name=name)


def _resize(target_size, interpolation, antialias, name):
    """keras.io's ``Resizing`` for its bilinear default; other methods and antialiasing as ``tf.image.resize``
    itself (not every Keras version's ``Resizing`` offers them). Area has no gradient this way."""
    if interpolation == "bilinear" and not antialias:
        return keras.layers.Resizing(*target_size, interpolation=interpolation, name=name)
    import tensorflow as tf

    return keras.layers.Lambda(lambda x: tf.image.resize(x, target_size, method=interpolation, antialias=antialias),
                               name=name)


def reference_resizer(target_size, filters=16, num_res_blocks=1, interpolation="bilinear", channels=3,
                      chain_res_blocks=True, antialias=False):
    """The resizer as a functional model of stock layers; ``chain_res_blocks=False`` is the old keras.io bug
    (every residual block fed the bottleneck) still found in the Ascend port."""
    inputs = keras.Input((None, None, channels))
    naive = _resize(target_size, interpolation, antialias, "naive_resize")(inputs)
    x = _conv(filters, 7, True, "conv_in")(inputs)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = _conv(filters, 1, True, "conv_pointwise")(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.BatchNormalization(name="bn_in")(x)
    bottleneck = _resize(target_size, interpolation, antialias, "feature_resize")(x)
    x = bottleneck
    for i in range(num_res_blocks):
        block_input = x if chain_res_blocks else bottleneck
        y = _conv(filters, 3, False, "res_block_{}_conv_a".format(i))(block_input)
        y = keras.layers.BatchNormalization(name="res_block_{}_bn_a".format(i))(y)
        y = keras.layers.LeakyReLU(0.2)(y)
        y = _conv(filters, 3, False, "res_block_{}_conv_b".format(i))(y)
        y = keras.layers.BatchNormalization(name="res_block_{}_bn_b".format(i))(y)
        x = keras.layers.Add()([block_input, y])
    x = _conv(filters, 3, False, "conv_proj")(x)
    x = keras.layers.BatchNormalization(name="bn_proj")(x)
    x = keras.layers.Add()([bottleneck, x])
    x = _conv(channels, 7, True, "conv_out")(x)
    outputs = keras.layers.Add()([naive, x])
    return keras.Model(inputs, outputs, name="reference_learnable_resizer")


def sublayers_by_reference_name(resizer):
    """``{reference layer name: LearnableResizer sublayer}`` for copying weights between the two."""
    layers = {name: getattr(resizer, name) for name in ("conv_in", "conv_pointwise", "bn_in", "conv_proj", "bn_proj",
                                                         "conv_out")}
    for i, block in enumerate(resizer.res_blocks):
        for part in ("conv_a", "bn_a", "conv_b", "bn_b"):
            layers["res_block_{}_{}".format(i, part)] = getattr(block, part)
    return layers
