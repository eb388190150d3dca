"""The ``keras_hub`` family: keras-hub's image backbone classes (the maintained successor of keras-cv) built from
constructor arguments, offline: presets download their weights, so they are not offered; ``weights:`` loads a
local weights file instead."""
from ..compat import import_keras_3_library
from ..zoo.contract import BackboneFamily, Option, load_weights_file, mapping, optional, path

__all__ = ["keras_hub"]

#: the classes offered (each built and trained a step in the tests); ViTBackbone gives tokens, the others a map
_MODELS = ("ResNetBackbone", "DenseNetBackbone", "MobileNetBackbone", "EfficientNetBackbone", "ViTBackbone")
#: the classes whose input size argument is ``input_shape`` (the others take ``image_shape``)
_INPUT_SHAPE_ARGUMENT = ("EfficientNetBackbone",)


def _build(model, options, spec):
    models = import_keras_3_library("keras_hub", "keras-hub", "keras-hub").models
    args = dict(options["args"])
    shape_argument = "input_shape" if model in _INPUT_SHAPE_ARGUMENT else "image_shape"
    args[shape_argument] = (spec.height, spec.width, spec.channels)
    try:
        backbone = getattr(models, model)(**args)
    except (TypeError, ValueError) as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ValueError("keras_hub.models.{} rejects args {}: {}".format(model, options["args"], first_line))
    if options["weights"] is not None:
        load_weights_file(backbone, options["weights"], "keras_hub.models." + model)
    return backbone


keras_hub = BackboneFamily(
    "keras_hub", models=_MODELS, build=_build,
    options={"args": Option(mapping(), {}, "constructor arguments, e.g. stackwise_num_repeats: [6, 12, 24, 16] "
                                           "(the input size comes from the stage before)"),
             "weights": Option(optional(path()), None, "null (random init) or a local weights file of the same "
                                                        "backbone (backbone.save_weights)")},
    description="keras-hub backbone classes built from constructor arguments (presets download: not used)")
