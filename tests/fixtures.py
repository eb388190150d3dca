"""Small local datasets made from real photos (scikit-image samples): a TFDS cats_vs_dogs directory in the exact
4.0.0 layout, an image folder with the kinds of bad files the Microsoft PetImages archive holds, and a PetImages
folder for ``zoo prepare`` with the files TFDS's builder drops."""
import io
import os
import shutil

import numpy as np
from PIL import Image

from resizer_plugin.photos import load_photo

CAT, OTHERS = "chelsea", ("coffee", "astronaut", "rocket")


def _crop(photo, rng, min_side=120):
    height, width = photo.shape[:2]
    side = rng.randint(min_side, min(height, width) + 1)
    top, left = rng.randint(0, height - side + 1), rng.randint(0, width - side + 1)
    return photo[top:top + side, left:left + side]


def labelled_photos(count, seed=0):
    """``count`` (uint8 image, label) pairs: crops of the cat photo (0) and of other photos (1), alternating."""
    rng = np.random.RandomState(seed)
    cat, others = load_photo(CAT), [load_photo(n) for n in OTHERS]
    return [(_crop(cat if i % 2 == 0 else others[(i // 2) % len(others)], rng), i % 2) for i in range(count)]


def write_cats_vs_dogs(data_dir, examples=48):
    """Write ``<data_dir>/cats_vs_dogs/4.0.0/`` as TFDS prepares it: 8 train shards, dataset_info.json,
    features.json, label.labels.txt. Returns the folder."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    pairs = labelled_photos(examples)
    features = tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(None, None, 3)),
        "image/filename": tfds.features.Text(),
        "label": tfds.features.ClassLabel(names=["cat", "dog"]),
    })
    dataset = tf.data.Dataset.from_generator(
        lambda: ({"image": image, "image/filename": "PetImages/{}/{}.jpg".format(("Cat", "Dog")[label], i),
                  "label": label} for i, (image, label) in enumerate(pairs)),
        output_signature={"image": tf.TensorSpec((None, None, 3), tf.uint8),
                          "image/filename": tf.TensorSpec((), tf.string), "label": tf.TensorSpec((), tf.int64)})
    tfds.dataset_builders.store_as_tfds_dataset(
        name="cats_vs_dogs", version="4.0.0", features=features, split_datasets={"train": dataset},
        data_dir=str(data_dir), download_config=tfds.download.DownloadConfig(num_shards=8))
    shutil.rmtree(os.path.join(str(data_dir), "downloads"), ignore_errors=True)
    return os.path.join(str(data_dir), "cats_vs_dogs", "4.0.0")


def _jpeg(image, quality=90):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


#: the bad files write_image_folder adds, by the reason the image_folder source gives for skipping them
BAD_FILES = {"empty": 1, "not an image": 1, "corrupt or truncated": 1}


def write_image_folder(root, per_class=8):
    """``root/Cat`` and ``root/Dog`` with JPEG crops of real photos, plus a grayscale JPEG, an RGBA PNG, a GIF,
    a zero-byte file, a text file named .jpg and a truncated JPEG (the last three must be skipped)."""
    pairs = labelled_photos(2 * per_class)
    for folder in ("Cat", "Dog"):
        os.makedirs(os.path.join(str(root), folder), exist_ok=True)
    for i, (image, label) in enumerate(pairs):
        with open(os.path.join(str(root), ("Cat", "Dog")[label], "{}.jpg".format(i)), "wb") as handle:
            handle.write(_jpeg(image))
    cat = pairs[0][0]
    Image.fromarray(cat).convert("L").save(os.path.join(str(root), "Cat", "gray.jpg"))
    Image.fromarray(cat).convert("RGBA").save(os.path.join(str(root), "Cat", "rgba.png"))
    Image.fromarray(pairs[1][0]).save(os.path.join(str(root), "Dog", "palette.gif"))
    open(os.path.join(str(root), "Dog", "zero.jpg"), "wb").close()
    with open(os.path.join(str(root), "Dog", "notes.jpg"), "w") as handle:
        handle.write("Thumbs.db is not a photo")
    with open(os.path.join(str(root), "Cat", "truncated.jpg"), "wb") as handle:
        data = _jpeg(pairs[2][0])
        handle.write(data[:len(data) // 3])
    return str(root)


#: the files write_pet_images adds that TFDS's cats_vs_dogs builder drops, by the start of zoo prepare's reason
PET_IMAGES_SKIPPED = {"no JFIF marker": 4, "not a .jpg file": 3}
#: an APP1 segment holding an EXIF block with no entries (a big-endian TIFF header, an empty IFD), as a camera's
#: JPEG opens instead of JFIF's APP0
_EXIF = b"\xff\xe1\x00\x16Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"


def _without_jfif(jpeg, segment=b""):
    """``jpeg`` (PIL's, opening with the JFIF APP0 segment) with that segment replaced by ``segment``."""
    assert jpeg[6:11] == b"JFIF\x00"
    return jpeg[:2] + segment + jpeg[4 + int.from_bytes(jpeg[4:6], "big"):]


def _png(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def write_pet_images(root, per_class=6):
    """``root/Cat`` and ``root/Dog`` as in Microsoft's PetImages archive: JFIF JPEG crops of real photos named
    ``<n>.jpg`` (and one ``cat.<n>.jpg``, as Kaggle names them), plus what TFDS's builder drops (PET_IMAGES_SKIPPED):
    an EXIF JPEG, a JPEG without its JFIF segment, a PNG named .jpg and an empty .jpg (no JFIF marker); a PNG, a text
    file and a Thumbs.db (not .jpg). Returns {the kept files' PetImages/... name: label}."""
    kept, images = {}, [image for image, _ in labelled_photos(2 * per_class, seed=1)]
    files = {"Cat/exif.jpg": _without_jfif(_jpeg(images[0]), _EXIF),
             "Dog/no_jfif.jpg": _without_jfif(_jpeg(images[1])), "Cat/png.jpg": _png(images[2]), "Dog/empty.jpg": b"",
             "Cat/photo.png": _png(images[3]), "Dog/notes.txt": b"not a photo\n", "Cat/Thumbs.db": b"\x00" * 64}
    for i, image in enumerate(images):
        name = "{}/{}.jpg".format(("Cat", "Dog")[i % 2], i) if i else "Cat/cat.{}.jpg".format(i)
        files[name], kept["PetImages/" + name] = _jpeg(image), i % 2
    for name, data in files.items():
        os.makedirs(os.path.join(str(root), os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(str(root), name), "wb") as handle:
            handle.write(data)
    return kept
