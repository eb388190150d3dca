"""The ``tfds`` source: a prepared TensorFlow Datasets directory, read offline (nothing is downloaded)."""
import os

from ..zoo.contract import DataError, DatasetInfo, DatasetSource, Option, SplitError, path, split_options, text

__all__ = ["tfds"]

_PREPARE_HINT = (
    "Make cats_vs_dogs 4.0.0 here, offline, from Microsoft's PetImages folder or zip: zoo prepare cats_vs_dogs "
    "PATH/TO/PetImages --data-dir DIR (zoo prepare --help lists what it makes). Or prepare it on a machine with "
    "internet access: python -c \"import tensorflow_datasets as tfds; tfds.builder('{name}', data_dir='DIR')"
    ".download_and_prepare()\", then copy DIR/{name} here (a current TFDS prepares the version its code has, e.g. "
    "4.0.1 for cats_vs_dogs: name that version in the recipe), or pass --data-dir to where it already is.")


def _versions_present(folder):
    return sorted(v for v in (os.listdir(folder) if os.path.isdir(folder) else [])
                  if os.path.isfile(os.path.join(folder, v, "dataset_info.json")))


def _name_with_version(options):
    """``name:version`` of the prepared dataset the options point at; DataError when it is not there."""
    name, _, version = options["name"].partition(":")
    folder = os.path.join(options["data_dir"], name)
    found = _versions_present(folder)
    if not found:
        raise DataError("no prepared TFDS dataset {!r} in {} (looked for {}/<version>/dataset_info.json). {}".format(
            name, options["data_dir"], folder, _PREPARE_HINT.format(name=name)), key="data_dir")
    if version and version not in found:
        raise DataError("TFDS dataset {!r} has no version {} in {}; found: {}".format(
            name, version, folder, ", ".join(found)), key="name")
    if not version and len(found) > 1:
        raise DataError("TFDS dataset {!r} has several versions in {} ({}); name one, e.g. '{}:{}'".format(
            name, folder, ", ".join(found), name, found[-1]), key="name")
    return "{}:{}".format(name, version or found[0])


def _builder(options):
    import tensorflow_datasets

    return tensorflow_datasets.builder(_name_with_version(options), data_dir=options["data_dir"])


def _describe(options):
    builder = _builder(options)
    label = builder.info.features[options["label_key"]]
    return DatasetInfo(list(label.names), builder.data_dir)


def _load(options, split, seed):
    import tensorflow as tf
    import tensorflow_datasets

    builder = _builder(options)
    read_config = tensorflow_datasets.ReadConfig(shuffle_seed=seed)
    try:
        dataset = builder.as_dataset(split=split, shuffle_files=seed is not None, read_config=read_config,
                                     decoders={options["image_key"]: tensorflow_datasets.decode.SkipDecoding()})
    except ValueError as error:  # TFDS's word for a split it has not, or a slice that selects nothing
        raise SplitError("split {!r}: {}".format(split, error)) from None
    image_key, label_key = options["image_key"], options["label_key"]
    return dataset.map(lambda example: (example[image_key], example[label_key]),
                       num_parallel_calls=tf.data.AUTOTUNE)


tfds = DatasetSource(
    "tfds", describe=_describe, load=_load,
    options=dict({"name": Option(text(), "cats_vs_dogs:4.0.0", "TFDS name with version, e.g. cats_vs_dogs:4.0.0"),
                  "data_dir": Option(path(), "~/tensorflow_datasets", "folder holding <name>/<version>/"),
                  "image_key": Option(text(), "image", "feature holding the image"),
                  "label_key": Option(text(), "label", "ClassLabel feature holding the label")},
                 **split_options("train[:40%]", "train[40%:50%]")),
    description="a prepared TensorFlow Datasets directory, read offline")
