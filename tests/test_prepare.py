"""``zoo prepare cats_vs_dogs SOURCE --data-dir DIR``: TFDS's cats_vs_dogs 4.0.0 folder made offline from a PetImages
folder or zip by TFDS's own builder, files kept or skipped by its JFIF rule and counted by reason, read back as the
keras.io example reads it; refusals in one line; an interrupted run that leaves nothing the tfds source reads; and,
slow, 64 of the shared real photos through the reference recipe, zoo eval, zoo predict and the port's script."""
import json
import os
import re
import shutil
import zipfile

import pytest

from .builders import RECIPES, ROOT, zoo, zoo_run
from .fixtures import PET_IMAGES_SKIPPED, write_pet_images

PHOTOS = ROOT.parent / "shared" / "data" / "cats_vs_dogs_photos"
TFDS_MODULE = "tensorflow_datasets.image_classification.cats_vs_dogs"
#: write_pet_images' folder: its JFIF photos and the files TFDS's builder drops
KEPT, FILES = 12, 12 + sum(PET_IMAGES_SKIPPED.values())


@pytest.fixture
def pet_images(tmp_path):
    """(a PetImages folder with the files TFDS's builder drops, {kept file's PetImages/... name: label})."""
    folder = tmp_path / "PetImages"
    return folder, write_pet_images(folder)


def _zip(folder, path, prefix="PetImages/"):
    """``folder``'s files zipped under ``prefix``, beside a readme and macOS's resource forks, as archives hold them."""
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr("readme[1].txt", "cats and dogs\n")
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = file.relative_to(folder).as_posix()
            archive.write(str(file), prefix + name)
            archive.writestr("__MACOSX/{}{}/._{}".format(prefix, os.path.dirname(name), file.name), b"\0\5\26\7")
    return path


def _prepare(source, data_dir):
    return zoo("prepare", "cats_vs_dogs", source, "--data-dir", data_dir)


def _examples(data_dir):
    """The builder TFDS opens for ``cats_vs_dogs:4.0.0`` in ``data_dir``, and (filename, label) of each example."""
    import tensorflow_datasets as tfds

    builder = tfds.builder("cats_vs_dogs:4.0.0", data_dir=str(data_dir))
    return builder, [(x["image/filename"].numpy().decode(), int(x["label"])) for x in builder.as_dataset(split="train")]


def _refused(result, *words):
    """One line on stderr, exit 2, holding every one of ``words``."""
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert str(word) in result.stderr, (word, result.stderr)


def _nothing_the_tfds_source_reads(data_dir):
    from resizer_plugin.zoo.config.registry import datasets
    from resizer_plugin.zoo.contract import DataError

    tfds_source = datasets.load("tfds")
    with pytest.raises(DataError, match="no prepared TFDS dataset 'cats_vs_dogs'"):
        tfds_source.describe(tfds_source.validate({"data_dir": str(data_dir)}))


def test_a_folder_becomes_cats_vs_dogs_4_0_0_as_tfds_writes_it_and_keras_io_reads_it(pet_images, tmp_path):
    import tensorflow_datasets as tfds

    folder, kept = pet_images
    data = tmp_path / "data"
    result = _prepare(folder, data)
    assert result.exit_code == 0, result.output
    target = data / "cats_vs_dogs" / "4.0.0"
    assert "kept        {} of {} files".format(KEPT, FILES) in result.stdout
    assert "wrote       {}".format(target) in result.stdout and "read 16 files in" in result.stderr  # the .jpg files
    record = json.loads((target / "zoo_prepare.json").read_text())
    skipped = {next(r for r in PET_IMAGES_SKIPPED if reason.startswith(r)): sorted(files)
               for reason, files in record["skipped"].items()}
    assert skipped == {"no JFIF marker": ["Cat/exif.jpg", "Cat/png.jpg", "Dog/empty.jpg", "Dog/no_jfif.jpg"],
                       "not a .jpg file": ["Cat/Thumbs.db", "Cat/photo.png", "Dog/notes.txt"]}
    for reason, count in PET_IMAGES_SKIPPED.items():
        assert "{} {}".format(count, reason) in result.stdout
    shards = [n for n in os.listdir(str(target)) if "tfrecord" in n]
    assert shards and all(re.match(r"^cats_vs_dogs-train\.tfrecord-\d{5}-of-\d{5}$", n) for n in shards)
    assert sorted(set(os.listdir(str(target))) - set(shards)) == ["dataset_info.json", "features.json",
                                                                   "label.labels.txt", "zoo_prepare.json"]
    info = json.loads((target / "dataset_info.json").read_text())
    assert (info["name"], info["version"], info["moduleName"]) == ("cats_vs_dogs", "4.0.0", TFDS_MODULE)
    builder, examples = _examples(data)
    assert builder.info.supervised_keys == ("image", "label") and list(builder.info.features["label"].names) == [
        "cat", "dog"] and set(builder.info.features) == {"image", "image/filename", "label"}
    assert dict(examples) == kept and [n for n, _ in examples] != sorted(kept)  # TFDS's shuffled order
    supervised = tfds.load("cats_vs_dogs:4.0.0", data_dir=str(data), split="train", as_supervised=True)
    assert [int(label) for _, label in supervised] == [label for _, label in examples]
    first_40 = list(tfds.load("cats_vs_dogs:4.0.0", data_dir=str(data), split="train[:40%]", as_supervised=True))
    assert len(first_40) == 5 and first_40[0][0].dtype.name == "uint8" and first_40[0][0].shape[-1] == 3


