"""The ``image_folder`` source: image files, one sub-folder per class; unusable files are skipped and counted.

The folder is scanned once (``resizer_plugin.folder_scan``: headers only, cached, one scan per launch). A file that
passes the header check but that TensorFlow does not decode (its body cut short, say) is found in the pipeline: each
file is decoded once more, to check it, the first time this process reads it; one that fails is recorded with the
scan's skips, and its place in the split is taken by the next file of the same split that decodes, with that file's
label. So a split keeps its length (the host's steps per epoch), no file crosses from one split to the other, and the
pipeline carries encoded bytes, as before: the host's shuffle buffer holds no decoded images.
"""
import os
from typing import Dict, NamedTuple

import numpy as np

from ..folder_scan import FolderScan, scan_folder
from ..images import decode_problem, undecodable_formats
from ..zoo.contract import (NOTHING_SKIPPED, DataError, DatasetInfo, DatasetSource, Option, SkippedInputs, integer,
                            path, split_options, take_split)

__all__ = ["image_folder"]


class _Scanned(NamedTuple):
    """A folder's scan and the files of it found undecodable in this process (path -> reason)."""
    scan: FolderScan
    undecodable: Dict[str, str]


def _classes(folder):
    if not os.path.isdir(folder):
        raise DataError("image folder {} does not exist; it needs one sub-folder per class "
                        "(e.g. PetImages/Cat, PetImages/Dog)".format(folder), key="data_dir")
    names = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)) and not d.startswith("."))
    if len(names) < 2:
        raise DataError("image folder {} has {} class sub-folder(s); it needs one per class, at least two".format(
            folder, len(names)), key="data_dir")
    return names


def _scan_folder(folder):
    try:
        scan = scan_folder(folder, _classes(folder), undecodable_formats())
    except TimeoutError as error:
        raise DataError(str(error), key="data_dir")
    if not scan.paths:
        raise DataError("image folder {} holds no readable image".format(folder), key="data_dir")
    return _Scanned(scan, {})


_SCANS = {}


def _scan(folder):
    """Scan once per process: a run asks for both splits and the class names."""
    if folder not in _SCANS:
        _SCANS[folder] = _scan_folder(folder)
    return _SCANS[folder]


class _Decodable:
    """A split's position -> the position of the first file from it on (wrapping around) that TensorFlow decodes.
    Each file is checked once; a failure goes to ``undecodable``."""

    def __init__(self, paths, undecodable):
        self.paths, self.undecodable = paths, undecodable
        self.decodes = np.zeros(len(paths), np.int8)  # 0: not checked yet, 1: decodes, -1: does not

    def _check(self, index):
        try:
            with open(self.paths[index], "rb") as handle:
                problem = decode_problem(handle.read())
        except OSError as error:
            problem = "unreadable ({})".format(error.strerror)
        if problem:
            self.undecodable[self.paths[index]] = problem
        return -1 if problem else 1

    def __call__(self, position):
        for step in range(len(self.paths)):
            index = (int(position) + step) % len(self.paths)
            if not self.decodes[index]:
                self.decodes[index] = self._check(index)
            if self.decodes[index] > 0:
                return index
        raise DataError("none of the {} files of this split decodes (first: {})".format(
            len(self.paths), self.paths[0]), key="data_dir")


def _describe(options):
    return DatasetInfo(_classes(options["data_dir"]), options["data_dir"])


def _load(options, split, seed):
    import tensorflow as tf

    scan = _scan(options["data_dir"])
    order = np.random.RandomState(options["split_seed"]).permutation(len(scan.scan.paths))
    chosen = take_split(split, {"train": len(order)}, lambda name: order)
    paths = [scan.scan.paths[i] for i in chosen]
    decodable = _Decodable(paths, scan.undecodable)
    path_of, label_of = tf.constant(paths), tf.constant(scan.scan.labels[chosen])

    def read(position):
        index = tf.py_function(decodable, [position], tf.int64)
        index.set_shape(())
        return tf.io.read_file(tf.gather(path_of, index)), tf.gather(label_of, index)

    return tf.data.Dataset.range(len(paths)).map(read, num_parallel_calls=tf.data.AUTOTUNE)


def _skipped(options):
    scanned = _SCANS.get(options["data_dir"])
    if not scanned:
        return NOTHING_SKIPPED
    by_reason = {reason: list(paths) for reason, paths in scanned.scan.skipped.items()}
    for file_path, reason in sorted(scanned.undecodable.items()):
        by_reason.setdefault(reason, []).append(file_path)
    return SkippedInputs(by_reason, scanned.scan.examined)


image_folder = DatasetSource(
    "image_folder", describe=_describe, load=_load, skipped=_skipped,
    options=dict({"data_dir": Option(path(), help="folder with one sub-folder of images per class"),
                  "split_seed": Option(integer(min=0, max=2 ** 32 - 1), 0,
                                      "seed of the fixed order the splits slice (NumPy's seeds)")},
                 **split_options("train[:80%]", "train[80%:]")),
    description="JPEG/PNG/GIF/BMP/WebP files, one sub-folder per class; headers checked once and cached, unusable "
                "files skipped and counted")
