"""Dataset sources (the ``zoo.datasets`` group) and the tf.data pipeline that feeds the model.

A source yields ``(image, label)`` pairs, the image either encoded bytes or a uint8 H x W x 3 array of any size.
:func:`make_pipeline` shuffles (with the recipe seed), decodes and resizes in parallel, batches and prefetches,
keeping pixels uint8 until they reach the model.
"""
import concurrent.futures
import os
import re
from typing import List, NamedTuple

import numpy as np
import tensorflow as tf

from .contract import DataError, DatasetInfo, DatasetSource, Option, integer, path, text

__all__ = ["SplitError", "check_split", "image_folder", "make_pipeline", "photo_crops", "skipped_files",
           "skipped_summary", "slice_split", "tfds"]

# ---- split strings: "train", "train[:40%]", "train[40%:50%]", "train[100:200]" -------------------------------

_BOUND = r"-?\d+%?"
_SPLIT = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)(\[(?P<start>{0})?:(?P<stop>{0})?\])?$".format(_BOUND))


class SplitError(ValueError):
    pass


def check_split(value):
    """Validate a split string of the TFDS slicing syntax (one or more parts joined by '+')."""
    value = text()(value)
    for part in value.split("+"):
        match = _SPLIT.match(part.strip())
        if not match:
            raise SplitError("is not a split such as 'train', 'train[:40%]' or 'train[40%:50%]'")
        for bound in (match.group("start"), match.group("stop")):
            if bound and bound.endswith("%") and not -100 <= int(bound[:-1]) <= 100:
                raise SplitError("percent bounds must lie between -100% and 100%")
    return value


def slice_split(split, sizes):
    """Indices selected by ``split`` from named splits of the given sizes (``{"train": 25}``)."""
    selected = []
    for part in split.split("+"):
        match = _SPLIT.match(part.strip())
        name = match.group("name")
        if name not in sizes:
            raise SplitError("split {!r} names {!r}; this dataset has: {}".format(split, name, ", ".join(sizes)))
        size = sizes[name]

        def index(bound, default):
            if not bound:
                return default
            if bound.endswith("%"):
                return int(round(size * int(bound[:-1]) / 100.0))
            return int(bound)
        selected.append((name, list(range(size))[index(match.group("start"), 0):index(match.group("stop"), size)]))
    return selected


def _split_options(train_default, val_default):
    return {"train_split": Option(check_split, train_default, "training split, TFDS slicing syntax"),
            "val_split": Option(check_split, val_default, "validation split, TFDS slicing syntax")}


# ---- tfds: a prepared TFDS directory read offline -------------------------------------------------------------

_PREPARE_HINT = (
    "Prepare it on a machine with internet access: python -c \"import tensorflow_datasets as tfds; "
    "tfds.builder('{name}', data_dir='DIR').download_and_prepare()\", then copy DIR/{name} here (a current TFDS "
    "prepares the version its code has, e.g. 4.0.1 for cats_vs_dogs: name that version in the recipe), "
    "or pass --data-dir to where it already is.")


def _tfds_paths(options):
    name, _, version = options["name"].partition(":")
    return name, version, os.path.join(options["data_dir"], name)


def _tfds_version(options):
    name, version, folder = _tfds_paths(options)
    found = sorted(v for v in (os.listdir(folder) if os.path.isdir(folder) else [])
                   if os.path.isfile(os.path.join(folder, v, "dataset_info.json")))
    hint = _PREPARE_HINT.format(name=name)
    if not found:
        raise DataError("no prepared TFDS dataset {!r} in {} (looked for {}/<version>/dataset_info.json). {}".format(
            name, options["data_dir"], folder, hint), key="data_dir")
    if version and version not in found:
        raise DataError("TFDS dataset {!r} has no version {} in {}; found: {}".format(
            name, version, folder, ", ".join(found)), key="name")
    if not version and len(found) > 1:
        raise DataError("TFDS dataset {!r} has several versions in {} ({}); name one, e.g. '{}:{}'".format(
            name, folder, ", ".join(found), name, found[-1]), key="name")
    return "{}:{}".format(name, version or found[0])


def _tfds_builder(options):
    import tensorflow_datasets

    return tensorflow_datasets.builder(_tfds_version(options), data_dir=options["data_dir"])


def _tfds_describe(options):
    builder = _tfds_builder(options)
    label = builder.info.features[options["label_key"]]
    return DatasetInfo(list(label.names), builder.data_dir)


