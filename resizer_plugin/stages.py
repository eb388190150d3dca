"""The stages this package registers in ``zoo.stages`` (see setup.py), exactly as a third-party plugin would."""
from .compat import keras
from .layers import INTERPOLATIONS, LearnableResizer, Resize
from .zoo.contract import ImageSpec, Option, Stage, boolean, choice, integer, number, size2d

__all__ = ["rescale", "resize", "learnable_resizer"]

_DEFAULT_TARGET = (150, 150)


def _resize_options():
    return {
        "target_size": Option(size2d(), _DEFAULT_TARGET, "output [height, width]"),
        "interpolation": Option(choice(INTERPOLATIONS), "bilinear", "resize method: " + ", ".join(INTERPOLATIONS)),
        "antialias": Option(boolean(), False, "anti-alias when down-scaling"),
    }


def _resized_spec(options, input_spec):
    return ImageSpec(options["target_size"][0], options["target_size"][1], input_spec.channels)


def _build_rescale(options, input_spec):
    return keras.layers.Rescaling(options["scale"], options["offset"]), input_spec


def _build_resize(options, input_spec):
    layer = Resize(options["target_size"], options["interpolation"], options["antialias"])
    return layer, _resized_spec(options, input_spec)


def _build_learnable_resizer(options, input_spec):
    layer = LearnableResizer(**options)
    return layer, _resized_spec(options, input_spec)


rescale = Stage(
    "rescale", _build_rescale, trainable=False,
    options={"scale": Option(number(), 1.0 / 255.0, "multiplier (1/255 maps uint8 pixels to [0, 1])"),
             "offset": Option(number(), 0.0, "added after scaling")},
    description="pixels * scale + offset, as float")

resize = Stage(
    "resize", _build_resize, trainable=False, options=_resize_options(),
    description="naive resize to target_size (no weights)")

learnable_resizer = Stage(
    "learnable_resizer", _build_learnable_resizer, trainable=True,
    options=dict(_resize_options(),
                 filters=Option(integer(min=1), 16, "width n of the inner convolutions"),
                 num_res_blocks=Option(integer(min=0), 1, "residual blocks r, chained")),
    description="learnable resizer of Talebi & Milanfar (ICCV 2021), trained with the backbone")
