"""Training a validated recipe: pipelines, model, compile, fit, checkpoints, resume, metrics and pictures.

Output directory::

    recipe.yaml            the recipe as validated (defaults filled in)
    train.log              everything logged, throughput lines included
    history.csv            one row per epoch (kept across --resume)
    checkpoints/           TensorFlow checkpoints: ckpt-<epoch> (the last few) and best/ (best val accuracy)
    logs/                  TensorBoard
    metrics.json           final figures
    pictures/              training_curves.png, resizer_before.png, resizer_after.png
"""
import csv
import json
import logging
import math
import os
import sys
import time

import numpy as np
import tensorflow as tf
import yaml

from ..compat import keras
from . import pictures
from .data import make_pipeline, skipped_files, skipped_summary
from .model import build_model, count_parameters, synchronize_batch_norm

__all__ = ["OutputDirError", "TimeHistory", "check_output_dir", "train"]

log = logging.getLogger("zoo")


class OutputDirError(RuntimeError):
    """The output directory holds a run and --resume was not given."""


def check_output_dir(output_dir, resume):
    """Refuse to write into a directory that already holds files, unless resuming."""
    if os.path.isdir(output_dir) and os.listdir(output_dir) and not resume:
        raise OutputDirError("output directory {} already holds a run ({}); pass --resume to continue it, or "
                             "choose another --output-dir".format(output_dir, ", ".join(sorted(os.listdir(output_dir))[:4])))


class TimeHistory(keras.callbacks.Callback):
    """Logs ``TimeHistory: <s> seconds, <x> examples/second between steps <a> and <b>`` every ``log_steps``
    steps (the line the Ascend ModelZoo scripts parse), and keeps the rates for metrics.json."""

    def __init__(self, batch_size, log_steps):
        super().__init__()
        self.batch_size, self.log_steps = batch_size, log_steps
        self.global_step, self.rates = 0, []
        self._start_step, self._start_time = 0, None

    def on_train_batch_begin(self, batch, logs=None):
        if self._start_time is None:
            self._start_time, self._start_step = time.time(), self.global_step

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1
        if self.global_step - self._start_step >= self.log_steps:
            self._report()

    def on_epoch_end(self, epoch, logs=None):
        if self._start_time is not None and self.global_step > self._start_step:
            self._report()

    def _report(self):
        elapsed = time.time() - self._start_time
        steps = self.global_step - self._start_step
        rate = steps * self.batch_size / elapsed if elapsed > 0 else float("nan")
        self.rates.append((steps, rate))
        log.info("TimeHistory: %.2f seconds, %.2f examples/second between steps %d and %d", elapsed, rate,
                 self._start_step, self.global_step)
        self._start_time = None

    def examples_per_second(self):
        """Mean rate over the logged windows, leaving out the first (tracing and warm-up) when there are others."""
        windows = self.rates[1:] if len(self.rates) > 1 else self.rates
        steps = sum(s for s, _ in windows)
        return sum(s * r for s, r in windows) / steps if steps else None


class _EpochCheckpoint(keras.callbacks.Callback):
    """After each epoch: save the checkpoint (write, then the pointer file is replaced atomically), and the best."""

    def __init__(self, state, manager, best_manager, elapsed_before):
        super().__init__()
        self.state, self.manager, self.best_manager = state, manager, best_manager
        self.elapsed_before, self.started = elapsed_before, time.time()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.state["epoch"].assign(epoch + 1)
        self.state["elapsed"].assign(self.elapsed_before + time.time() - self.started)
        score = logs.get("val_accuracy")
        if score is not None and score > float(self.state["best"].numpy()):
            self.state["best"].assign(score)
            self.best_manager.save(checkpoint_number=epoch + 1)
            log.info("epoch %d: best val_accuracy %.4f, saved %s", epoch + 1, score, self.best_manager.latest_checkpoint)
        path = self.manager.save(checkpoint_number=epoch + 1)
        log.info("epoch %d: saved %s", epoch + 1, path)


def _optimizer(config):
    kind, rate, decay = config["type"], config["learning_rate"], config["weight_decay"]
    extra = {} if decay is None or kind == "adamw" else {"weight_decay": decay}
    if kind == "sgd":
        return keras.optimizers.SGD(rate, momentum=config["momentum"], nesterov=config["nesterov"], **extra)
    if kind == "adam":
        return keras.optimizers.Adam(rate, **extra)
    if kind == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=0.004 if decay is None else decay)
    return keras.optimizers.RMSprop(rate, momentum=config["momentum"], **extra)


