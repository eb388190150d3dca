"""resizer_plugin: the learnable image resizer (Talebi & Milanfar, ICCV 2021) and its successor MULLER (Tu, Milanfar
& Talebi, ICCV 2023) as Keras zoo stages.

Keras (and its backend) is imported on first use of ``LearnableResizer`` or ``MullerResizer``, not on ``import
resizer_plugin``, so that the package's pytest plugin and entry-point metadata cost nothing to load. The layers still
register with Keras as soon as Keras is loaded, so ``import resizer_plugin`` is all ``keras.saving.load_model`` needs
for a model holding them.
"""
from .keras_registration import register_layers_with_keras

__version__ = "0.2.0"

_LAYERS = ("LearnableResizer", "MullerResizer")
__all__ = list(_LAYERS) + ["__version__"]


def __getattr__(name):
    if name in _LAYERS:
        from . import layers

        return getattr(layers, name)
    raise AttributeError("module 'resizer_plugin' has no attribute {!r}".format(name))


register_layers_with_keras()
