"""The ``photo_quality`` source: which degradation a crop of a real photo went through, applied at full resolution.

An offline image-quality task where detail is the signal: square crops of scikit-image's free photos at their native
resolution, each shown once per class, as it is (``none``) or after a slight Gaussian blur, a low-quality JPEG round
trip, or added sensor noise. A naive 4x downscale erases much of that evidence before the model sees it. The
validation crops come from photos training never sees.
"""
import numpy as np

from ..photos import FREE_PHOTOS, load_photo
from ..zoo.contract import (DataError, DatasetInfo, DatasetSource, Option, integer, number, take_split,
                            split_options)

__all__ = ["DEGRADATIONS", "degrade", "photo_quality"]

DEGRADATIONS = ("none", "blur", "jpeg", "noise")
#: crops per split, held in memory (4,096 of 192 pixels, once per class of 4, are 1.8 GB); the crop seed's largest
#: value (the validation crops use crop_seed + 1, and NumPy's seeds end at 2**32 - 1)
MAX_CROPS, MAX_CROP_SEED = 4096, 2 ** 32 - 2


def _degradations(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) < 2:
        raise TypeError("must be a list of at least two of {}".format(", ".join(DEGRADATIONS)))
    unknown = [v for v in value if v not in DEGRADATIONS]
    if unknown or len(set(value)) != len(value):
        raise ValueError("{}: each of {} at most once".format(unknown or "repeated", ", ".join(DEGRADATIONS)))
    return list(value)


def _photos(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError("must be a list of scikit-image photo names")
    unknown = [v for v in value if v not in FREE_PHOTOS]
    if unknown:
        raise ValueError("unknown photos {}; available: {}".format(unknown, ", ".join(FREE_PHOTOS)))
    if len(set(FREE_PHOTOS) - set(value)) < 2:
        raise ValueError("leave at least two photos for training")
    return list(value)


def _blur(image, sigma):
    """Separable Gaussian blur (reflected borders) of a float H x W x C image."""
    radius = max(1, int(round(3 * sigma)))
    kernel = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2.0 * sigma ** 2))
    kernel /= kernel.sum()
    height, width = image.shape[:2]
    padded = np.pad(image, ((radius, radius), (radius, radius), (0, 0)), mode="reflect")
    rows = sum(k * padded[i:i + height] for i, k in enumerate(kernel))
    return sum(k * rows[:, i:i + width] for i, k in enumerate(kernel))


def _jpeg(image, quality):
    import tensorflow as tf

    encoded = tf.io.encode_jpeg(tf.constant(image), quality=quality)
    return tf.io.decode_jpeg(encoded, channels=3).numpy()


def degrade(image, kind, options, rng):
    """``image`` (uint8 H x W x 3) after degradation ``kind`` of the strengths in ``options``."""
    if kind == "blur":
        image = _blur(image.astype(np.float32), options["blur_sigma"])
    elif kind == "jpeg":
        return _jpeg(image, options["jpeg_quality"])
    elif kind == "noise":
        image = image.astype(np.float32) + rng.normal(0.0, options["noise_sigma"], image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _split_photos(options, name):
    val = options["val_photos"]
    return list(val) if name == "val" else [p for p in FREE_PHOTOS if p not in val]


def _crop(photo, size, rng):
    top, left = rng.randint(0, photo.shape[0] - size + 1), rng.randint(0, photo.shape[1] - size + 1)
    crop = photo[top:top + size, left:left + size]
    return crop[:, ::-1] if rng.rand() < 0.5 else crop


def _examples(options, name):
    """(image, label) pairs: every base crop of the split once per degradation, classes interleaved."""
    size, rng = options["crop_size"], np.random.RandomState(options["crop_seed"] + (0 if name == "train" else 1))
    photos = {p: load_photo(p) for p in _split_photos(options, name)}
    small = [p for p, image in photos.items() if min(image.shape[:2]) < size]
    if small:
        raise DataError("crop_size {} is larger than photo(s) {}".format(size, ", ".join(small)), key="crop_size")
    names, pairs = sorted(photos), []
    for _ in range(options["{}_crops".format(name)]):
        crop = _crop(photos[names[rng.randint(len(names))]], size, rng)
        pairs += [(degrade(crop, kind, options, rng), label) for label, kind in enumerate(options["degradations"])]
    return pairs


def _describe(options):
    return DatasetInfo(list(options["degradations"]), "scikit-image free photos (validation: {})".format(
        ", ".join(options["val_photos"])))


def _load(options, split, seed):
    import tensorflow as tf

    classes = len(options["degradations"])
    sizes = {name: options["{}_crops".format(name)] * classes for name in ("train", "val")}
    pairs = take_split(split, sizes, lambda name: _examples(options, name))
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(pairs), output_signature=(tf.TensorSpec((None, None, 3), tf.uint8), tf.TensorSpec((), tf.int64)))
    return dataset.apply(tf.data.experimental.assert_cardinality(len(pairs)))


photo_quality = DatasetSource(
    "photo_quality", describe=_describe, load=_load,
    options=dict({"degradations": Option(_degradations, list(DEGRADATIONS), "classes, in order"),
                  "crop_size": Option(integer(min=8, max=1024), 192, "side of the square crops, native pixels (no "
                                                                      "larger than the photos used)"),
                  "blur_sigma": Option(number(min=0, min_exclusive=True), 1.0, "Gaussian blur, pixels"),
                  "jpeg_quality": Option(integer(min=1, max=100), 30, "JPEG quality of the jpeg class"),
                  "noise_sigma": Option(number(min=0, min_exclusive=True), 6.0, "sensor noise, 0..255 levels"),
                  "val_photos": Option(_photos, ["camera", "coffee", "gravel"], "photos kept for validation"),
                  "train_crops": Option(integer(min=1, max=MAX_CROPS), 300, "training crops (each once per class)"),
                  "val_crops": Option(integer(min=1, max=MAX_CROPS), 100, "validation crops (each once per class)"),
                  "crop_seed": Option(integer(min=0, max=MAX_CROP_SEED), 0, "seed of the crops and the noise (the "
                                                                           "validation crops': crop_seed + 1)")},
                 **split_options("train", "val")),
    description="which degradation (none, blur, jpeg, noise) a full-resolution crop of a free scikit-image photo "
                "went through; validation photos unseen in training (offline)")