def test_each_image_is_stored_as_the_files_own_bytes_as_version_4_0_0_stores_it(pet_images, tmp_path):
    import tensorflow_datasets as tfds

    folder, kept = pet_images
    assert _prepare(folder, tmp_path / "data").exit_code == 0
    builder = tfds.builder("cats_vs_dogs:4.0.0", data_dir=str(tmp_path / "data"))
    stored = builder.as_dataset(split="train", decoders={"image": tfds.decode.SkipDecoding()})
    for example in stored:
        name = example["image/filename"].numpy().decode()
        assert example["image"].numpy() == (folder / name[len("PetImages/"):]).read_bytes(), name


def test_a_zip_holding_the_folder_gives_the_same_examples_in_the_same_order(pet_images, tmp_path):
    folder, kept = pet_images
    assert _prepare(folder, tmp_path / "from_folder").exit_code == 0
    for prefix in ("PetImages/", "kagglecatsanddogs_5340/PetImages/", ""):
        archive = _zip(folder, tmp_path / "pets.zip", prefix)
        result = _prepare(archive, tmp_path / prefix.replace("/", "_") / "from_zip")
        assert result.exit_code == 0, result.output
        assert "kept        {} of {} files".format(KEPT, FILES) in result.stdout
        assert _examples(tmp_path / prefix.replace("/", "_") / "from_zip")[1] == _examples(tmp_path / "from_folder")[1]


def test_a_second_run_into_the_same_dir_writes_nothing_and_other_data_there_is_refused(pet_images, tmp_path,
                                                                                        tfds_dir):
    folder, _ = pet_images
    data = tmp_path / "data"
    target = data / "cats_vs_dogs" / "4.0.0"
    assert _prepare(folder, data).exit_code == 0
    written = sorted((p.name, p.stat().st_mtime_ns) for p in target.iterdir())
    for source in (folder, _zip(folder, tmp_path / "pets.zip")):  # the same files, as a folder or zipped
        again = _prepare(source, data)
        assert again.exit_code == 0 and "already prepared: {}".format(target) in again.stdout, again.output
        assert "nothing written" in again.stdout and again.stderr == ""
    assert sorted((p.name, p.stat().st_mtime_ns) for p in target.iterdir()) == written
    (folder / "Dog" / "1.jpg").unlink()
    _refused(_prepare(folder, data), target, "not this preparation", "made from other files", "--data-dir")
    _refused(_prepare(folder, tfds_dir), os.path.join(tfds_dir, "cats_vs_dogs", "4.0.0"), "no zoo_prepare.json")


def _without_dog(folder):
    shutil.rmtree(str(folder / "Dog"))
    return folder, "no Dog/ folder"


