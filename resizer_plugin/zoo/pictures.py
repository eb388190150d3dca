"""Pictures of a run: input images next to their bilinear resize and what the recipe's stages made of them (whatever
the stages are), training curves, a confusion matrix, a contact sheet; and the figure helpers other pictures use."""
import numpy as np

from ..compat import to_numpy

__all__ = ["FLOAT_NOISE", "arms_comparison", "confusion_matrix", "contact_sheet", "pyplot", "residual_caption",
           "residual_scale", "save_figure", "stages_comparison", "stages_transform", "training_curves",
           "transform_comparison"]


def _show(axis, image, title=None):
    axis.imshow(np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0))
    axis.set_xticks([])
    axis.set_yticks([])
    if title:
        axis.set_title(title, fontsize=9)


def pyplot():
    """matplotlib's pyplot, drawing to files only (Agg)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(plt, figure, path, title, dpi, bottom=0.0):
    """Lay ``figure`` out under ``title``, save it to ``path`` and close it; returns ``path``."""
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout(rect=(0, bottom, 1, 1))
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path


def _stretched(image):
    """``image`` mapped from its own min..max to 0..1, so that its structure shows whatever its range."""
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


FLOAT_NOISE = 1e-4
"""A residual whose largest |value| is below this (1/39 of one 8-bit level) is float noise: shown as none."""


def _largest(residual):
    return float(np.abs(residual).max())


def residual_scale(residuals):
    """The one scale of a picture's residual columns: the largest |value| over all of them (every arm, every row),
    so that two arms' residuals compare on screen; None where all of it is float noise."""
    largest = max(_largest(residual) for residual in residuals)
    return largest if largest >= FLOAT_NOISE else None


def _signed(residual, scale):
    """A signed image on the picture's one ``scale``: 0 -> gray (0.5), -/+scale -> black/white; float noise (every
    |value| below FLOAT_NOISE, or no scale) -> flat gray."""
    if scale is None or _largest(residual) < FLOAT_NOISE:
        return np.full_like(residual, 0.5)
    return np.clip(0.5 + residual / (2.0 * scale), 0.0, 1.0)


def _residual_note(residual):
    largest = _largest(residual)
    if largest < FLOAT_NOISE:
        return "none (largest |r| {:.0e}: float noise)".format(largest)
    return "largest |r| {:.3f}".format(largest)


def residual_caption(scale):
    """The caption under a picture of outputs and residuals, naming its residual scale."""
    shown = ("black/white = -/+{:.3g} (the largest |difference| in this picture: one scale for every residual "
             "in it)".format(scale) if scale else "every difference below float noise")
    return ("output: each image stretched from its own min..max to black..white (a learned stage's output is not "
            "bound to [0, 1]);\nresidual: output minus the bilinear resize, gray = 0, {};\nunder each residual its "
            "largest |difference|: below {:.0e} that is float noise, shown as none".format(shown, FLOAT_NOISE))


def transform_comparison(images, transform, path, target_size, title=None, label="output", dpi=80):
    """Save a grid: one row per image (float, [0, 1], NHWC), columns input | bilinear | ``transform(images)``,
    stretched for display | the residual ``transform(images)`` minus bilinear (what the transform adds to it).

    ``transform`` is any callable mapping the batch to images of ``target_size`` (a Keras layer, or a recipe's
    stages), called with ``training=False``. A caption under the grid says how the last two columns are scaled.
    """
    return arms_comparison(images, [(label, transform)], path, target_size, title=title, dpi=dpi)


