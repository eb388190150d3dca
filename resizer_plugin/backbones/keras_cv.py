"""The ``keras_cv`` family: keras-cv backbone classes built from constructor arguments, offline (keras-cv's preset
aliases download their weights, so they are not offered)."""
from ..compat import IS_KERAS_3, keras
from ..zoo.contract import BackboneFamily, Option, mapping

__all__ = ["keras_cv"]

_MODELS = ("DenseNetBackbone", "ResNetBackbone", "ResNetV2Backbone", "MobileNetV3Backbone", "CSPDarkNetBackbone",
           "EfficientNetV2Backbone")


def _import_keras_cv():
    if not IS_KERAS_3:
        raise ValueError("keras-cv backbones need Keras 3; this run uses Keras {} (unset TF_USE_LEGACY_KERAS or "
                         "pick a keras.applications backbone)".format(keras.__version__))
    try:
        import keras_cv
    except ImportError as error:
        raise ValueError("keras-cv is not installed: pip install 'resizer-plugin[keras-cv]' ({})".format(error))
    return keras_cv


def _build(model, options, spec):
    models = _import_keras_cv().models
    args = dict(options["args"])
    args.setdefault("include_rescaling", False)
    args["input_shape"] = (spec.height, spec.width, spec.channels)
    try:
        return getattr(models, model)(**args)
    except TypeError as error:
        raise ValueError("keras_cv.models.{} rejects args {}: {}".format(model, options["args"], error))


keras_cv = BackboneFamily(
    "keras_cv", models=_MODELS, build=_build,
    options={"args": Option(mapping(), {}, "constructor arguments, e.g. stackwise_num_repeats: [6, 12, 24, 16]")},
    description="keras-cv backbone classes built from constructor arguments (preset aliases download: not used)")
