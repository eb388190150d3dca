"""What the model is trained with: the optimizer, the loss and the metrics a recipe's ``train:`` names."""
from ..compat import keras
from .schema import Optimizer, Train

__all__ = ["build_optimizer", "build_optimizer_variables", "loss_and_metrics"]


def _check_available(config: Optimizer):
    """AdamW and decoupled weight decay came with Keras 2.11 (TensorFlow 2.11); older ones refuse them."""
    if config.type == "adamw" and not hasattr(keras.optimizers, "AdamW"):
        raise ValueError("train.optimizer.type: adamw needs Keras >= 2.11; this is Keras {}".format(keras.__version__))
    if config.weight_decay is not None and not hasattr(keras.optimizers, "AdamW"):
        raise ValueError("train.optimizer.weight_decay needs Keras >= 2.11; this is Keras {}".format(
            keras.__version__))


def build_optimizer(config: Optimizer):
    """The Keras optimizer of ``train.optimizer``."""
    _check_available(config)
    extra = {} if config.weight_decay is None or config.type == "adamw" else {"weight_decay": config.weight_decay}
    if config.type == "sgd":
        return keras.optimizers.SGD(config.learning_rate, momentum=config.momentum, nesterov=config.nesterov, **extra)
    if config.type == "adam":
        return keras.optimizers.Adam(config.learning_rate, **extra)
    if config.type == "adamw":
        return keras.optimizers.AdamW(config.learning_rate,
                                      weight_decay=0.004 if config.weight_decay is None else config.weight_decay)
    return keras.optimizers.RMSprop(config.learning_rate, momentum=config.momentum, **extra)


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