def _tfds_load(options, split, seed):
    import tensorflow_datasets

    builder = _tfds_builder(options)
    read_config = tensorflow_datasets.ReadConfig(shuffle_seed=seed)
    dataset = builder.as_dataset(split=split, shuffle_files=seed is not None, read_config=read_config,
                                 decoders={options["image_key"]: tensorflow_datasets.decode.SkipDecoding()})
    image_key, label_key = options["image_key"], options["label_key"]
    return dataset.map(lambda example: (example[image_key], example[label_key]),
                       num_parallel_calls=tf.data.AUTOTUNE)


tfds = DatasetSource(
    "tfds", describe=_tfds_describe, load=_tfds_load,
    options=dict({"name": Option(text(), "cats_vs_dogs:4.0.0", "TFDS name with version, e.g. cats_vs_dogs:4.0.0"),
                  "data_dir": Option(path(), "~/tensorflow_datasets", "folder holding <name>/<version>/"),
                  "image_key": Option(text(), "image", "feature holding the image"),
                  "label_key": Option(text(), "label", "ClassLabel feature holding the label")},
                 **_split_options("train[:40%]", "train[40%:50%]")),
    description="a prepared TensorFlow Datasets directory, read offline")


# ---- image_folder: one sub-folder per class -------------------------------------------------------------------

_MAGIC = ((b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
          (b"BM", "bmp"))


class _Scan(NamedTuple):
    paths: List[str]
    labels: List[int]
    class_names: List[str]
    skipped: dict  # reason -> [paths]
    files: int


def _classes(folder):
    if not os.path.isdir(folder):
        raise DataError("image folder {} does not exist; it needs one sub-folder per class "
                        "(e.g. PetImages/Cat, PetImages/Dog)".format(folder), key="data_dir")
    names = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)) and not d.startswith("."))
    if len(names) < 2:
        raise DataError("image folder {} has {} class sub-folder(s); it needs one per class, at least two".format(
            folder, len(names)), key="data_dir")
    return names


