"""Dataset sources and the input pipeline, on local data made from real photos."""
import os

import numpy as np
import pytest
import tensorflow as tf

from resizer_plugin.datasets import image_folder as image_folder_module
from resizer_plugin.datasets.image_folder import image_folder
from resizer_plugin.datasets.photo_crops import photo_crops
from resizer_plugin.datasets.tfds import tfds
from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.contract import DataError, SkippedInputs, SplitError, split
from resizer_plugin.zoo.training.pipeline import make_pipeline

from .fixtures import BAD_FILES


def _options(source, **options):
    return registry.datasets.load(source).validate(options)


def test_tfds_fixture_has_the_exact_4_0_0_layout(tfds_dir):
    files = sorted(os.listdir(os.path.join(tfds_dir, "cats_vs_dogs", "4.0.0")))
    shards = ["cats_vs_dogs-train.tfrecord-{:05d}-of-00008".format(i) for i in range(8)]
    assert files == sorted(shards + ["dataset_info.json", "features.json", "label.labels.txt"])


def test_tfds_reads_offline_with_split_slices(tfds_dir):
    options = _options("tfds", data_dir=tfds_dir)
    info = tfds.describe(options)
    assert info.class_names == ["cat", "dog"]
    train = list(tfds.load(options, "train[:40%]", seed=None))
    val = list(tfds.load(options, "train[40%:50%]", seed=None))
    assert (len(train), len(val)) == (19, 5)  # TFDS rounds 40% and 50% of 48 to 19 and 24
    image, label = train[0]
    assert image.dtype == tf.string and int(label) in (0, 1)


def test_tfds_without_version_uses_the_only_one_present(tfds_dir):
    assert tfds.describe(_options("tfds", data_dir=tfds_dir, name="cats_vs_dogs")).class_names == ["cat", "dog"]


def test_tfds_missing_data_says_where_it_looked_and_how_to_prepare(tmp_path):
    with pytest.raises(DataError) as info:
        tfds.describe(_options("tfds", data_dir=str(tmp_path)))
    message = str(info.value)
    assert str(tmp_path) in message and "download_and_prepare" in message and info.value.key == "data_dir"


def test_tfds_wrong_version_lists_the_versions_found(tfds_dir):
    with pytest.raises(DataError, match="no version 4.0.1.*found: 4.0.0"):
        tfds.describe(_options("tfds", data_dir=tfds_dir, name="cats_vs_dogs:4.0.1"))


def test_image_folder_skips_and_counts_bad_files(pet_images, monkeypatch):
    monkeypatch.setattr(image_folder_module, "_SCANS", {})  # scan afresh, whatever ran before in this process
    options = _options("image_folder", data_dir=pet_images, train_split="train")
    assert image_folder.skipped_inputs(options).summary(pet_images) is None  # not scanned yet
    pairs = list(image_folder.load(options, "train", seed=None))
    skipped = image_folder.skipped_inputs(options)
    assert skipped.counts() == BAD_FILES
    # 16 JPEG photos + grayscale JPEG, RGBA PNG, GIF, and the truncated JPEG's place (it passes the header check):
    # taken by the next file of the split that decodes, so one file comes twice
    assert len(pairs) == 16 + 3 + 1 and len({p.numpy() for p, _ in pairs}) == 16 + 3
    summary = skipped.summary("image folder " + pet_images)
    assert summary.startswith("image folder {}: skipped 3 of 22 files (1 corrupt or truncated, 1 empty, 1 not an "
                              "image); first: {}".format(pet_images, pet_images))


def test_a_source_that_cannot_skip_reports_nothing_skipped():
    options = _options("photo_crops", train_examples=1, val_examples=1)
    assert photo_crops.skipped_inputs(options) == SkippedInputs({}, 0)


def test_image_folder_splits_are_disjoint_and_cover_everything(pet_images):
    options = _options("image_folder", data_dir=pet_images)
    train = [p.numpy() for p, _ in image_folder.load(options, options["train_split"], None)]
    val = [p.numpy() for p, _ in image_folder.load(options, options["val_split"], None)]
    # the truncated JPEG passes the header check; its place in the split is kept, taken by another file of it
    assert len(train) == 16 and len(val) == 4 and not set(train) & set(val)


def test_image_folder_needs_class_subfolders(tmp_path):
    (tmp_path / "only").mkdir()
    with pytest.raises(DataError, match="at least two"):
        image_folder.describe(_options("image_folder", data_dir=str(tmp_path)))


def test_pipeline_batches_uint8_images_and_one_hot_labels(pet_images):
    options = _options("image_folder", data_dir=pet_images)
    raw = image_folder.load(options, "train", None)
    batches = list(make_pipeline(raw, (64, 48), 8, 2, training=False, seed=None, drop_remainder=True))
    assert len(batches) == 2  # 20 images, drop_remainder
    images, labels = batches[0]
    assert images.dtype == tf.uint8 and tuple(images.shape) == (8, 64, 48, 3)
    assert labels.dtype == tf.float32 and tuple(labels.shape) == (8, 2)
    assert images.numpy().std() > 20  # real photos, not blank


