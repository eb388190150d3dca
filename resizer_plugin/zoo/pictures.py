"""Pictures: input images next to their bilinear resize and a resizer stage's output.

    python -m resizer_plugin.zoo.pictures docs/resizer_comparison.png    # the README picture
"""
import argparse

import numpy as np

__all__ = ["resizer_comparison", "training_curves"]


def _show(axis, image, title=None):
    axis.imshow(np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0))
    axis.set_xticks([])
    axis.set_yticks([])
    if title:
        axis.set_title(title, fontsize=9)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(plt, figure, path, title, dpi):
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path


def resizer_comparison(images, resizer, path, target_size, title=None, label="learnable resizer", dpi=80):
    """Save a grid: one row per image (float, [0, 1], NHWC), columns input | bilinear | ``resizer(images)``.

    ``resizer`` is any callable mapping the batch to resized images (a LearnableResizer layer, or a model's
    stages); its output is shown clipped to [0, 1], as the paper shows it.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import tensorflow as tf

    images = np.asarray(images, dtype=np.float32)
    bilinear = tf.image.resize(images, target_size, method="bilinear").numpy()
    learned = np.asarray(tf.cast(resizer(images, training=False), tf.float32))
    rows = len(images)
    figure, axes = plt.subplots(rows, 3, figsize=(6.6, 2.3 * rows + (0.3 if title else 0)), squeeze=False)
    height, width = images.shape[1:3]
    columns = ("input {}x{}".format(height, width), "bilinear {}x{}".format(*target_size),
               "{} {}x{}".format(label, *target_size))
    for row in range(rows):
        for col, picture in enumerate((images[row], bilinear[row], learned[row])):
            _show(axes[row][col], picture, columns[col] if row == 0 else None)
    return _save(plt, figure, path, title, dpi)


def training_curves(history, path, title=None, dpi=80):
    """Save loss and accuracy per epoch (train and validation) from history rows (dicts of floats)."""
    plt = _pyplot()
    epochs = [int(row.get("epoch", i)) + 1 for i, row in enumerate(history)]
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for axis, metric in zip(axes, ("loss", "accuracy")):
        for prefix, style in (("", "-o"), ("val_", "--s")):
            values = [row.get(prefix + metric) for row in history]
            if any(v is not None for v in values):
                axis.plot(epochs, values, style, label=(prefix or "train_") + metric)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    return _save(plt, figure, path, title, dpi)


def main(argv=None):
    """Draw the README picture: scikit-image photos, 300x300 -> 150x150, with a freshly initialized resizer."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("output", help="image file to write (.png or .jpg)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import tensorflow as tf

    from ..photos import sample_photos
    from . import registry

    tf.random.set_seed(args.seed)
    photos = sample_photos((300, 300), 3)
    layer, _ = registry.stages.load("learnable_resizer")({"target_size": [150, 150]}, (300, 300, 3))
    resizer_comparison(photos, layer, args.output, (150, 150),
                       title="learnable resizer at initialization (random weights, before any training)")
    print(args.output)


if __name__ == "__main__":
    main()
