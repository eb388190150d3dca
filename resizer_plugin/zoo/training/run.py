"""A validated recipe trained: one :class:`TrainingRun` holds the recipe, the started runtime, the run's directory,
its pipelines, model and progress, and puts the pieces (pipeline, model, optimization, checkpoints, callbacks,
metrics, pictures) in order. What it will do is worked out in ``planning``. Everything that builds or runs the model
runs inside the runtime's strategy and computation scopes.
"""
import os
import sys
from typing import Optional

from ... import compat
from ...compat import keras
from .. import pictures
from ..config.recipe import Recipe
from ..contract import DatasetInfo, RuntimeSession
from .callbacks import EpochLog, LearningRateLog, SaveCheckpoints, TimeHistory, TrainingSecondsLog
from .checkpoints import Checkpoints, TrainingState
from .logs import RunLog, log
from .metrics import read_history, read_metrics, run_metrics, trim_history, write_metrics
from .model import RecipeModel, build_model, count_parameters, out_of_memory_named, synchronize_batch_norm
from .optimization import build_optimizer, build_optimizer_variables, loss_and_metrics
from .pipeline import Pipelines, picture_images, recipe_pipelines
from .planning import epoch_steps, fit_calls, long_checkpoint_interval
from .run_dir import OutputDirError, RunDirectory, check_output_dir, make_folder

__all__ = ["TrainingRun"]