@pytest.mark.parametrize("name", ["Cat/gray.jpg", "Cat/rgba.png", "Dog/palette.gif"])
def test_pipeline_decodes_gray_rgba_and_gif_as_pil_converts_them_to_rgb(pet_images, name):
    """Pixel by pixel against PIL's own conversion to RGB (then the same resize): gray replicated to three
    channels, alpha dropped, the GIF palette looked up. JPEG decoders may differ by a level or two."""
    from PIL import Image

    path = os.path.join(pet_images, name)
    expected = np.asarray(Image.open(path).convert("RGB"))
    size = expected.shape[:2]
    raw = tf.data.Dataset.from_tensor_slices(([tf.io.read_file(path)], [0]))
    image = next(iter(make_pipeline(raw, size, 1, 2, training=False, seed=None)))[0][0].numpy()
    tolerance = 2 if name.endswith(".jpg") else 0
    assert image.shape == expected.shape
    assert np.max(np.abs(image.astype(int) - expected.astype(int))) <= tolerance


def test_pipeline_static_shapes_with_drop_remainder(tfds_dir):
    raw = tfds.load(_options("tfds", data_dir=tfds_dir), "train", None)
    pipeline = make_pipeline(raw, (32, 32), 5, 2, training=True, seed=1, drop_remainder=True)
    assert tuple(pipeline.element_spec[0].shape) == (5, 32, 32, 3)


def test_training_shuffle_follows_the_seed(tfds_dir):
    def labels(seed):
        raw = tfds.load(_options("tfds", data_dir=tfds_dir), "train", seed)
        pipeline = make_pipeline(raw, (16, 16), 48, 2, training=True, seed=seed, one_hot=False)
        return next(iter(pipeline))[0].numpy()
    np.testing.assert_array_equal(labels(3), labels(3))
    assert not np.array_equal(labels(3), labels(4))


def test_photo_crops_source_is_offline_and_labelled():
    options = _options("photo_crops", train_examples=3, val_examples=2)
    assert photo_crops.describe(options).class_names == ["chelsea", "coffee", "astronaut", "rocket"]
    train = list(photo_crops.load(options, "train", None))
    val = list(photo_crops.load(options, "val", None))
    assert len(train) == 12 and len(val) == 8
    assert [int(l) for _, l in train] == [0, 1, 2, 3] * 3  # classes interleaved


@pytest.mark.parametrize("split_text", ["train", "train[:40%]", "train[40%:50%]", "train[-10:]", "train[:40%]+test"])
def test_split_syntax_accepts(split_text):
    assert split()(split_text) == split_text


@pytest.mark.parametrize("split_text, error", [("train[:40]%", SplitError), ("train[:140%]", SplitError),
                                               ("train[1:2:3]", SplitError), ("", TypeError), (3, TypeError)])
def test_split_syntax_refuses(split_text, error):
    with pytest.raises(error):
        split()(split_text)


def _source_options(name, tfds_dir, pet_images):
    """Options of every registered source on local data: the fixtures, or small offline sets."""
    return {"tfds": {"data_dir": tfds_dir}, "image_folder": {"data_dir": pet_images},
            "photo_crops": {"train_examples": 5, "val_examples": 3},
            "photo_quality": {"crop_size": 64, "train_crops": 5, "val_crops": 2}}[name]


def _count(source, options, split_text):
    return sum(1 for _ in source.load(options, split_text, None))


#: (split, its size from the whole ``train`` split's n) the same for every source; TFDS rounds percents to the
#: closest example (30% of 19 is 6, not the floor's 5)
SPLIT_CASES = [("train", lambda n: n), ("train[:25%]", lambda n: int(round(n * 0.25))),
               ("train[:30%]", lambda n: int(round(n * 0.3))), ("train[-3:]", lambda n: 3),
               ("train[:2]+train[-2:]", lambda n: 4), ("train[50%:]+train[:1]", lambda n: n - int(round(n * 0.5)) + 1)]


@pytest.mark.parametrize("name", sorted(registry.datasets.names()))
def test_every_source_honours_slices_and_joins_and_refuses_an_empty_split(name, tfds_dir, pet_images):
    source = registry.datasets.load(name)
    options = source.validate(_source_options(name, tfds_dir, pet_images))
    whole = _count(source, options, "train")
    assert whole >= 8, (name, whole)
    for split_text, size in SPLIT_CASES:
        assert _count(source, options, split_text) == size(whole), (name, split_text)
    for empty in ("train[5:5]", "train[:0]"):
        with pytest.raises(DataError, match="selects no examples|corresponds to no data"):
            _count(source, options, empty)
    with pytest.raises(SplitError):
        _count(source, options, "no_such_split")


def test_percent_slices_round_to_the_closest_example():
    from resizer_plugin.zoo.contract import slice_split

    assert [len(indices) for _, indices in slice_split("train[:30%]", {"train": 19})] == [6]  # 5.7
    assert [len(indices) for _, indices in slice_split("train[:25%]", {"train": 19})] == [5]  # 4.75
    assert [len(i) for _, i in slice_split("train[:40%]+val", {"train": 48, "val": 7})] == [19, 7]
