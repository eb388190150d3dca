"""``zoo eval``: a run's model on a split, measured as training measured it, plus what training did not report:
top-5 accuracy (more than 5 classes), per-class precision, recall and F1, and the confusion matrix."""
import numpy as np

from ..compat import to_numpy
from .training.optimization import loss_and_metrics
from .training.pipeline import split_batches

__all__ = ["classification_report", "evaluate"]


def _predictions(run, split):
    """(probabilities [N, K], labels [N], summed loss) over the whole split, in its fixed order."""
    one_hot = run.recipe.train.loss.one_hot
    batches = split_batches(run.recipe, split, len(run.class_names), one_hot=one_hot)
    loss_fn, _ = loss_and_metrics(run.recipe.train)
    probabilities, labels, loss = [], [], 0.0
    for images, targets in batches:
        targets = targets.numpy()
        batch = to_numpy(run.model.model(images.numpy(), training=False)).astype(np.float32)
        loss += float(to_numpy(loss_fn(targets, batch))) * len(batch)
        probabilities.append(batch)
        labels.append(np.argmax(targets, axis=1) if one_hot else targets)
    return np.concatenate(probabilities), np.concatenate(labels).astype(int), loss


def classification_report(probabilities, labels, class_names):
    """Accuracy, top-5 accuracy (more than 5 classes), per-class precision/recall/F1/support, confusion matrix
    (rows: true class, columns: predicted)."""
    count = len(class_names)
    predicted = np.argmax(probabilities, axis=1)
    matrix = np.zeros((count, count), dtype=int)
    np.add.at(matrix, (labels, predicted), 1)
    per_class = {}
    for k, name in enumerate(class_names):
        hits, guessed, actual = matrix[k, k], matrix[:, k].sum(), matrix[k, :].sum()
        precision = hits / guessed if guessed else 0.0
        recall = hits / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": float(precision), "recall": float(recall), "f1": float(f1),
                           "support": int(actual)}
    report = {"accuracy": float(np.mean(predicted == labels)), "per_class": per_class,
              "confusion_matrix": matrix.tolist()}
    if count > 5:
        top5 = np.argsort(-probabilities, axis=1)[:, :5]
        report["top_5_accuracy"] = float(np.mean(np.any(top5 == labels[:, None], axis=1)))
    return report


def evaluate(run, split=None):
    """eval.json's content for the opened ``run`` (finished_run.FinishedRun) on ``split`` (default: its
    validation split)."""
    split = split or run.recipe.dataset_options["val_split"]
    with run.session.computation_scope():
        probabilities, labels, loss = _predictions(run, split)
    report = classification_report(probabilities, labels, run.class_names)
    return dict({"run": run.run_dir.root, "checkpoint": run.checkpoint, "split": split, "examples": len(labels),
                 "loss": loss / len(labels), "classes": run.class_names}, **report)
