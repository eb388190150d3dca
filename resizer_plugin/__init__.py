"""resizer_plugin: the learnable image resizer (Talebi & Milanfar, ICCV 2021) as a Keras zoo stage.

TensorFlow is imported on first use of ``LearnableResizer``, not on ``import resizer_plugin``, so that the
package's pytest plugin and entry-point metadata cost nothing to load.
"""
__version__ = "0.1.0"

__all__ = ["LearnableResizer", "__version__"]


def __getattr__(name):
    if name == "LearnableResizer":
        from .layers import LearnableResizer

        return LearnableResizer
    raise AttributeError("module 'resizer_plugin' has no attribute {!r}".format(name))