def arms_comparison(images, arms, path, target_size, title=None, dpi=80):
    """:func:`transform_comparison` of several ``arms`` (``(label, transform)`` pairs) side by side on the same
    images: input | bilinear | per arm, its output and its residual, every residual on the picture's one scale
    (:func:`residual_scale`), each captioned with its largest |difference| or "none" where that is float noise."""
    import tensorflow as tf

    plt = pyplot()
    images = np.asarray(images, dtype=np.float32)
    bilinear = tf.image.resize(images, target_size, method="bilinear").numpy()
    made = [to_numpy(transform(images, training=False)).astype(np.float32) for _, transform in arms]
    residuals = [output - bilinear for output in made]
    scale = residual_scale(residuals)
    rows, columns = len(images), 2 + 2 * len(arms)
    figure, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.5 * rows + 0.6 + (0.3 if title else 0)),
                                squeeze=False)
    height, width = images.shape[1:3]
    names = ["input {}x{}".format(height, width), "bilinear {}x{}".format(*target_size)]
    for label, _ in arms:
        names += ["{} {}x{}".format(label, *target_size), "{}: residual".format(label)]
    for row in range(rows):
        shown = [images[row], bilinear[row]]
        for output, residual in zip(made, residuals):
            shown += [_stretched(output[row]), _signed(residual[row], scale)]
        for col, picture in enumerate(shown):
            _show(axes[row][col], picture, names[col] if row == 0 else None)
        for arm, residual in enumerate(residuals):
            axes[row][3 + 2 * arm].set_xlabel(_residual_note(residual[row]), fontsize=7)
    figure.text(0.5, 0.005, residual_caption(scale), ha="center", va="bottom", fontsize=7)
    return save_figure(plt, figure, path, title, dpi, bottom=0.6 / (2.5 * rows + 0.9))


def stages_transform(stages_model):
    """A recipe's stages (``stages_model``: uint8 image -> last stage's output) as a transform of float [0, 1]
    images, as :func:`transform_comparison` takes one. Stages without a rescale stay in 0..255: those are brought to
    the [0, 1] scale too."""
    def through_the_stages(floats, training=False):
        out = to_numpy(stages_model(np.round(floats * 255.0).astype(np.uint8), training=False)).astype(np.float32)
        return out / 255.0 if float(np.median(out)) > 2.0 else out
    return through_the_stages


def stages_comparison(stages_model, images, path, title, label):
    """:func:`transform_comparison` of a recipe's stages (``stages_model``: uint8 image -> last stage's output) on
    uint8 ``images``."""
    target_size = tuple(stages_model.output.shape[1:3])
    return transform_comparison(images.astype(np.float32) / 255.0, stages_transform(stages_model), path, target_size,
                                title=title, label=label)


def training_curves(history, path, title=None, dpi=80):
    """Save loss and accuracy per epoch (train and validation) from history rows (dicts of floats), and the
    learning rate where the rows have it."""
    plt = pyplot()
    epochs = [int(row.get("epoch", i)) + 1 for i, row in enumerate(history)]
    panels = ["loss", "accuracy"] + (["learning_rate"] if any("learning_rate" in row for row in history) else [])
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.4))
    for axis, metric in zip(axes, panels):
        for prefix, style in (("", "-o"), ("val_", "--s")):
            values = [row.get(prefix + metric) for row in history]
            if any(v is not None for v in values):
                axis.plot(epochs, values, style, label=(prefix or ("train_" if metric != "learning_rate" else ""))
                          + metric)
        axis.set_xlabel("epoch")
        axis.set_title(metric.replace("_", " ") + (" (at the end of the epoch)" if metric == "learning_rate" else ""))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    return save_figure(plt, figure, path, title, dpi)


def confusion_matrix(matrix, class_names, path, title=None, dpi=80):
    """Save the confusion matrix (rows: true class, columns: predicted), each cell with its count."""
    plt = pyplot()
    matrix = np.asarray(matrix)
    size = max(3.5, 0.6 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size, size))
    axis.imshow(matrix, cmap="Blues")
    ticks = range(len(class_names))
    axis.set_xticks(ticks)
    axis.set_xticklabels(class_names, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(ticks)
    axis.set_yticklabels(class_names, fontsize=8)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for (row, column), value in np.ndenumerate(matrix):
        axis.text(column, row, str(value), ha="center", va="center", fontsize=8,
                  color="white" if value > matrix.max() / 2 else "black")
    return save_figure(plt, figure, path, title, dpi)


def contact_sheet(images, captions, path, columns=4, dpi=80):
    """Save uint8 images in a grid, each with its caption (e.g. the predicted classes) under it."""
    plt = pyplot()
    rows = max(1, -(-len(images) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.9 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        if index < len(images):
            _show(axis, np.asarray(images[index], dtype=np.float32) / 255.0)
            axis.set_xlabel(captions[index], fontsize=7)
        else:
            axis.axis("off")
    return save_figure(plt, figure, path, None, dpi)
