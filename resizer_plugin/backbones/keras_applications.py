"""The ``keras.applications`` family: Keras' application models without their top, random or local weights."""
import os
import warnings

from ..compat import keras
from ..zoo.contract import BackboneFamily, Option, number, optional, path

__all__ = ["keras_applications"]

_MODELS = (["DenseNet121", "DenseNet169", "DenseNet201", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2",
            "ResNet101V2", "ResNet152V2", "MobileNet", "MobileNetV2", "VGG16", "VGG19"]
           + ["EfficientNetB{}".format(i) for i in range(8)])


def _weights(options):
    weights = options["weights"]
    if weights is not None and not os.path.isfile(weights):
        raise ValueError("weights file {} does not exist (weights must be null or a local file: nothing is "
                         "downloaded)".format(weights))
    return weights


def _load_weights(backbone, model, path):
    """Load a local weights file into the built ``backbone``; ValueError in one line when it does not fit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns once per layer it cannot match before it fails
            backbone.load_weights(path)
    except Exception as error:  # Keras raises ValueError, KeyError or h5py errors, with every layer listed
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ValueError("weights file {} does not fit {} without its top: {}".format(path, model, first_line))


def _build(model, options, spec):
    kwargs = dict(include_top=False, weights=None, input_shape=(spec.height, spec.width, spec.channels))
    if options["alpha"] is not None:
        if not model.startswith("MobileNet"):
            raise ValueError("alpha applies to MobileNet models only, not {}".format(model))
        kwargs["alpha"] = options["alpha"]
    weights = _weights(options)
    backbone = getattr(keras.applications, model)(**kwargs)
    if weights is not None:
        _load_weights(backbone, model, weights)
    return backbone


keras_applications = BackboneFamily(
    "keras.applications", models=_MODELS, build=_build,
    options={"weights": Option(optional(path()), None, "null (random init) or a local weights file (no top)"),
             "alpha": Option(optional(number(min=0, min_exclusive=True)), None, "MobileNet width multiplier")},
    description="keras.applications models without their top (weights: null or a local file)")
