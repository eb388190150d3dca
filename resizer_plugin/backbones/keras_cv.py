"""The ``keras_cv`` family: keras-cv backbone classes built from constructor arguments, offline (keras-cv's preset
aliases download their weights, so they are not offered)."""
from ..compat import import_keras_3_library
from ..zoo.contract import BackboneFamily, Option, mapping

__all__ = ["keras_cv"]

_MODELS = ("DenseNetBackbone", "ResNetBackbone", "ResNetV2Backbone", "MobileNetV3Backbone", "CSPDarkNetBackbone",
           "EfficientNetV2Backbone")


def _build(model, options, spec):
    models = import_keras_3_library("keras_cv", "keras-cv", "keras-cv").models
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
