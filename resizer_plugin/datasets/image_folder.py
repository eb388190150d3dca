"""The ``image_folder`` source: image files, one sub-folder per class; unreadable files are skipped and counted."""
import concurrent.futures
import os
from typing import List, NamedTuple

import numpy as np

from ..images import image_problem
from ..zoo.contract import (NOTHING_SKIPPED, DataError, DatasetInfo, DatasetSource, Option, SkippedInputs, integer,
                            path, split_options, take_split)

__all__ = ["image_folder"]

class _Scan(NamedTuple):
    paths: List[str]
    labels: List[int]
    skipped: SkippedInputs


def _classes(folder):
    if not os.path.isdir(folder):
        raise DataError("image folder {} does not exist; it needs one sub-folder per class "
                        "(e.g. PetImages/Cat, PetImages/Dog)".format(folder), key="data_dir")
    names = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)) and not d.startswith("."))
    if len(names) < 2:
        raise DataError("image folder {} has {} class sub-folder(s); it needs one per class, at least two".format(
            folder, len(names)), key="data_dir")
    return names


def _candidates(folder, class_names):
    """(path, label) of every file under the class sub-folders, in a fixed order."""
    found = []
    for label, name in enumerate(class_names):
        for directory, _, files in sorted(os.walk(os.path.join(folder, name))):
            found += [(os.path.join(directory, f), label) for f in sorted(files) if not f.startswith(".")]
    return found


def _scan_folder(folder):
    candidates = _candidates(folder, _classes(folder))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        problems = list(pool.map(lambda c: image_problem(c[0]), candidates))
    skipped = {}
    for (file_path, _), problem in zip(candidates, problems):
        if problem:
            skipped.setdefault(problem, []).append(file_path)
    good = [c for c, p in zip(candidates, problems) if p is None]
    if not good:
        raise DataError("image folder {} holds no readable image".format(folder), key="data_dir")
    return _Scan([p for p, _ in good], [l for _, l in good], SkippedInputs(skipped, len(candidates)))


_SCANS = {}


def _scan(folder):
    """Scan once per process: a run asks for both splits and the class names."""
    if folder not in _SCANS:
        _SCANS[folder] = _scan_folder(folder)
    return _SCANS[folder]


def _describe(options):
    return DatasetInfo(_classes(options["data_dir"]), options["data_dir"])


def _load(options, split, seed):
    import tensorflow as tf

    scan = _scan(options["data_dir"])
    order = np.random.RandomState(options["split_seed"]).permutation(len(scan.paths))
    chosen = take_split(split, {"train": len(order)}, lambda name: order)
    paths = tf.constant([scan.paths[i] for i in chosen])
    labels = tf.constant([scan.labels[i] for i in chosen], dtype=tf.int64)
    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    return dataset.map(lambda p, l: (tf.io.read_file(p), l), num_parallel_calls=tf.data.AUTOTUNE)


def _skipped(options):
    scan = _SCANS.get(options["data_dir"])
    return scan.skipped if scan else NOTHING_SKIPPED


image_folder = DatasetSource(
    "image_folder", describe=_describe, load=_load, skipped=_skipped,
    options=dict({"data_dir": Option(path(), help="folder with one sub-folder of images per class"),
                  "split_seed": Option(integer(), 0, "seed of the fixed order the splits slice")},
                 **split_options("train[:80%]", "train[80%:]")),
    description="JPEG/PNG/GIF/BMP/WebP files, one sub-folder per class; unreadable files are skipped and counted")
