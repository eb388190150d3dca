"""The learnable resizer's Keras layers, one public class per module (keras-hub style).

``LearnableResizer`` is the resizer, ``MullerResizer`` its lightweight successor (MULLER); ``ResidualBlock`` and
``FusedBatchNormalization`` are its parts; ``Resize`` and ``resize_images`` the naive resize it is added to.
``conv_forms`` chooses which forms its convolutions take. They compute with ``compat.ops`` on any Keras backend.
"""
from ._conv_forms import CONV_FORMS, conv_forms
from .fused_batch_norm import FusedBatchNormalization
from .learnable_resizer import LearnableResizer
from .muller_resizer import MullerResizer
from .residual_block import ResidualBlock
from .resize import INTERPOLATIONS, Resize, resize_images

__all__ = ["LearnableResizer", "MullerResizer", "ResidualBlock", "FusedBatchNormalization", "Resize", "resize_images",
           "INTERPOLATIONS", "conv_forms", "CONV_FORMS"]