def _one_hot_labels(train_config):
    """Whether the loss takes one-hot labels (categorical) rather than class indices (sparse)."""
    return train_config["loss"]["type"] == "categorical_crossentropy"


def _loss_and_metrics(train_config):
    loss = train_config["loss"]
    categorical = _one_hot_labels(train_config)
    if categorical:
        loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=loss["label_smoothing"])
    else:
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
    metrics = []
    for name in train_config["metrics"]:
        if name == "accuracy":
            metrics.append("accuracy")
        else:
            top_k = keras.metrics.TopKCategoricalAccuracy if categorical else keras.metrics.SparseTopKCategoricalAccuracy
            metrics.append(top_k(5, name="top_5_accuracy"))
    return loss_fn, metrics


def _build_optimizer_variables(optimizer, variables):
    """Create the optimizer's slots now, so a checkpoint restores them instead of deferring."""
    if hasattr(optimizer, "build"):
        optimizer.build(variables)
    else:  # tf.keras optimizer_v2 (TensorFlow 2.6)
        optimizer._create_all_weights(variables)


def _pipelines(recipe, info, session):
    data = recipe.config["data"]
    train_cfg = recipe.config["train"]
    one_hot = _one_hot_labels(train_cfg)

    def pipeline(split, training, steps):
        raw = recipe.dataset.load(recipe.dataset_options, split, recipe.config["seed"] if training else None)
        dataset = make_pipeline(raw, data["image_size"], data["batch_size"], len(info.class_names), training,
                                recipe.config["seed"], data["shuffle_buffer"],
                                data["drop_remainder"] or session.static_shapes, one_hot, data["antialias"])
        if steps is not None:
            dataset = dataset.repeat()
        return session.distribute_dataset(dataset, data["batch_size"])

    train_ds = pipeline(recipe.dataset_options["train_split"], True, train_cfg["steps_per_epoch"])
    val_ds = pipeline(recipe.dataset_options["val_split"], False, train_cfg["validation_steps"])
    return train_ds, val_ds


def _picture_images(recipe, info, count, scan=512):
    """``count`` validation images, one class after another (round robin) among the first ``scan`` examples."""
    data = recipe.config["data"]
    raw = recipe.dataset.load(recipe.dataset_options, recipe.dataset_options["val_split"], None).take(scan)
    by_class = {}
    for images, labels in make_pipeline(raw, data["image_size"], 64, len(info.class_names), False, None,
                                        one_hot=False, antialias=data["antialias"]):
        for image, label in zip(images.numpy(), labels.numpy()):
            by_class.setdefault(int(label), []).append(image)
    queues = [by_class[k] for k in sorted(by_class)]
    chosen = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return np.stack(chosen)


def _draw_resizer(stages_model, images, path, title, label):
    def resize(floats, training=False):
        out = tf.cast(stages_model(tf.cast(tf.round(floats * 255.0), tf.uint8), training=False), tf.float32)
        # stages without a rescale stay in 0..255: show those on the [0, 1] scale too
        return out / 255.0 if float(np.median(out.numpy())) > 2.0 else out
    spec_size = tuple(stages_model.output.shape[1:3])
    pictures.resizer_comparison(images.astype(np.float32) / 255.0, resize, path, spec_size, title=title, label=label)


def _read_history(path):
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as handle:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(handle)]


