"""Input pipeline throughput from JPEG files on disk (decode + resize to the input size + batch), against the
rate at which the model consumes images in training, so the pipeline is shown not to be the bottleneck.

    python -m benchmarks.pipeline --batch-size 64 --files 512 --json pipeline.json
"""
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from PIL import Image

from resizer_plugin.datasets.image_folder import image_folder
from resizer_plugin.photos import PHOTO_NAMES, load_photo
from resizer_plugin.zoo.training.pipeline import make_pipeline

from .common import chosen_conv_forms, common_arguments, finish, fmt, machine, median_seconds, print_table
from .train_step import train_steps


def write_jpegs(folder, count, seed=0):
    """``count`` JPEG crops of real photos, about the size of cats_vs_dogs images (500x375), in two classes."""
    rng = np.random.RandomState(seed)
    for label in ("a", "b"):
        os.makedirs(os.path.join(folder, label), exist_ok=True)
    for i in range(count):
        photo = load_photo(PHOTO_NAMES[i % len(PHOTO_NAMES)])
        height, width = photo.shape[:2]
        crop_h, crop_w = min(height, 375), min(width, 500)
        top, left = rng.randint(0, height - crop_h + 1), rng.randint(0, width - crop_w + 1)
        Image.fromarray(photo[top:top + crop_h, left:left + crop_w]).save(
            os.path.join(folder, "ab"[i % 2], "{}.jpg".format(i)), quality=90)


def pipeline_images_per_second(folder, args, epochs=3):
    options = image_folder.validate({"data_dir": folder, "train_split": "train"})
    raw = image_folder.load(options, "train", seed=0)
    pipeline = make_pipeline(raw, tuple(args.input_size), args.batch_size, 2, training=True, seed=0,
                                  drop_remainder=True)
    rates = []
    for _ in range(epochs + 1):  # the first pass warms the file cache and tf.data
        start, count = time.perf_counter(), 0
        for images, _ in pipeline:
            count += int(images.shape[0])
        rates.append(count / (time.perf_counter() - start))
    return float(np.median(rates[1:]))


def main(argv=None):
    parser = common_arguments(__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=512, help="JPEG files to write and read")
    parser.add_argument("--skip-model", action="store_true", help="do not time the model's training step")
    parser.set_defaults(batch_size=64, steps=2, warmup=1)
    args = parser.parse_args(argv)
    with chosen_conv_forms(args):
        return run(args)


def run(args):
    """Time the input pipeline and (unless ``--skip-model``) the resizer's training step; print and return both."""
    results = {"benchmark": "pipeline", "machine": machine(), "settings": vars(args)}
    with tempfile.TemporaryDirectory() as folder:
        write_jpegs(folder, args.files)
        results["pipeline_images_per_second"] = pipeline_images_per_second(folder, args)
    rows = [["input pipeline (decode + resize + batch)", fmt(results["pipeline_images_per_second"], 1)]]
    if not args.skip_model:
        images = tf.constant(np.zeros((args.batch_size,) + tuple(args.input_size) + (3,), np.float32))
        labels = tf.one_hot(np.arange(args.batch_size) % 2, 2)
        _, step = train_steps("resizer", args, images, labels)
        seconds, _ = median_seconds({"resizer": step}, args.steps, args.warmup)["resizer"]
        results["model_images_per_second"] = args.batch_size / seconds
        results["pipeline_over_model"] = results["pipeline_images_per_second"] / results["model_images_per_second"]
        rows.append(["training step, resizer + " + args.backbone, fmt(results["model_images_per_second"], 1)])
    print_table("images/s, {}x{}, batch {}, {} files".format(*args.input_size, args.batch_size, args.files),
                ["stage", "images/s"], rows)
    return finish(args, results, ["pipeline_over_model"])


if __name__ == "__main__":
    main()
