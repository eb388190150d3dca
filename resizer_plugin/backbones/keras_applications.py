"""The ``keras.applications`` family: Keras' application models without their top, random or local weights."""
from ..compat import keras
from ..zoo.contract import BackboneFamily, Option, load_weights_file, number, optional, path

__all__ = ["keras_applications"]

_MODELS = (["DenseNet121", "DenseNet169", "DenseNet201", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2",
            "ResNet101V2", "ResNet152V2", "MobileNet", "MobileNetV2", "VGG16", "VGG19"]
           + ["EfficientNetB{}".format(i) for i in range(8)])


def _build(model, options, spec):
    kwargs = dict(include_top=False, weights=None, input_shape=(spec.height, spec.width, spec.channels))
    if options["alpha"] is not None:
        if not model.startswith("MobileNet"):
            raise ValueError("alpha applies to MobileNet models only, not {}".format(model))
        kwargs["alpha"] = options["alpha"]
    backbone = getattr(keras.applications, model)(**kwargs)
    if options["weights"] is not None:
        load_weights_file(backbone, options["weights"], model + " without its top")
    return backbone


keras_applications = BackboneFamily(
    "keras.applications", models=_MODELS, build=_build,
    options={"weights": Option(optional(path()), None, "null (random init) or a local weights file (no top)"),
             "alpha": Option(optional(number(min=0, min_exclusive=True)), None, "MobileNet width multiplier")},
    description="keras.applications models without their top (weights: null or a local file)")
