"""``zoo predict``: a run's model on image files, each resized as the recipe's pipeline resizes images."""
import os
from typing import List, NamedTuple, Tuple

import numpy as np
import tensorflow as tf

from ..compat import to_numpy
from ..images import image_problem
from .training.pipeline import to_uint8_image

__all__ = ["Predictions", "collect_files", "predict"]


class Predictions(NamedTuple):
    """``rows``: (file, [(class, probability)] best first); ``skipped``: (file, reason); ``images``: the uint8
    images the model saw, in the order of ``rows``."""
    rows: List[Tuple[str, List[Tuple[str, float]]]]
    skipped: List[Tuple[str, str]]
    images: np.ndarray


def collect_files(paths):
    """The files named, and every file under the folders named (sorted, hidden ones left out; linked folders not
    followed); ``(files, missing)`` where ``missing`` are the paths that do not exist. A file may be no regular
    file (a FIFO, say): ``image_problem`` says so without reading it."""
    files, missing = [], []
    for path in paths:
        if os.path.isdir(path):
            for directory, _, names in sorted(os.walk(path)):
                files += [os.path.join(directory, n) for n in sorted(names) if not n.startswith(".")]
        elif os.path.lexists(path):
            files.append(path)
        else:
            missing.append(path)
    return files, missing


def _top(probabilities, class_names, top_k):
    order = np.argsort(-probabilities)[:top_k]
    return [(class_names[k], float(probabilities[k])) for k in order]


def predict(run, files, top_k=3):
    """Predictions of the opened ``run`` (finished_run.FinishedRun) for ``files``; files that are not images
    TensorFlow decodes are skipped with the reason."""
    data = run.recipe.data
    problems = [(path, image_problem(path)) for path in files]
    readable = [path for path, reason in problems if reason is None]
    skipped = [(path, reason) for path, reason in problems if reason is not None]
    images = np.stack([to_uint8_image(tf.io.read_file(p), data.image_size, data.antialias).numpy()
                       for p in readable]) if readable else np.zeros((0,) + tuple(data.image_size) + (3,), np.uint8)
    rows = []
    with run.session.computation_scope():
        for start in range(0, len(readable), data.batch_size):
            batch = run.model.model(images[start:start + data.batch_size], training=False)
            rows += [(path, _top(p, run.class_names, top_k)) for path, p in
                     zip(readable[start:start + data.batch_size], to_numpy(batch).astype(np.float32))]
    return Predictions(rows, skipped, images)