def _zip_without_classes(folder):
    with zipfile.ZipFile(str(folder.parent / "other.zip"), "w") as archive:
        archive.writestr("PetImages/Cat/1.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
        archive.writestr("PetImages/Dogs/1.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    return folder.parent / "other.zip", "no folder in this zip holds both Cat/ and Dog/"


def _no_jpg(folder):
    for file in folder.rglob("*.jpg"):
        file.unlink()
    return folder, "none of its 3 files in Cat/ and Dog/ is a .jpg file"


def _no_jfif(folder):
    for file in list(folder.rglob("*.jpg")):
        if b"JFIF" in file.read_bytes()[:512]:
            file.unlink()
    return folder, "none of its 4 .jpg files has a JFIF marker"


UNUSABLE = {"missing": lambda folder: (folder.parent / "nowhere", "no such file or folder"),
            "a text file": lambda folder: (folder / "Dog" / "notes.txt", "neither a folder nor a zip file"),
            "no Dog/": _without_dog, "a zip without Cat/ and Dog/": _zip_without_classes, "no .jpg file": _no_jpg,
            "no JFIF file": _no_jfif}


@pytest.mark.parametrize("case", sorted(UNUSABLE))
def test_an_unusable_source_is_refused_in_one_line_and_writes_nothing(pet_images, tmp_path, case):
    source, words = UNUSABLE[case](pet_images[0])
    data = tmp_path / "data"
    _refused(_prepare(source, data), source, words)
    assert not data.exists() or os.listdir(str(data)) == []


def test_a_data_dir_that_is_a_file_or_an_unknown_name_is_refused_in_one_line(pet_images, tmp_path):
    folder, _ = pet_images
    _refused(_prepare(folder, folder / "Dog" / "notes.txt"), folder / "Dog" / "notes.txt", "not a folder")
    _refused(zoo("prepare", "cats_vs_dog", folder, "--data-dir", tmp_path / "data"), "unknown preparer 'cats_vs_dog'",
             "did you mean 'cats_vs_dogs'")


def test_help_lists_what_can_be_prepared():
    from resizer_plugin.zoo.config.registry import preparers

    loaded, errors = preparers.load_all()
    assert list(loaded) == ["cats_vs_dogs"] and not errors
    result = zoo("prepare", "--help")
    assert result.exit_code == 0
    listed = " ".join(result.stdout.split("What can be prepared")[1].split())
    assert "cats_vs_dogs TFDS cats_vs_dogs 4.0.0" in listed and "PetImages folder (Cat/, Dog/) or a zip" in listed


def _interrupt_at(count):
    def progress(done, total):
        if done == count:
            raise KeyboardInterrupt
    return progress


def test_an_interrupted_run_leaves_nothing_the_tfds_source_reads_and_a_rerun_works(pet_images, tmp_path,
                                                                                  monkeypatch):
    from resizer_plugin.zoo.cli import prepare

    folder, kept = pet_images
    data = tmp_path / "data"
    monkeypatch.setattr(prepare.FileMeter, "__call__", lambda self, done, total: _interrupt_at(5)(done, total))
    result = _prepare(folder, data)
    assert result.exit_code == 130 and "interrupted" in result.stderr, result.output
    assert os.listdir(str(data)) == []  # its temporary folder removed
    _nothing_the_tfds_source_reads(data)
    monkeypatch.undo()
    assert _prepare(folder, data).exit_code == 0
    assert dict(_examples(data)[1]) == kept


def test_a_run_killed_before_its_cleanup_leaves_only_a_hidden_folder_and_a_rerun_works(pet_images, tmp_path,
                                                                                      monkeypatch):
    from resizer_plugin.zoo.config.registry import preparers

    folder, kept = pet_images
    data = tmp_path / "data"
    with monkeypatch.context() as patched:  # as SIGKILL would: no temporary folder removed, TFDS's own neither
        patched.setattr(shutil, "rmtree", lambda *args, **kwargs: None)
        with pytest.raises(KeyboardInterrupt):
            preparers.load("cats_vs_dogs").prepare(str(folder), str(data), _interrupt_at(7))
    left = os.listdir(str(data))
    assert len(left) == 1 and left[0].startswith(".zoo-prepare-cats_vs_dogs-")
    _nothing_the_tfds_source_reads(data)
    assert _prepare(folder, data).exit_code == 0
    assert dict(_examples(data)[1]) == kept


@pytest.fixture(scope="module")
def real_photos_dir(tmp_path_factory):
    """A TFDS data_dir prepared by zoo prepare from 32 cats and 32 dogs of the shared real photos (copied to a
    temporary folder), and that folder."""
    if not PHOTOS.is_dir():
        pytest.skip("the shared real photos are not here: {} (see ../shared/data/README.md)".format(PHOTOS))
    source = tmp_path_factory.mktemp("real") / "PetImages"
    for folder in ("Cat", "Dog"):
        (source / folder).mkdir(parents=True)
        for photo in sorted((PHOTOS / folder).iterdir())[:32]:
            shutil.copy(str(photo), str(source / folder / photo.name))
    data = source.parent / "tensorflow_datasets"
    result = _prepare(source, data)
    assert result.exit_code == 0 and "kept        64 of 64 files" in result.stdout, result.output
    return data, source


@pytest.mark.slow
def test_64_real_photos_train_the_reference_recipe_then_eval_and_predict(real_photos_dir, tmp_path):
    data, source = real_photos_dir
    out = tmp_path / "run"
    trained = zoo_run(RECIPES / "densenet_cats_dogs.yaml", "--data-dir", data, "--output-dir", out,
                      "--set", "data.batch_size=2", "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2",
                      "--set", "train.validation_steps=1")
    assert trained.exit_code == 0, trained.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["parameters"] == 7051717
    evaluated = zoo("eval", out)
    assert evaluated.exit_code == 0, evaluated.output
    assert "split 'train[40%:50%]', 6 examples" in evaluated.stdout  # 64 photos: train[:40%] is 26
    photos = [sorted((source / folder).iterdir())[-1] for folder in ("Cat", "Dog")]
    predicted = zoo("predict", out, *photos)
    assert predicted.exit_code == 0, predicted.output
    assert all(str(photo) in predicted.stdout for photo in photos) and "cat" in predicted.stdout


@pytest.mark.slow
def test_the_ports_train_full_1p_script_trains_on_what_zoo_prepare_wrote(real_photos_dir, tmp_path):
    from .test_ascend_port import _port_script

    result, run = _port_script(tmp_path, "train_full_1p.sh", "--data_path={}".format(real_photos_dir[0]),
                               "--precision_mode=allow_mix_precision", "--over_dump=False", "--profiling=False",
                               "--batch_size=2", "--set", "train.steps_per_epoch=2", "--set",
                               "train.validation_steps=1", "--epoch=1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["recipe"] == "densenet121-cats-vs-dogs-learnable-resizer" and metrics["epochs"] == 1
