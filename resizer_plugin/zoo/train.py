"""Training a validated recipe: pipelines, model, compile, fit, checkpoints, resume, metrics and pictures.

The pieces live in their own modules (run_dir, pipeline, model, optimization, checkpoints, callbacks, metrics,
pictures); this one puts them in order. Everything runs inside the runtime's strategy and computation scopes.
"""
import os
import sys
from typing import NamedTuple

from .. import compat
from ..compat import keras
from . import pictures
from .callbacks import EpochLog, LearningRateLog, SaveCheckpoints, TimeHistory
from .checkpoints import Checkpoints, TrainingState
from .contract import DataError
from .metrics import read_history, run_metrics, trim_history, write_metrics
from .model import build_model, count_parameters, synchronize_batch_norm
from .optimization import build_optimizer, build_optimizer_variables, loss_and_metrics
from .pipeline import picture_images, recipe_pipelines
from .logs import log
from .run_dir import RunDirectory, check_output_dir

__all__ = ["start_run", "train"]


class _Trainable(NamedTuple):
    built: object          # model.RecipeModel
    state: TrainingState
    checkpoints: Checkpoints


def _epoch_steps(recipe, pipelines):
    """Optimizer steps in an epoch: ``train.steps_per_epoch``, else the training split's batches. A learning-rate
    schedule and step checkpoints count in them, so they refuse a split of unknown size."""
    train, schedule = recipe.train, recipe.train.optimizer.schedule
    steps = train.steps_per_epoch or int(pipelines.train.cardinality())
    counting = [key for key, counts in (("train.optimizer.schedule", schedule.type != "constant"
                                         or schedule.warmup_epochs),
                                        ("train.checkpoint_every_steps", train.checkpoint_every_steps)) if counts]
    if steps < 0 and counting:
        raise DataError("the training split's size is unknown, and {} counts in steps: set train.steps_per_epoch"
                        .format(" and ".join(counting)))
    if train.checkpoint_every_steps and train.checkpoint_every_steps > steps:
        log.info("train.checkpoint_every_steps %d is more than an epoch (%d steps): allowed; checkpoints at every "
                 "epoch's end and every %d optimizer steps", train.checkpoint_every_steps, steps,
                 train.checkpoint_every_steps)
    return max(steps, 1)


def _compile(model, optimizer, recipe, session):
    """Compile ``model`` with ``optimizer`` and the recipe's loss and metrics, as ``session`` runs it (in its
    strategy scope)."""
    loss, metrics = loss_and_metrics(recipe.train)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **compat.jit_compile_argument(session.jit_compile))


def _compiled_model(recipe, num_classes, session, run_dir, epoch_steps):
    """The recipe's model, compiled for ``session``, with its state and checkpoints (inside the strategy)."""
    with session.strategy.scope():
        built = build_model(recipe, num_classes)
        model = built.model
        if session.strategy.num_replicas_in_sync > 1:
            log.info("%d replicas: BatchNormalization synchronized across them (%d layers)",
                     session.strategy.num_replicas_in_sync, synchronize_batch_norm(model))
        optimizer = build_optimizer(recipe.train.optimizer, epoch_steps, recipe.train.epochs)
        _compile(model, session.wrap_optimizer(optimizer), recipe, session)
        build_optimizer_variables(model.optimizer, model.trainable_variables)
        state = TrainingState()
    return _Trainable(built, state, Checkpoints(run_dir, model, state))


def _resume(trainable, recipe, resume, run_dir):
    if not resume:
        return
    latest, state = trainable.checkpoints.restore_latest(), trainable.state
    trim_history(run_dir.history, state.epochs_done)
    if latest:
        log.info("resumed from %s: %d of %d epochs done (optimizer step %d)%s", latest, state.epochs_done,
                 recipe.train.epochs, int(trainable.built.model.optimizer.iterations.numpy()),
                 ", {} steps into epoch {}".format(state.steps_into_epoch, state.epochs_done + 1)
                 if state.steps_into_epoch else "")
    else:
        log.info("--resume: no checkpoint in %s yet, starting from scratch", run_dir.root)


def _callbacks(recipe, trainable, run_dir, timer):
    resumed = trainable.state.epochs_done > 0
    # the history row before the checkpoint: a kill between the two leaves a row that resuming trims and redoes
    return [timer, LearningRateLog(), EpochLog(recipe.train.epochs, recipe.train.metrics),
            keras.callbacks.CSVLogger(run_dir.history, append=resumed),
            SaveCheckpoints(trainable.checkpoints, trainable.state.seconds, recipe.train.checkpoint_every_steps,
                            trainable.state.steps_into_epoch),
            keras.callbacks.TensorBoard(run_dir.tensorboard, profile_batch=0)]


def _phases(train, epochs_done):
    """(first epoch, end epoch, backbone frozen) of the epochs left to train, the frozen ones first."""
    frozen_end = min(train.freeze_backbone_epochs, train.epochs)
    phases = [(epochs_done, frozen_end, True)] if epochs_done < frozen_end else []
    if max(epochs_done, frozen_end) < train.epochs:
        phases.append((max(epochs_done, frozen_end), train.epochs, False))
    return phases


def _freeze_backbone(recipe, trainable, session, frozen):
    """Freeze or thaw the backbone and compile again; the optimizer, with slots for every weight, is kept."""
    built = trainable.built
    if built.backbone.trainable != frozen:
        return
    built.backbone.trainable = not frozen
    with session.strategy.scope():
        _compile(built.model, built.model.optimizer, recipe, session)
    log.info("epochs from %d: backbone %s", trainable.state.epochs_done + 1, "frozen" if frozen else "training")


