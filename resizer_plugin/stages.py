"""The stages this package registers in ``zoo.stages`` (see setup.py), exactly as a third-party plugin would."""
import inspect

from .compat import keras
from .layers import INTERPOLATIONS, LearnableResizer, MullerResizer, Resize
from .zoo.contract import ImageSpec, Option, Stage, StageConfigError, boolean, choice, integer, number, size2d

__all__ = ["rescale", "resize", "learnable_resizer", "muller_resizer", "random_flip", "random_crop", "random_rotation",
           "random_contrast", "random_brightness", "rand_augment"]

_DEFAULT_TARGET = (150, 150)
#: the learnable resizer's width n: up to 16x the paper's 16 (each feature map of a 32-image batch at 224x224 is then
#: 1.6 GB); and its residual blocks r (default 1), each a few more feature maps of the output's size
MAX_FILTERS, MAX_RES_BLOCKS = 256, 16


def _resize_options():
    return {
        "target_size": Option(size2d(), _DEFAULT_TARGET, "output [height, width]"),
        "interpolation": Option(choice(INTERPOLATIONS), "bilinear", "resize method: " + ", ".join(INTERPOLATIONS)),
        "antialias": Option(boolean(), False, "anti-alias when down-scaling"),
    }


def _resized_spec(options, input_spec):
    return ImageSpec(options["target_size"][0], options["target_size"][1], input_spec.channels)


def _same_spec(layer_of_options):
    """A stage builder for a layer that keeps the image's size and channels."""
    return lambda options, input_spec: (layer_of_options(options), input_spec)


def _build_resize(options, input_spec):
    layer = Resize(options["target_size"], options["interpolation"], options["antialias"])
    return layer, _resized_spec(options, input_spec)


def _build_learnable_resizer(options, input_spec):
    layer = LearnableResizer(**options)
    return layer, _resized_spec(options, input_spec)


def _build_muller_resizer(options, input_spec):
    return MullerResizer(**options), _resized_spec(options, input_spec)


#: the Gaussian kernel's side: odd, up to 31 (about 6 standard deviations of a 5-pixel blur)
_KERNEL_SIDE = integer(min=1, max=31)


def _odd_kernel_side(value):
    value = _KERNEL_SIDE(value)
    if value % 2 == 0:
        raise ValueError("must be odd")
    return value


_odd_kernel_side.bounds = _KERNEL_SIDE.bounds


rescale = Stage(
    "rescale", build=_same_spec(lambda o: keras.layers.Rescaling(o["scale"], o["offset"])), trainable=False,
    options={"scale": Option(number(), 1.0 / 255.0, "multiplier (1/255 maps uint8 pixels to [0, 1])"),
             "offset": Option(number(), 0.0, "added after scaling")},
    description="pixels * scale + offset, as float")

resize = Stage(
    "resize", build=_build_resize, trainable=False, options=_resize_options(),
    description="naive resize to target_size (no weights)")

learnable_resizer = Stage(
    "learnable_resizer", build=_build_learnable_resizer, trainable=True,
    options=dict(_resize_options(),
                 filters=Option(integer(min=1, max=MAX_FILTERS), 16, "width n of the inner convolutions"),
                 num_res_blocks=Option(integer(min=0, max=MAX_RES_BLOCKS), 1, "residual blocks r, chained"),
                 zero_init_residual=Option(boolean(), False, "start the last convolution at zero: the untrained "
                                                             "stage is the naive resize")),
    description="learnable resizer of Talebi & Milanfar (ICCV 2021), trained with the backbone")

muller_resizer = Stage(
    "muller_resizer", build=_build_muller_resizer, trainable=True,
    options=dict(_resize_options(),
                 num_layers=Option(integer(min=1, max=8), 2, "Laplacian layers (paper: 2), two parameters each"),
                 kernel_size=Option(_odd_kernel_side, 5, "side of the Gaussian kernel, odd (paper: 5)"),
                 stddev=Option(number(min=0, min_exclusive=True), 1.0, "its standard deviation, pixels (paper: 1.0)")),
    description="MULLER, the multilayer Laplacian resizer of Tu, Milanfar & Talebi (ICCV 2023): 2 parameters per layer")


# Augmentations: Keras' own preprocessing layers, random in training and the identity at inference. They go after
# ``rescale``, before the resizer: [rescale, random_flip, random_crop, learnable_resizer].