def _problem(path):
    """Why the file cannot be used, or None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as error:
        return "unreadable ({})".format(error.strerror)
    if not head:
        return "empty"
    if not any(head.startswith(magic) for magic, _ in _MAGIC):
        return "not an image"
    try:
        tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.OpError):
        return "corrupt or truncated"
    return None


def _scan_folder(folder):
    class_names = _classes(folder)
    candidates = []
    for label, name in enumerate(class_names):
        root = os.path.join(folder, name)
        for directory, _, files in sorted(os.walk(root)):
            candidates += [(os.path.join(directory, f), label) for f in sorted(files) if not f.startswith(".")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        problems = list(pool.map(lambda c: _problem(c[0]), candidates))
    skipped = {}
    for (file_path, _), problem in zip(candidates, problems):
        if problem:
            skipped.setdefault(problem, []).append(file_path)
    good = [c for c, p in zip(candidates, problems) if p is None]
    if not good:
        raise DataError("image folder {} holds no readable image".format(folder), key="data_dir")
    return _Scan([p for p, _ in good], [l for _, l in good], class_names, skipped, len(candidates))


_SCANS = {}


def _scan(folder):
    """Scan once per process: a run asks for both splits and the class names."""
    if folder not in _SCANS:
        _SCANS[folder] = _scan_folder(folder)
    return _SCANS[folder]


def _folder_describe(options):
    return DatasetInfo(_classes(options["data_dir"]), options["data_dir"])


def _folder_load(options, split, seed):
    scan = _scan(options["data_dir"])
    order = np.random.RandomState(options["split_seed"]).permutation(len(scan.paths))
    (_, indices), = slice_split(split, {"train": len(order)})
    chosen = order[indices]
    if not len(chosen):
        raise DataError("split {!r} of image folder {} is empty ({} images)".format(
            split, options["data_dir"], len(order)), key="train_split")
    paths = tf.constant([scan.paths[i] for i in chosen])
    labels = tf.constant([scan.labels[i] for i in chosen], dtype=tf.int64)
    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    return dataset.map(lambda p, l: (tf.io.read_file(p), l), num_parallel_calls=tf.data.AUTOTUNE)


def skipped_files(folder):
    """For an image folder already scanned in this process: reason -> skipped paths."""
    return dict(_SCANS[folder].skipped) if folder in _SCANS else {}


def skipped_summary(folder):
    """One line on the files of a scanned image folder that were skipped, or None."""
    scan = _SCANS.get(folder)
    if not scan or not scan.skipped:
        return None
    reasons = ", ".join("{} {}".format(len(v), k) for k, v in sorted(scan.skipped.items()))
    first = sorted(p for paths in scan.skipped.values() for p in paths)[0]
    return "image folder {}: skipped {} of {} files ({}); first: {}".format(
        folder, sum(map(len, scan.skipped.values())), scan.files, reasons, first)


image_folder = DatasetSource(
    "image_folder", describe=_folder_describe, load=_folder_load,
    options=dict({"data_dir": Option(path(), help="folder with one sub-folder of images per class"),
                  "split_seed": Option(integer(), 0, "seed of the fixed order the splits slice")},
                 **_split_options("train[:80%]", "train[80%:]")),
    description="JPEG/PNG/GIF/BMP files, one sub-folder per class; unreadable files are skipped and counted")


# ---- photo_crops: a small offline task made from scikit-image's sample photos --------------------------------

def _photo_names(value):
    from ..photos import PHOTO_NAMES

    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) < 2:
        raise TypeError("must be a list of at least two scikit-image photo names")
    unknown = [v for v in value if v not in PHOTO_NAMES]
    if unknown:
        raise ValueError("unknown photos {}; available: {}".format(unknown, ", ".join(PHOTO_NAMES)))
    return list(value)


def _crops(photo, count, rng):
    height, width = photo.shape[:2]
    crops = []
    for _ in range(count):
        side = int(min(height, width) * rng.uniform(0.35, 0.8))
        top, left = rng.randint(0, height - side + 1), rng.randint(0, width - side + 1)
        crop = photo[top:top + side, left:left + side]
        crops.append(crop[:, ::-1] if rng.rand() < 0.5 else crop)
    return crops


def _crops_describe(options):
    return DatasetInfo(list(options["photos"]), "scikit-image sample photos")


def _crops_load(options, split, seed):
    from ..photos import load_photo

    (name, _), = slice_split(split, {"train": 1, "val": 1})
    count = options["train_examples"] if name == "train" else options["val_examples"]
    rng = np.random.RandomState(options["crop_seed"] + (0 if name == "train" else 1))
    per_class = [_crops(load_photo(photo_name), count, rng) for photo_name in options["photos"]]
    # classes interleaved, so that even an unshuffled pass mixes them
    pairs = [(crops[i], label) for i in range(count) for label, crops in enumerate(per_class)]
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(pairs), output_signature=(tf.TensorSpec((None, None, 3), tf.uint8), tf.TensorSpec((), tf.int64)))
    return dataset.apply(tf.data.experimental.assert_cardinality(len(pairs)))


photo_crops = DatasetSource(
    "photo_crops", describe=_crops_describe, load=_crops_load,
    options=dict({"photos": Option(_photo_names, ["chelsea", "coffee", "astronaut", "rocket"],
                                   "scikit-image photos, one class each"),
                  "train_examples": Option(integer(min=1), 96, "random crops per class for training"),
                  "val_examples": Option(integer(min=1), 24, "random crops per class for validation"),
                  "crop_seed": Option(integer(), 0, "seed of the crops")},
                 **_split_options("train", "val")),
    description="random square crops of scikit-image's sample photos; the class is the photo (offline)")


# ---- the pipeline -------------------------------------------------------------------------------------------

def _to_uint8_image(image, size, antialias):
    if image.dtype == tf.string:
        image = tf.io.decode_image(image, channels=3, expand_animations=False)
    image = tf.image.resize(image, size, method="bilinear", antialias=antialias)
    image = tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
    image.set_shape(tuple(size) + (3,))
    return image


def make_pipeline(dataset, image_size, batch_size, num_classes, training, seed, shuffle_buffer=1024,
                  drop_remainder=False, one_hot=True, antialias=False):
    """``(image, label)`` pairs -> batches of ``(uint8 [B, H, W, 3], label)``: shuffled (training only, with
    ``seed``), decoded and resized (bilinear) in parallel, batched, prefetched. Labels one-hot (float32) or int."""
    if training:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(lambda image, label: (_to_uint8_image(image, image_size, antialias), label),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=not training or seed is not None)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if one_hot:
        dataset = dataset.map(lambda images, labels: (images, tf.one_hot(labels, num_classes)),
                              num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