def train(recipe, output_dir, resume=False, session=None):
    """Train ``recipe`` into ``output_dir``; returns the metrics written to metrics.json."""
    config = recipe.config
    session = session or recipe.runtime.start(recipe.runtime_options)
    output_dir = os.path.join(output_dir, session.output_subdir())
    for sub in ("checkpoints", "logs", "pictures"):
        os.makedirs(os.path.join(output_dir, sub), exist_ok=True)
    with open(os.path.join(output_dir, "recipe.yaml"), "w") as handle:
        yaml.safe_dump(_plain(config), handle, sort_keys=False)
    keras.utils.set_random_seed(config["seed"])
    log.info("runtime: %s", session.description)

    info = recipe.dataset.describe(recipe.dataset_options)
    train_ds, val_ds = _pipelines(recipe, info, session)
    skipped = skipped_summary(recipe.dataset_options.get("data_dir"))
    if skipped:
        log.warning(skipped)
    with session.strategy.scope():
        built = build_model(recipe, len(info.class_names))
        model = built.model
        if session.strategy.num_replicas_in_sync > 1:
            log.info("%d replicas: BatchNormalization synchronized across them (%d layers)",
                     session.strategy.num_replicas_in_sync, synchronize_batch_norm(model))
        loss_fn, metrics = _loss_and_metrics(config["train"])
        model.compile(optimizer=session.wrap_optimizer(_optimizer(config["train"]["optimizer"])), loss=loss_fn,
                      metrics=metrics, jit_compile=session.jit_compile)
        _build_optimizer_variables(model.optimizer, model.trainable_variables)
        state = {"epoch": tf.Variable(0, dtype=tf.int64, trainable=False),
                 "best": tf.Variable(-1.0, dtype=tf.float64, trainable=False),
                 "elapsed": tf.Variable(0.0, dtype=tf.float64, trainable=False)}
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer, epoch=state["epoch"], best=state["best"],
                                     elapsed=state["elapsed"])
    best_checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(output_dir, "checkpoints"), max_to_keep=3)
    best_manager = tf.train.CheckpointManager(best_checkpoint, os.path.join(output_dir, "checkpoints", "best"),
                                              max_to_keep=1)
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        log.info("resumed from %s: %d of %d epochs done (optimizer step %d)", manager.latest_checkpoint,
                 int(state["epoch"].numpy()), config["train"]["epochs"], int(model.optimizer.iterations.numpy()))
    elif resume:
        log.info("--resume: no checkpoint in %s yet, starting from scratch", output_dir)
    session.prepare_model(model)
    initial_epoch = int(state["epoch"].numpy())
    parameters, trainable = count_parameters(model)
    log.info("model: %s parameters (%s trainable); classes: %s", format(parameters, ","), format(trainable, ","),
             ", ".join(info.class_names))

    picture_dir = os.path.join(output_dir, "pictures")
    label = " + ".join(stage.name for stage, _ in recipe.stages) or "(no stages)"
    sample = _picture_images(recipe, info, config["output"]["picture_images"])
    before = os.path.join(picture_dir, "resizer_before.png")
    if initial_epoch == 0 or not os.path.isfile(before):
        _draw_resizer(built.stages, sample, before, "before training", label)

    timer = TimeHistory(config["data"]["batch_size"], config["train"]["log_steps"])
    callbacks = [timer, _EpochCheckpoint(state, manager, best_manager, float(state["elapsed"].numpy())),
                 keras.callbacks.CSVLogger(os.path.join(output_dir, "history.csv"), append=initial_epoch > 0),
                 keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), profile_batch=0)]
    epochs = config["train"]["epochs"]
    if initial_epoch < epochs:
        model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch,
                  steps_per_epoch=config["train"]["steps_per_epoch"],
                  validation_steps=config["train"]["validation_steps"], callbacks=callbacks, shuffle=False,
                  verbose=1 if sys.stdout.isatty() else 2)

    history = _read_history(os.path.join(output_dir, "history.csv"))
    _draw_resizer(built.stages, sample, os.path.join(picture_dir, "resizer_after.png"), "after training", label)
    pictures.training_curves(history, os.path.join(picture_dir, "training_curves.png"), title=config["name"])
    last = history[-1] if history else {}
    metrics = {
        "recipe": config["name"],
        "epochs": len(history),
        "val_accuracy": last.get("val_accuracy"),
        "val_loss": last.get("val_loss"),
        "best_val_accuracy": max((row.get("val_accuracy", -1) for row in history), default=None),
        "train_accuracy": last.get("accuracy"),
        "train_loss": last.get("loss"),
        "examples_per_second": timer.examples_per_second(),
        "parameters": parameters,
        "trainable_parameters": trainable,
        "time_seconds": float(state["elapsed"].numpy()) if history else 0.0,
        "runtime": session.description,
        "classes": info.class_names,
        "skipped_files": {k: len(v) for k, v in skipped_files(recipe.dataset_options.get("data_dir")).items()},
    }
    metrics = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}
    with open(os.path.join(output_dir, "metrics.json"), "w") as handle:
        json.dump(metrics, handle, indent=2)
    log.info("done: val_accuracy %s after %d epochs; outputs in %s", metrics["val_accuracy"], metrics["epochs"],
             output_dir)
    return metrics


def _plain(value):
    """The config as plain YAML types (tuples become lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
