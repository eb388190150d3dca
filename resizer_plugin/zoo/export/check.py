"""Run by ``zoo export`` in a fresh process: load one artifact with its own runtime, write its outputs for the given
images, and time it at batch 1 and 16. ONNX artifacts are loaded without TensorFlow, and TFLite ones too where
LiteRT is installed (else with ``tf.lite.Interpreter``).

    python -m resizer_plugin.zoo.export.check FORMAT ARTIFACT IMAGES.npy OUTPUTS.npy TIMING.json [GROUP:NAME ...]

``GROUP:NAME`` are the entry points of the recipe's plugins: loading them registers the classes a ``.keras`` file
names (a stage's layer, say), and nothing else is given to Keras to load it. For ``backbone`` (a weights
file) the one argument after them is a JSON file naming the backbone: it is built with the file as its
``weights`` option, and run on what the stages gave.
"""
import json
import statistics
import sys
import time

import numpy as np

from ..training.children import die_with_parent
from .formats import BY_NAME

__all__ = ["images_per_second", "main"]


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
    die_with_parent()  # before anything slow: zoo export killed, this process ends and removes its files
    fmt, artifact, images_file, outputs_file, timing_file, *plugins = argv if argv is not None else sys.argv[1:]
    run = BY_NAME[fmt].load(artifact, plugins)
    images = np.load(images_file)
    outputs = np.concatenate([run(images[i:i + 16]) for i in range(0, len(images), 16)])
    np.save(outputs_file, outputs.astype(np.float32))
    speed = {"batch_1": images_per_second(run, images, 1, 20), "batch_16": images_per_second(run, images, 16, 5)}
    with open(timing_file, "w") as handle:
        json.dump(speed, handle)


if __name__ == "__main__":
    main()
