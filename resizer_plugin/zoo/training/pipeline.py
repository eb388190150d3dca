"""The input pipeline: a source's ``(image, label)`` pairs -> batches of uint8 images the model takes.

Images stay uint8 until they reach the model: decoding, the bilinear resize to ``data.image_size``, shuffling
(with the recipe's seed), batching and prefetching happen here, in parallel.
"""
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from ..contract import DataError

__all__ = ["Pipelines", "make_pipeline", "picture_images", "recipe_pipelines", "split_batches", "to_uint8_image"]


def to_uint8_image(image, size, antialias=False):
    """An encoded image (any format TensorFlow decodes) or an image array -> uint8 ``size`` x 3, as the pipeline
    feeds the model: decoded to RGB, resized bilinearly (antialiased if asked), rounded."""
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
    dataset = dataset.map(lambda image, label: (to_uint8_image(image, image_size, antialias), label),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=not training or seed is not None)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if one_hot:
        dataset = dataset.map(lambda images, labels: (images, tf.one_hot(labels, num_classes)),
                              num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


class Pipelines(NamedTuple):
    """The datasets this process trains and validates on, and the batch size it batches them with."""
    train: tf.data.Dataset
    val: tf.data.Dataset
    batch_size: int


def _check_a_batch(dataset, raw, split_key, split, batch_size, why):
    """DataError when dropping the last partial batch leaves ``split`` without one (it would train 0 steps)."""
    if int(dataset.cardinality()) == 0:
        raise DataError("{} {!r} gives {} examples here, fewer than one batch of {}, and the last partial batch is "
                        "dropped ({}): choose a larger split or a smaller data.batch_size".format(
                            split_key, split, int(raw.cardinality()), batch_size, why), key=split_key)


def _recipe_pipeline(recipe, num_classes, session, training):
    data, train = recipe.data, recipe.train
    key = "train_split" if training else "val_split"
    split = recipe.dataset_options[key]
    raw = recipe.dataset.load(recipe.dataset_options, split, recipe.seed if training else None)
    raw, batch_size = session.shard_dataset(raw, data.batch_size)
    drop = data.drop_remainder or session.static_shapes
    dataset = make_pipeline(raw, data.image_size, batch_size, num_classes, training, recipe.seed,
                            data.shuffle_buffer, drop, train.loss.one_hot, data.antialias)
    if drop:
        _check_a_batch(dataset, raw, key, split, batch_size, "the runtime's static shapes" if session.static_shapes
                       else "data.drop_remainder")
    if (train.steps_per_epoch if training else train.validation_steps) is not None:
        dataset = dataset.repeat()
    return dataset, batch_size


def recipe_pipelines(recipe, num_classes, session):
    """The recipe's training and validation datasets, as its runtime ``session`` wants them fed."""
    train, batch_size = _recipe_pipeline(recipe, num_classes, session, True)
    val, _ = _recipe_pipeline(recipe, num_classes, session, False)
    return Pipelines(train, val, batch_size)


def split_batches(recipe, split, num_classes, batch_size=None, one_hot=False, take=None):
    """A split of the recipe's data in its fixed order, batched for measuring or drawing (not training)."""
    data = recipe.data
    raw = recipe.dataset.load(recipe.dataset_options, split, None)
    raw = raw.take(take) if take else raw
    return make_pipeline(raw, data.image_size, batch_size or data.batch_size, num_classes, False, None,
                         one_hot=one_hot, antialias=data.antialias)


def picture_images(recipe, num_classes, count, scan=512):
    """``count`` uint8 validation images, one class after another (round robin) among the first ``scan``."""
    by_class = {}
    for images, labels in split_batches(recipe, recipe.dataset_options["val_split"], num_classes, 64, take=scan):
        for image, label in zip(images.numpy(), labels.numpy()):
            by_class.setdefault(int(label), []).append(image)
    queues = [by_class[k] for k in sorted(by_class)]
    chosen = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return np.stack(chosen)
