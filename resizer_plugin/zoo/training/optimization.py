"""What the model is trained with: the optimizer and its learning-rate schedule, the loss and the metrics a recipe's
``train:`` names."""
from ...compat import keras, ops, to_numpy
from ..config.schema import Optimizer, Train

__all__ = ["Warmup", "build_optimizer", "build_optimizer_variables", "current_learning_rate", "learning_rate",
           "loss_and_metrics"]


class Warmup(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup to ``learning_rate`` over ``warmup_steps`` steps, then ``after`` (a schedule whose step 0 is
    the warmup's end), or the constant rate where ``after`` is None."""

    def __init__(self, learning_rate, warmup_steps, after=None):
        super().__init__()
        self.learning_rate, self.warmup_steps, self.after = learning_rate, warmup_steps, after

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warming = self.learning_rate * (step + 1.0) / float(self.warmup_steps)
        later = self.after(ops.maximum(step - self.warmup_steps, 0.0)) if self.after else self.learning_rate
        return ops.where(step < self.warmup_steps, warming, ops.cast(later, "float32"))

    def get_config(self):
        """The config Keras serializes a model's optimizer with (TensorBoard's graph summary does so)."""
        after = keras.optimizers.schedules.serialize(self.after) if self.after else None
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps, "after": after}

    @classmethod
    def from_config(cls, config):
        after = config["after"] and keras.optimizers.schedules.deserialize(config["after"])
        return cls(config["learning_rate"], config["warmup_steps"], after)


def learning_rate(config: Optimizer, steps_per_epoch, epochs):
    """``train.optimizer``'s rate: a float, or a schedule of the optimizer's step (Keras' own decays, behind a
    linear warmup when ``warmup_epochs`` is set); epochs are turned into steps with ``steps_per_epoch``."""
    schedule, rate = config.schedule, config.learning_rate
    warmup = int(round(schedule.warmup_epochs * steps_per_epoch))
    decay = max(1, int(round((schedule.decay_epochs or epochs - schedule.warmup_epochs) * steps_per_epoch)))
    decays = keras.optimizers.schedules
    after = None
    if schedule.type == "cosine":
        after = decays.CosineDecay(rate, decay, alpha=schedule.min_learning_rate / rate)
    elif schedule.type in ("step", "exponential"):
        after = decays.ExponentialDecay(rate, decay, schedule.decay_rate, staircase=schedule.type == "step")
    return Warmup(rate, warmup, after) if warmup else (after or rate)


def current_learning_rate(optimizer):
    """The rate ``optimizer`` applies at its current step (a wrapping optimizer's inner one's), or None. A schedule
    is evaluated at the optimizer's step: Keras 3 and tf.keras keep it as ``_learning_rate`` (tf.keras's
    ``learning_rate`` is then the rate of the step before), TensorFlow 2.6's optimizers as ``learning_rate``."""
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    schedule = getattr(optimizer, "_learning_rate", None)
    is_schedule = keras.optimizers.schedules.LearningRateSchedule
    rate = schedule if isinstance(schedule, is_schedule) else getattr(optimizer, "learning_rate", None)
    if isinstance(rate, is_schedule):
        rate = rate(optimizer.iterations)
    return None if rate is None else float(to_numpy(rate))  # a distributed variable too


def _check_available(config: Optimizer):
    """AdamW and decoupled weight decay came with Keras 2.11 (TensorFlow 2.11); older ones refuse them."""
    if config.type == "adamw" and not hasattr(keras.optimizers, "AdamW"):
        raise ValueError("train.optimizer.type: adamw needs Keras >= 2.11; this is Keras {}".format(keras.__version__))
    if config.weight_decay is not None and not hasattr(keras.optimizers, "AdamW"):
        raise ValueError("train.optimizer.weight_decay needs Keras >= 2.11; this is Keras {}".format(
            keras.__version__))


def build_optimizer(config: Optimizer, steps_per_epoch=1, epochs=1):
    """The Keras optimizer of ``train.optimizer``, its schedule counted in steps of ``steps_per_epoch``."""
    _check_available(config)
    extra = {} if config.weight_decay is None or config.type == "adamw" else {"weight_decay": config.weight_decay}
    rate = learning_rate(config, steps_per_epoch, epochs)
    if config.type == "sgd":
        return keras.optimizers.SGD(rate, momentum=config.momentum, nesterov=config.nesterov, **extra)
    if config.type == "adam":
        return keras.optimizers.Adam(rate, **extra)
    if config.type == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=0.004 if config.weight_decay is None else config.weight_decay)
    return keras.optimizers.RMSprop(rate, momentum=config.momentum, **extra)


def loss_and_metrics(config: Train):
    """(loss, metrics) to compile with, for one-hot or index labels as the loss type asks."""
    one_hot = config.loss.one_hot
    if one_hot:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.loss.label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    top_k = keras.metrics.TopKCategoricalAccuracy if one_hot else keras.metrics.SparseTopKCategoricalAccuracy
    metrics = ["accuracy" if name == "accuracy" else top_k(5, name="top_5_accuracy") for name in config.metrics]
    return loss, metrics


def build_optimizer_variables(optimizer, variables):
    """Create the optimizer's slots now, so a checkpoint restores them instead of deferring."""
    if hasattr(optimizer, "build"):
        optimizer.build(variables)
    else:  # tf.keras optimizer_v2 (TensorFlow 2.6)
        optimizer._create_all_weights(variables)
