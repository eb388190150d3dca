"""Shared test set-up: quiet TensorFlow's C++ logging before it is imported."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from .builders import small_recipe, write_recipe, zoo  # noqa: E402

#: a 4-class run small enough to train in seconds: two chained residual blocks, whose BatchNorm statistics must
#: come back from a checkpoint
SMALL_RECIPE = small_recipe({"name": "small-eval", "seed": 3, "data.train_examples": 16, "data.val_examples": 6,
                             "model.stages": [{"type": "rescale"},
                                              {"type": "learnable_resizer", "target_size": [24, 24], "filters": 4,
                                               "num_res_blocks": 2}],
                             "train.epochs": 3, "train.batch_norm_momentum": 0.5, "train.log_steps": 4})


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The folder of a finished 3-epoch run of SMALL_RECIPE (zoo train), for the verbs that come after training."""
    folder = tmp_path_factory.mktemp("small_run")
    result = zoo("train", write_recipe(folder, SMALL_RECIPE, "small.yaml"), "--output-dir", folder / "run")
    assert result.exit_code == 0, result.output
    return folder / "run"


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