class TrainingRun:
    """``recipe`` trained on the started runtime ``session`` into ``run_dir``, resuming from its last checkpoint when
    ``resume``. :meth:`start` makes one from a recipe and holds its folder; :meth:`train` trains and returns
    metrics.json's content; :meth:`release` lets the folder go. Nothing in the folder is written until the run is
    accepted (its data read, its model built, its checkpoint restored): a refused run leaves the folder as it was.
    """

    def __init__(self, recipe: Recipe, session: RuntimeSession, run_dir: RunDirectory, resume: bool = False):
        self.recipe, self.session, self.run_dir, self.resume = recipe, session, run_dir, resume
        self.info: Optional[DatasetInfo] = None
        self.pipelines: Optional[Pipelines] = None
        self.built: Optional[RecipeModel] = None
        self.state: Optional[TrainingState] = None
        self.checkpoints: Optional[Checkpoints] = None
        self.steps_per_epoch = 0
        self.held = None  # the run folder's lock, held while this object lives
        self.log = RunLog(run_dir.log)
        self.accepted = False
        self.taken_over = []  # what a start that failed before its first checkpoint left

    @classmethod
    def start(cls, recipe: Recipe, output_dir: str, resume: bool = False) -> "TrainingRun":
        """Start the recipe's runtime and lay out the run's folder in ``output_dir`` (or the runtime's sub-folder of
        it, so that several processes of one launch share ``output_dir``). Raises OutputDirError when that folder
        holds a run and ``resume`` is not given, holds files no run start made, or cannot be made."""
        session = recipe.runtime.start(recipe.runtime_options)
        run_dir = RunDirectory(os.path.join(output_dir, session.output_subdir()), session.log_name())
        taken_over = check_output_dir(run_dir, resume, session.sibling_subdirs())
        problem = make_folder(run_dir.root)
        if problem:
            raise OutputDirError("output directory {}: {}; choose another --output-dir".format(run_dir.root, problem))
        run = cls(recipe, session, run_dir, resume)
        run.held, run.taken_over = run_dir.lock(), taken_over
        return run

    def release(self):
        """Let the run's folder go (another process may write it now)."""
        if self.held is not None:
            self.held.release(refused=not self.accepted)
            self.held = None

    def train(self):
        """Train the epochs left; write metrics.json (the chief process) and return its content. The run's log
        file is written from its acceptance on, the lines logged before it first."""
        compat.set_random_seed(self.recipe.seed)
        with self.log:
            return self._train_logged()

    def _train_logged(self):
        """:meth:`train` with the run's log held."""
        if self.taken_over:
            log.info("output directory %s: taking over what a start that failed before its first checkpoint left "
                     "(%s)", self.run_dir.root, ", ".join(self.taken_over))
        log.info("runtime: %s", self.session.description)
        with self.session.computation_scope(), out_of_memory_named(
                self.recipe, "in training", lambda: self.built.parts(self.recipe) if self.built else []):
            metrics = self._train_in_scope()
        if self.session.is_chief():
            write_metrics(self.run_dir.metrics, metrics)
        log.info("done: val_accuracy %s after %d epochs; outputs in %s%s", metrics["val_accuracy"],
                 metrics["epochs"], self.run_dir.root,
                 "" if self.session.is_chief() else " (the chief process writes metrics.json)")
        return metrics

    def _train_in_scope(self):
        """Everything that builds or runs the model. Every process draws the pictures into its own folder: the
        stages' BatchNorm may be synchronized across processes, and then all of them must run the same forward
        passes."""
        skipped = self._read_data()
        self._build()
        self._restore()
        self._accept()
        self.session.prepare_model(self.built.model)
        parameters = self._log_model()
        sample = picture_images(self.recipe, len(self.info.class_names), self.recipe.output.picture_images)
        if self.state.epochs_done == 0 or not os.path.isfile(self.run_dir.stages_picture("before")):
            self._draw_stages(sample, "before")
        timer = self._fit()
        skipped = self._report_skipped(skipped)  # training may find more: a file that does not decode
        history = read_history(self.run_dir.history)
        self._draw_stages(sample, "after")
        pictures.training_curves(history, self.run_dir.training_curves, title=self.recipe.name)
        return self._metrics(history, timer, parameters, skipped)

    def _read_data(self):
        """The dataset's classes and pipelines, the epoch's optimizer steps; returns the files skipped so far."""
        recipe = self.recipe
        self.info = recipe.dataset.describe(recipe.dataset_options)
        self.pipelines = recipe_pipelines(recipe, len(self.info.class_names), self.session)
        self.steps_per_epoch = epoch_steps(recipe.train, int(self.pipelines.train.cardinality()))
        note = long_checkpoint_interval(recipe.train, self.steps_per_epoch)
        if note:
            log.info(note)
        return self._report_skipped()

    def _report_skipped(self, before=None):
        """The counts of the inputs the dataset skipped so far, logged where there are some (after training, with
        the counts ``before`` it, only where training skipped more)."""
        skipped = self.recipe.dataset.skipped_inputs(self.recipe.dataset_options)
        summary = skipped.summary("{} {}{}".format(self.recipe.dataset.name, self.info.location,
                                                   "" if before is None else ", after training"))
        if summary and skipped.counts() != before:
            log.warning(summary)
        return skipped.counts()

    def _compile(self, optimizer):
        """Compile the model with ``optimizer`` and the recipe's loss and metrics (in the strategy's scope)."""
        loss, metrics = loss_and_metrics(self.recipe.train)
        with self.session.strategy.scope():
            self.built.model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                                     **compat.jit_compile_argument(self.session.jit_compile))

    def _build(self):
        """The recipe's model, compiled for the session, with its progress and checkpoints (inside the strategy)."""
        recipe, strategy = self.recipe, self.session.strategy
        with strategy.scope():
            self.built = build_model(recipe, len(self.info.class_names))
            if strategy.num_replicas_in_sync > 1:
                log.info("%d replicas: BatchNormalization synchronized across them (%d layers)",
                         strategy.num_replicas_in_sync, synchronize_batch_norm(self.built.model))
            optimizer = build_optimizer(recipe.train.optimizer, self.steps_per_epoch, recipe.train.epochs)
        self._compile(self.session.wrap_optimizer(optimizer))
        with strategy.scope():
            build_optimizer_variables(self.built.model.optimizer, self.built.model.trainable_variables)
        self.state = TrainingState()
        self.checkpoints = Checkpoints(self.run_dir, self.built.model, self.state)

    def _restore(self):
        """With ``resume``: the furthest checkpoint restored."""
        if not self.resume:
            return
        latest, state = self.checkpoints.restore_latest(), self.state
        if not latest:
            log.info("--resume: no checkpoint in %s yet, starting from scratch", self.run_dir.root)
            return
        log.info("resumed from %s: %d of %d epochs done (optimizer step %d)%s", latest, state.epochs_done,
                 self.recipe.train.epochs, int(self.built.model.optimizer.iterations.numpy()),
                 ", {} steps into epoch {}".format(state.steps_into_epoch, state.epochs_done + 1)
                 if state.steps_into_epoch else "")

    def _accept(self):
        """Nothing refused the run: its first writes. Its log file opened, its recipe written, stale partial
        checkpoint files removed, and a resumed run's history trimmed to the epochs its checkpoint holds."""
        self.accepted = True
        self.log.open()
        self.run_dir.create(self.recipe.config)
        self.checkpoints.remove_partial()
        if self.resume:
            trim_history(self.run_dir.history, self.state.epochs_done)

    def _log_model(self):
        parameters = count_parameters(self.built.model)
        log.info("model: %s parameters (%s trainable); classes: %s", format(parameters[0], ","),
                 format(parameters[1], ","), ", ".join(self.info.class_names))
        return parameters

    def _callbacks(self, timer):
        train, state = self.recipe.train, self.state
        # the history row before the checkpoint: a kill between the two leaves a row that resuming trims and redoes
        clock = TrainingSecondsLog(state.seconds)
        return [timer, LearningRateLog(), clock, EpochLog(train.epochs, train.metrics),
                keras.callbacks.CSVLogger(self.run_dir.history, append=state.epochs_done > 0),
                SaveCheckpoints(self.checkpoints, clock, train.checkpoint_every_steps, state.steps_into_epoch),
                keras.callbacks.TensorBoard(self.run_dir.tensorboard, profile_batch=0)]

    def _set_backbone_frozen(self, frozen):
        """Freeze or thaw the backbone where it is not so already, and compile again; the optimizer, with slots for
        every weight, is kept."""
        backbone = self.built.backbone
        if backbone.trainable != frozen:
            return
        backbone.trainable = not frozen
        self._compile(self.built.model.optimizer)
        log.info("epochs from %d: backbone %s", self.state.epochs_done + 1, "frozen" if frozen else "training")

    def _fit(self):
        """Train the remaining epochs; the throughput timer (this process's examples), for its rates."""
        train = self.recipe.train
        timer = TimeHistory(self.pipelines.batch_size, train.log_steps)
        for call in fit_calls(train, self.state.epochs_done, self.state.steps_into_epoch, self.steps_per_epoch):
            self._set_backbone_frozen(call.frozen)
            self.built.model.fit(
                self.pipelines.train, validation_data=self.pipelines.val, epochs=call.end, initial_epoch=call.first,
                steps_per_epoch=call.steps, validation_steps=train.validation_steps,
                callbacks=self._callbacks(timer), shuffle=False,
                verbose=1 if sys.stdout.isatty() else 0)  # EpochLog writes the epoch lines
        return timer

    def _draw_stages(self, images, when):
        label = " + ".join(stage.name for stage, _ in self.recipe.stages) or "(no stages)"
        pictures.stages_comparison(self.built.stages, images, self.run_dir.stages_picture(when),
                                   "{} training".format(when), label)

    def _metrics(self, history, timer, parameters, skipped):
        rate = timer.examples_per_second()
        if rate is None and timer.global_step == 0:  # a resume with nothing left to train: the rate it had stands
            rate = read_metrics(self.run_dir.metrics).get("examples_per_second")
        return run_metrics(history, recipe=self.recipe.name, batch_size=self.recipe.data.batch_size,
                           examples_per_second=rate, parameters=parameters[0],
                           trainable_parameters=parameters[1],
                           time_seconds=self.state.seconds if history else 0.0, runtime=self.session.description,
                           classes=self.info.class_names, skipped_files=skipped)
