"""Backbone families (the ``zoo.backbones`` group): keras.applications, keras-cv, and a small CNN.

A recipe names a backbone ``family/Model`` (``keras.applications/DenseNet121``) or just ``family`` when the
family has one model (``small_cnn``). Every backbone is built without its classifier and returns a feature map;
the recipe's head (pooling, dropout, a Dense sized from the dataset's classes) goes on top. Nothing is downloaded:
weights are ``null`` (random) or a local file.
"""
import os

from ..compat import IS_KERAS_3, keras
from .contract import BackboneFamily, Option, integer, number, optional, path

__all__ = ["keras_applications", "keras_cv", "small_cnn"]


def _weights(options):
    weights = options["weights"]
    if weights is not None and not os.path.isfile(weights):
        raise ValueError("weights file {} does not exist (weights must be null or a local file: nothing is "
                         "downloaded)".format(weights))
    return weights


_APPLICATIONS = (["DenseNet121", "DenseNet169", "DenseNet201", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2",
                  "ResNet101V2", "ResNet152V2", "MobileNet", "MobileNetV2", "VGG16", "VGG19"]
                 + ["EfficientNetB{}".format(i) for i in range(8)])


def _build_application(model, options, spec):
    kwargs = dict(include_top=False, weights=_weights(options), input_shape=(spec.height, spec.width, spec.channels))
    if options["alpha"] is not None:
        if not model.startswith("MobileNet"):
            raise ValueError("alpha applies to MobileNet models only, not {}".format(model))
        kwargs["alpha"] = options["alpha"]
    return getattr(keras.applications, model)(**kwargs)


keras_applications = BackboneFamily(
    "keras.applications", models=_APPLICATIONS, build=_build_application,
    options={"weights": Option(optional(path()), None, "null (random init) or a local weights file (no top)"),
             "alpha": Option(optional(number(min=0, min_exclusive=True)), None, "MobileNet width multiplier")},
    description="keras.applications models without their top (weights: null or a local file)")


_KERAS_CV = ("DenseNetBackbone", "ResNetBackbone", "ResNetV2Backbone", "MobileNetV3Backbone", "CSPDarkNetBackbone",
             "EfficientNetV2Backbone")


def _build_keras_cv(model, options, spec):
    if not IS_KERAS_3:
        raise ValueError("keras-cv backbones need Keras 3; this run uses Keras {} (unset TF_USE_LEGACY_KERAS or "
                         "pick a keras.applications backbone)".format(keras.__version__))
    try:
        import keras_cv as kcv
    except ImportError as error:
        raise ValueError("keras-cv is not installed: pip install 'resizer-plugin[keras-cv]' ({})".format(error))
    args = dict(options["args"])
    args.setdefault("include_rescaling", False)
    args["input_shape"] = (spec.height, spec.width, spec.channels)
    try:
        return getattr(kcv.models, model)(**args)
    except TypeError as error:
        raise ValueError("keras_cv.models.{} rejects args {}: {}".format(model, options["args"], error))


def _mapping(value):
    if not isinstance(value, dict):
        raise TypeError("must be a mapping of constructor arguments")
    return dict(value)


keras_cv = BackboneFamily(
    "keras_cv", models=_KERAS_CV, build=_build_keras_cv,
    options={"args": Option(_mapping, {}, "constructor arguments, e.g. stackwise_num_repeats: [6, 12, 24, 16]")},
    description="keras-cv backbone classes built from constructor arguments (preset aliases download: not used)")


def _build_small_cnn(model, options, spec):
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
    "small_cnn", build=_build_small_cnn,
    options={"filters": Option(integer(min=1), 16, "filters of the first block, doubled each block"),
             "blocks": Option(integer(min=1, max=6), 3, "conv-BN-ReLU-maxpool blocks")},
    description="a small conv net for quick runs and tests")
