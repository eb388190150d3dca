"""Shared test set-up: quiet TensorFlow's C++ logging before it is imported."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory):
    """A TFDS data_dir holding cats_vs_dogs 4.0.0 (48 real-photo examples in 8 shards)."""
    from .fixtures import write_cats_vs_dogs

    root = tmp_path_factory.mktemp("tensorflow_datasets")
    write_cats_vs_dogs(root)
    return str(root)


@pytest.fixture(scope="session")
def pet_images(tmp_path_factory):
    """A PetImages-like folder: Cat/ and Dog/ with real photos and the archive's kinds of bad files."""
    from .fixtures import write_image_folder

    return write_image_folder(tmp_path_factory.mktemp("PetImages"))