def _fit_calls(train, state, epoch_steps):
    """(first epoch, end epoch, backbone frozen, steps per epoch) of the ``fit`` calls left: the rest of an epoch
    a step checkpoint stopped inside, then whole epochs, the frozen ones first."""
    calls = []
    for first, end, frozen in _phases(train, state.epochs_done):
        if first == state.epochs_done and state.steps_into_epoch:
            calls.append((first, first + 1, frozen, epoch_steps - state.steps_into_epoch))
            first += 1
        if first < end:
            calls.append((first, end, frozen, train.steps_per_epoch))
    return calls


def _fit(recipe, trainable, pipelines, run_dir, session, epoch_steps):
    """Train the remaining epochs; the throughput timer (this process's examples), for its rates."""
    train = recipe.train
    timer = TimeHistory(pipelines.batch_size, train.log_steps)
    for first, end, frozen, steps in _fit_calls(train, trainable.state, epoch_steps):
        _freeze_backbone(recipe, trainable, session, frozen)
        trainable.built.model.fit(
            pipelines.train, validation_data=pipelines.val, epochs=end, initial_epoch=first,
            steps_per_epoch=steps, validation_steps=train.validation_steps,
            callbacks=_callbacks(recipe, trainable, run_dir, timer), shuffle=False,
            verbose=1 if sys.stdout.isatty() else 0)  # EpochLog writes the epoch lines
    return timer


def _draw_stages(recipe, built, images, run_dir, when):
    label = " + ".join(stage.name for stage, _ in recipe.stages) or "(no stages)"
    pictures.stages_comparison(built.stages, images, run_dir.picture("resizer_{}.png".format(when)),
                               "{} training".format(when), label)


def _skipped_inputs(recipe, info):
    skipped = recipe.dataset.skipped_inputs(recipe.dataset_options)
    summary = skipped.summary("{} {}".format(recipe.dataset.name, info.location))
    if summary:
        log.warning(summary)
    return skipped.counts()


def _log_model(model, info):
    parameters = count_parameters(model)
    log.info("model: %s parameters (%s trainable); classes: %s", format(parameters[0], ","),
             format(parameters[1], ","), ", ".join(info.class_names))
    return parameters


def _draw_after(recipe, trainable, sample, run_dir, history):
    _draw_stages(recipe, trainable.built, sample, run_dir, "after")
    pictures.training_curves(history, run_dir.picture("training_curves.png"), title=recipe.name)


def _train_in_scope(recipe, session, run_dir, resume):
    """Everything that builds or runs the model: returns metrics.json's content. Every process draws the pictures
    into its own folder: the stages' BatchNorm may be synchronized across processes, and then all of them must run
    the same forward passes."""
    info = recipe.dataset.describe(recipe.dataset_options)
    num_classes = len(info.class_names)
    pipelines = recipe_pipelines(recipe, num_classes, session)
    skipped = _skipped_inputs(recipe, info)
    epoch_steps = _epoch_steps(recipe, pipelines)
    trainable = _compiled_model(recipe, num_classes, session, run_dir, epoch_steps)
    _resume(trainable, recipe, resume, run_dir)
    session.prepare_model(trainable.built.model)
    parameters, trainable_parameters = _log_model(trainable.built.model, info)
    sample = picture_images(recipe, num_classes, recipe.output.picture_images)
    if trainable.state.epochs_done == 0 or not os.path.isfile(run_dir.picture("resizer_before.png")):
        _draw_stages(recipe, trainable.built, sample, run_dir, "before")
    timer = _fit(recipe, trainable, pipelines, run_dir, session, epoch_steps)
    history = read_history(run_dir.history)
    _draw_after(recipe, trainable, sample, run_dir, history)
    return run_metrics(history, recipe=recipe.name, batch_size=recipe.data.batch_size,
                       examples_per_second=timer.examples_per_second(),
                       parameters=parameters, trainable_parameters=trainable_parameters,
                       time_seconds=trainable.state.seconds if history else 0.0, runtime=session.description,
                       classes=info.class_names, skipped_files=skipped)


def start_run(recipe, output_dir, resume=False):
    """Start the recipe's runtime and lay out the run's folder in ``output_dir`` (or the runtime's sub-folder of
    it, so that several processes of one launch share ``output_dir``): ``(session, RunDirectory)``. Raises
    OutputDirError when that folder holds a run and ``resume`` is not given."""
    session = recipe.runtime.start(recipe.runtime_options)
    run_dir = RunDirectory(os.path.join(output_dir, session.output_subdir()), session.log_name())
    check_output_dir(run_dir.root, resume, session.sibling_subdirs())
    run_dir.create(recipe.config)
    return session, run_dir


def train(recipe, session, run_dir, resume=False):
    """Train ``recipe`` on the started runtime ``session`` into ``run_dir`` (resuming from its last checkpoint
    when ``resume``); returns the metrics written to metrics.json."""
    compat.set_random_seed(recipe.seed)
    log.info("runtime: %s", session.description)
    with session.computation_scope():
        metrics = _train_in_scope(recipe, session, run_dir, resume)
    if session.is_chief():
        write_metrics(run_dir.metrics, metrics)
    log.info("done: val_accuracy %s after %d epochs; outputs in %s%s", metrics["val_accuracy"], metrics["epochs"],
             run_dir.root, "" if session.is_chief() else " (the chief process writes metrics.json)")
    return metrics
