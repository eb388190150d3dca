"""The ``photo_crops`` source: a small offline task made from scikit-image's sample photos (the class is the
photo a random square crop comes from)."""
import numpy as np

from ..photos import FREE_PHOTOS, load_photo
from ..zoo.contract import DatasetInfo, DatasetSource, Option, integer, split_options, take_split

__all__ = ["photo_crops"]

#: crops per class and split, held in memory (4,096 crops of a 512-pixel photo are up to 2 GB);
#: the crop seed's largest value (the validation crops use crop_seed + 1, and NumPy's seeds end at 2**32 - 1)
MAX_CROPS, MAX_CROP_SEED = 4096, 2 ** 32 - 2


def _photo_names(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) < 2:
        raise TypeError("must be a list of at least two scikit-image photo names")
    unknown = [v for v in value if v not in FREE_PHOTOS]
    if unknown:
        raise ValueError("unknown photos {}; available: {}".format(unknown, ", ".join(FREE_PHOTOS)))
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


def _describe(options):
    return DatasetInfo(list(options["photos"]), "scikit-image sample photos")


def _pairs(options, name):
    """The split's (crop, label) pairs, classes interleaved, so that even an unshuffled pass mixes them."""
    count = options["{}_examples".format(name)]
    rng = np.random.RandomState(options["crop_seed"] + (0 if name == "train" else 1))
    per_class = [_crops(load_photo(photo_name), count, rng) for photo_name in options["photos"]]
    return [(crops[i], label) for i in range(count) for label, crops in enumerate(per_class)]


def _load(options, split, seed):
    import tensorflow as tf

    classes = len(options["photos"])
    sizes = {name: options["{}_examples".format(name)] * classes for name in ("train", "val")}
    pairs = take_split(split, sizes, lambda name: _pairs(options, name))
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(pairs), output_signature=(tf.TensorSpec((None, None, 3), tf.uint8), tf.TensorSpec((), tf.int64)))
    return dataset.apply(tf.data.experimental.assert_cardinality(len(pairs)))


photo_crops = DatasetSource(
    "photo_crops", describe=_describe, load=_load,
    options=dict({"photos": Option(_photo_names, ["chelsea", "coffee", "astronaut", "rocket"],
                                   "scikit-image photos, one class each (any of photos.FREE_PHOTOS)"),
                  "train_examples": Option(integer(min=1, max=MAX_CROPS), 96, "random crops per class for training"),
                  "val_examples": Option(integer(min=1, max=MAX_CROPS), 24, "random crops per class for validation"),
                  "crop_seed": Option(integer(min=0, max=MAX_CROP_SEED), 0, "seed of the crops (the validation "
                                                                           "crops': crop_seed + 1)")},
                 **split_options("train", "val")),
    description="random square crops of scikit-image's sample photos; the class is the photo (offline)")
