"""Run by ``zoo export`` in a fresh process: load one artifact with its own runtime, write its outputs for the given
images, and time it at batch 1 and 16. ONNX artifacts are loaded without TensorFlow, and TFLite ones too where
LiteRT is installed (else with ``tf.lite.Interpreter``).

    python -m resizer_plugin.zoo.export_check FORMAT ARTIFACT IMAGES.npy OUTPUTS.npy TIMING.json [GROUP:NAME ...]

``GROUP:NAME`` are the entry points of the recipe's plugins: loading them registers the classes a ``.keras`` file
names (the learnable resizer, say), and nothing else is given to Keras to load it. For ``backbone`` (a weights
file) the one argument after them is a JSON file naming the backbone: it is built with the file as its
``weights`` option, and run on what the stages gave.
"""
import importlib.util
import json
import statistics
import sys
import time

import numpy as np

__all__ = ["RUNNERS", "images_per_second", "main", "tflite_interpreter"]


def _keras(path, plugins):
    from ..compat import keras
    from .registry import Registry

    for plugin in plugins:
        group, name = plugin.split(":", 1)
        Registry(group).load(name)
    model = keras.models.load_model(path, compile=False)
    return lambda images: np.asarray(model(images, training=False))


def _savedmodel(path, plugins):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)  # run holds it: TensorFlow 2.6 frees the variables with it, signatures or not
    input_name = list(loaded.signatures["serving_default"].structured_input_signature[1])[0]

    def run(images):
        outputs = loaded.signatures["serving_default"](**{input_name: tf.constant(images)})
        return next(iter(outputs.values())).numpy()
    return run


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


def _tflite(path, plugins):
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


def _onnx(path, plugins):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    return lambda images: session.run(None, {input_name: images})[0]


def _backbone(path, plugins):
    from .contract import ImageSpec
    from .registry import Registry

    with open(plugins[0]) as handle:
        spec = json.load(handle)
    family = Registry("zoo.backbones").load(spec["family"])
    backbone = family.build(spec["model"], family.validate(dict(spec["options"], weights=path)),
                            ImageSpec(*spec["input"]))
    return lambda inputs: np.asarray(backbone(inputs, training=False))


#: format -> loader(path, plugins) -> run(inputs: uint8 images, or the stages' output) -> float32 outputs
RUNNERS = {"keras": _keras, "savedmodel": _savedmodel, "tflite": _tflite, "onnx": _onnx, "backbone": _backbone}


def images_per_second(run, images, batch_size, repeats):
    """Median images/s of ``run`` on a batch of ``batch_size`` of ``images`` (repeated to fill it), after one
    untimed call."""
    batch = np.resize(images, (batch_size,) + images.shape[1:])
    run(batch)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(batch)
        seconds.append(time.perf_counter() - start)
    return batch_size / statistics.median(seconds)


def main(argv=None):
    fmt, artifact, images_file, outputs_file, timing_file, *plugins = argv if argv is not None else sys.argv[1:]
    run = RUNNERS[fmt](artifact, plugins)
    images = np.load(images_file)
    outputs = np.concatenate([run(images[i:i + 16]) for i in range(0, len(images), 16)])
    np.save(outputs_file, outputs.astype(np.float32))
    speed = {"batch_1": images_per_second(run, images, 1, 20), "batch_16": images_per_second(run, images, 16, 5)}
    with open(timing_file, "w") as handle:
        json.dump(speed, handle)


if __name__ == "__main__":
    main()
