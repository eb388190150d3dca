"""Shared test set-up: quiet TensorFlow's C++ logging before it is imported."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

#: a 4-class run small enough to train in seconds: two chained residual blocks, whose BatchNorm statistics must
#: come back from a checkpoint
SMALL_RECIPE = {"name": "small-eval", "seed": 3,
                "data": {"source": "photo_crops", "image_size": [48, 48], "batch_size": 8, "train_examples": 16,
                         "val_examples": 6},
                "model": {"stages": [{"type": "rescale"},
                                     {"type": "learnable_resizer", "target_size": [24, 24], "filters": 4,
                                      "num_res_blocks": 2}],
                          "backbone": {"type": "small_cnn", "filters": 8, "blocks": 2}},
                "train": {"epochs": 3, "batch_norm_momentum": 0.5,
                          "optimizer": {"type": "adam", "learning_rate": 0.003}, "log_steps": 4},
                "runtime": {"device": "cpu"}}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The folder of a finished 3-epoch run of SMALL_RECIPE (zoo train), for the verbs that come after training."""
    import yaml
    from .cli_runner import CliRunner

    from resizer_plugin.zoo.cli.group import zoo

    folder = tmp_path_factory.mktemp("small_run")
    recipe = folder / "small.yaml"
    recipe.write_text(yaml.safe_dump(SMALL_RECIPE))
    result = CliRunner().invoke(zoo, ["train", str(recipe), "--output-dir", str(folder / "run")])
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
