"""The formats ``zoo export`` writes, one row each: its name, its file, the tools it needs, how it is written and how
the fresh process of ``check`` loads and runs it. The writer, the check and ``--format``'s help all read
:data:`FORMATS`; nothing else names a format.

This module imports neither TensorFlow nor Keras when it loads: the check process runs ONNX artifacts (and TFLite
ones, where LiteRT is installed) without them.
"""
import importlib.util
import json
import os
import shutil
from typing import Callable, NamedTuple, Tuple

import numpy as np

__all__ = ["BY_NAME", "FORMATS", "ExportFormat", "ONNX_OPSET", "QUANTIZATIONS", "names", "saved_model",
           "tflite_interpreter"]

#: the newest opset every onnxruntime this package meets runs: 1.10, the last for TensorFlow 2.6's NumPy, stops at 15
ONNX_OPSET = 15
#: what ``--quantize`` makes of the TFLite artifact
QUANTIZATIONS = ("float16", "dynamic-int8")


class ExportFormat(NamedTuple):
    """One artifact kind. ``write(built, path, workdir, quantize)`` writes the run's model (a RecipeModel) to
    ``path``; ``load(path, plugins)`` (in the check's fresh process) returns ``run(inputs) -> float32 outputs``;
    ``tools``: modules it needs besides TensorFlow, any one of each tuple's alternatives; ``backends``: the Keras
    backends it is written from."""
    name: str
    file: str
    help: str
    write: Callable
    load: Callable
    tools: Tuple[Tuple[str, ...], ...] = ()
    backends: Tuple[str, ...] = ("tensorflow", "jax")

    def file_name(self, quantize=None):
        """The artifact's name in the export folder: ``{model_suffix}`` is what ``Model.save`` writes here (.keras
        from Keras 2.13 on, .h5 before); a quantized TFLite file's name carries its quantization."""
        name = self.file
        if "{model_suffix}" in name:
            from ...compat import MODEL_FILE_SUFFIX
            name = name.format(model_suffix=MODEL_FILE_SUFFIX)
        return name.replace(".tflite", "_{}.tflite".format(quantize.replace("-", "_"))) if quantize else name

    def missing_tools(self):
        """The first alternative of each needed tool none of whose alternatives is installed."""
        return [names[0] for names in self.tools
                if not any(importlib.util.find_spec(name) is not None for name in names)]


def saved_model(model, workdir):
    """``model`` exported once per ``zoo export`` as a SavedModel in ``workdir`` (the savedmodel artifact is a copy
    of it, and the TFLite converter reads it)."""
    from ...compat import export_saved_model

    path = os.path.join(workdir, "saved_model")
    if not os.path.isdir(path):
        export_saved_model(model, path)
    return path


def tflite_interpreter():
    """The TFLite interpreter class: LiteRT's (``ai_edge_litert``, TensorFlow not needed) where it is installed,
    else TensorFlow's own ``tf.lite.Interpreter`` (LiteRT needs NumPy >= 1.23, which TensorFlow 2.6 refuses); None
    without either."""
    if importlib.util.find_spec("ai_edge_litert") is not None:
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter
    if importlib.util.find_spec("tensorflow") is not None:
        import tensorflow as tf
        return getattr(getattr(tf, "lite", None), "Interpreter", None)
    return None


# Writers: (built, path, workdir, quantize) -> None

def _write_keras(built, path, workdir, quantize):
    built.model.save(path)


def _write_savedmodel(built, path, workdir, quantize):
    shutil.copytree(saved_model(built.model, workdir), path)


def _write_tflite(built, path, workdir, quantize):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model(built.model, workdir))
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    with open(path, "wb") as handle:
        handle.write(converter.convert())


def _write_onnx(built, path, workdir, quantize):
    import tensorflow as tf
    import tf2onnx

    model = built.model
    signature = (tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.uint8, name="image"),)
    function = tf.function(lambda image: model(image, training=False))
    tf2onnx.convert.from_function(function, input_signature=signature, opset=ONNX_OPSET, output_path=path)


def _write_backbone(built, path, workdir, quantize):
    built.backbone.save_weights(path)


# Loaders, in the check's fresh process: (path, plugins) -> run(inputs) -> outputs

def _load_keras(path, plugins):
    from ...compat import keras
    from ..config.registry import REGISTRIES

    for plugin in plugins:  # group:name of the recipe's plugins: importing them registers their Keras classes
        group, name = plugin.split(":", 1)
        REGISTRIES[group].load(name)
    model = keras.models.load_model(path, compile=False)
    return lambda images: np.asarray(model(images, training=False))


def _load_savedmodel(path, plugins):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)  # run holds it: TensorFlow 2.6 frees the variables with it, signatures or not
    input_name = list(loaded.signatures["serving_default"].structured_input_signature[1])[0]

    def run(images):
        outputs = loaded.signatures["serving_default"](**{input_name: tf.constant(images)})
        return next(iter(outputs.values())).numpy()
    return run


def _load_tflite(path, plugins):
    interpreter = tflite_interpreter()(model_path=path)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    allocated = [None]

    def run(images):
        if allocated[0] != images.shape:  # resizing reallocates: only when the batch size changes
            interpreter.resize_tensor_input(input_index, images.shape)
            interpreter.allocate_tensors()
            allocated[0] = images.shape
        interpreter.set_tensor(input_index, images)
        interpreter.invoke()
        return interpreter.get_tensor(output_index).copy()
    return run


def _load_onnx(path, plugins):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    return lambda images: session.run(None, {input_name: images})[0]


def _load_backbone(path, plugins):
    """``plugins``: one JSON file naming the backbone (family, model, options, input size), built with the weights
    file as its ``weights`` option, as a recipe would; run on what the stages give."""
    from ..config.registry import backbones
    from ..contract import ImageSpec

    with open(plugins[0]) as handle:
        spec = json.load(handle)
    family = backbones.load(spec["family"])
    backbone = family.build(spec["model"], family.validate(dict(spec["options"], weights=path)),
                            ImageSpec(*spec["input"]))
    return lambda inputs: np.asarray(backbone(inputs, training=False))


FORMATS = (
    ExportFormat("keras", "model{model_suffix}", "a Keras model file (Model.save)", _write_keras, _load_keras),
    ExportFormat("savedmodel", "saved_model", "a TensorFlow SavedModel, signature serving_default", _write_savedmodel,
                 _load_savedmodel),
    ExportFormat("tflite", "model.tflite", "TFLite, built-in ops only", _write_tflite, _load_tflite,
                 (("ai_edge_litert", "tensorflow"),)),  # LiteRT, else tf.lite.Interpreter
    ExportFormat("onnx", "model.onnx", "ONNX, opset {} (needs the [export] extra)".format(ONNX_OPSET), _write_onnx,
                 _load_onnx, (("tf2onnx",), ("onnxruntime",)), backends=("tensorflow",)),  # tf2onnx converts tf.function
    ExportFormat("backbone", "backbone.weights.h5", "the backbone's weights alone, for a recipe's "
                 "model.backbone.weights", _write_backbone, _load_backbone),
)
BY_NAME = {f.name: f for f in FORMATS}


def names():
    """The formats' names, in the table's order."""
    return [f.name for f in FORMATS]
