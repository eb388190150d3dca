"""The ``small_cnn`` family: one small conv net for quick runs and tests."""
from ..compat import keras
from ..zoo.contract import BackboneFamily, Option, integer

__all__ = ["small_cnn"]


def _build(model, options, spec):
    inputs = keras.Input((spec.height, spec.width, spec.channels))
    x = inputs
    for block in range(options["blocks"]):
        filters = options["filters"] * 2 ** block
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPooling2D(2)(x)
    return keras.Model(inputs, x, name="small_cnn")


small_cnn = BackboneFamily(
    "small_cnn", build=_build,
    options={"filters": Option(integer(min=1, max=256), 16, "filters of the first block, doubled each block (at "
                                                             "256 six blocks hold 0.4 billion weights)"),
             "blocks": Option(integer(min=1, max=6), 3, "conv-BN-ReLU-maxpool blocks")},
    description="a small conv net for quick runs and tests")