def _value_range(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError("must be [low, high]")
    low, high = (number()(v) for v in value)
    if not low < high:
        raise ValueError("low must be below high")
    return [float(low), float(high)]


def _value_range_option():
    return Option(_value_range, [0.0, 1.0], "the pixel range coming in ([0, 1] after rescale)")


def _fraction(default, help_text):
    return Option(number(min=0, max=1, min_exclusive=True), default, help_text)


def _with_value_range(layer_class, options, **kwargs):
    """``layer_class`` given ``value_range`` where it takes one (tf.keras 2's RandomContrast does not)."""
    if "value_range" in inspect.signature(layer_class.__init__).parameters:
        kwargs["value_range"] = tuple(options["value_range"])
    return layer_class(options["factor"], **kwargs)


def _random_crop(options):
    fraction = options["fraction"]
    if options["mode"] == "shift":
        return keras.layers.RandomTranslation(fraction, fraction, fill_mode="reflect")
    return keras.layers.RandomZoom((-fraction, 0.0), fill_mode="reflect")


#: the augmentation layers newer than the oldest Keras this package runs on (tf.keras 2.6): the Keras that brought each
LAYERS_SINCE = {"RandomBrightness": "2.9", "RandAugment": "3"}


def _keras_layer(stage, name):
    """``keras.layers.<name>``; StageConfigError naming the Keras that brought it where this one is older."""
    if not hasattr(keras.layers, name):
        raise StageConfigError(stage, "type", "needs keras.layers.{} (Keras {} and later); this is Keras {}".format(
            name, LAYERS_SINCE[name], keras.__version__))
    return getattr(keras.layers, name)


def _rand_augment(options):
    return _keras_layer("rand_augment", "RandAugment")(tuple(options["value_range"]), num_ops=options["num_ops"],
                                                       factor=options["factor"])


def _random_brightness(options):
    return _with_value_range(_keras_layer("random_brightness", "RandomBrightness"), options)


random_flip = Stage(
    "random_flip", build=_same_spec(lambda o: keras.layers.RandomFlip(o["mode"])), trainable=False, augmentation=True,
    options={"mode": Option(choice(("horizontal", "vertical", "horizontal_and_vertical")), "horizontal",
                            "which flips")},
    description="flip at random in training (Keras RandomFlip)")

random_crop = Stage(
    "random_crop", build=_same_spec(_random_crop), trainable=False, augmentation=True,
    options={"mode": Option(choice(("shift", "zoom")), "shift", "shift: pad then crop, as a translation by up to "
                                                                  "fraction of each side, borders reflected; zoom: a "
                                                                  "crop of down to 1 - fraction of each side, scaled "
                                                                  "back (scale-crop)"),
             "fraction": _fraction(0.1, "the largest shift or zoom, as a fraction of the side")},
    description="a random crop of the same size in training (Keras RandomTranslation or RandomZoom)")

random_rotation = Stage(
    "random_rotation", build=_same_spec(lambda o: keras.layers.RandomRotation(o["factor"], fill_mode="reflect")),
    trainable=False, augmentation=True,
    options={"factor": _fraction(0.05, "the largest rotation, as a fraction of a full turn")},
    description="rotate by a random angle in training, borders reflected (Keras RandomRotation)")

random_contrast = Stage(
    "random_contrast", build=_same_spec(lambda o: _with_value_range(keras.layers.RandomContrast, o)), trainable=False,
    augmentation=True, options={"factor": _fraction(0.2, "contrast scaled by 1 +- up to factor"),
                                "value_range": _value_range_option()},
    description="scale the contrast at random in training (Keras RandomContrast)")

random_brightness = Stage(
    "random_brightness", build=_same_spec(_random_brightness),
    trainable=False, augmentation=True, options={"factor": _fraction(0.2, "brightness shifted by up to factor of "
                                                                            "the value range"),
                                                 "value_range": _value_range_option()},
    description="shift the brightness at random in training (Keras RandomBrightness)")

rand_augment = Stage(
    "rand_augment", build=_same_spec(_rand_augment), trainable=False, augmentation=True,
    options={"num_ops": Option(integer(min=1, max=11), 2, "operations applied to each image (Keras' RandAugment "
                                                           "draws them from 11 kinds)"),
             "factor": _fraction(0.5, "strength of each operation"), "value_range": _value_range_option()},
    description="RandAugment in training (Keras 3's RandAugment)")

