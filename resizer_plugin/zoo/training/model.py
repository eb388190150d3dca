"""The recipe's model: uint8 image -> stage 1 -> ... -> stage k -> backbone -> head (pooling, dropout, Dense)."""
import contextlib
from typing import List, NamedTuple

import numpy as np

from ...compat import BACKEND, keras, set_random_seed
from ..contract import ImageSpec

__all__ = ["ModelError", "RecipeModel", "build_model", "count_parameters", "out_of_memory_named",
           "set_batch_norm_momentum", "synchronize_batch_norm"]


class ModelError(ValueError):
    """The recipe's model cannot be built or trained: its backbone refused its arguments (a weights file that does not
    fit, say), or memory ran out; names the key or the part."""


class RecipeModel(NamedTuple):
    """The recipe's classifier and its parts."""
    model: keras.Model  #: the whole classifier: uint8 image -> class probabilities
    stages: keras.Model  #: image -> output of the last stage (what the backbone sees), for pictures
    stage_layers: List[keras.layers.Layer]  #: each stage's layer, in order
    stage_outputs: List[ImageSpec]  #: what each stage gives, in order
    backbone_input: ImageSpec  #: what the backbone receives: the last stage's output (or the recipe's images)
    backbone: keras.Model  #: the backbone, a layer of ``model`` (frozen for train.freeze_backbone_epochs)

    def parts(self, recipe):
        """(name, layer) of each stage and of the backbone, in order."""
        return _parts(recipe, self.stage_layers, self.backbone)


def _parts(recipe, stage_layers, backbone=None):
    parts = [("stage " + stage.name, layer) for (stage, _), layer in zip(recipe.stages, stage_layers)]
    return parts + ([("backbone " + recipe.backbone.name, backbone)] if backbone is not None else [])


def _out_of_memory(error):
    """Whether ``error`` is an allocation that failed: MemoryError, TensorFlow's ResourceExhaustedError, or JAX's
    RESOURCE_EXHAUSTED."""
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError" or \
        str(error).lstrip().startswith("RESOURCE_EXHAUSTED")


@contextlib.contextmanager
def out_of_memory_named(recipe, where, parts):
    """Inside, an allocation that fails becomes a one-line ModelError: out of memory ``where`` (e.g. "in training"),
    each part ``parts()`` gives ((name, layer) pairs) with its parameter count, the batch size and what to lower."""
    try:
        yield
    except Exception as error:
        if not _out_of_memory(error):
            raise
        counted = ", ".join("{} {:,} parameters".format(name, count_parameters(layer)[0]) for name, layer in parts())
        raise ModelError("{}: out of memory {} with data.batch_size {} ({}): lower data.batch_size, data.image_size "
                         "or the size options of the largest part (zoo-run --list shows their ranges)".format(
                             recipe.source, where, recipe.data.batch_size, counted or "nothing built before")) from None


def _stages(recipe, inputs):
    """The recipe's stages applied to ``inputs``: (output, each stage's layer, what each gives)."""
    spec, x, layers, specs = recipe.input_spec, inputs, [], []
    if not recipe.stages:  # the pipeline keeps pixels uint8; without stages only a cast stands before the backbone
        x = keras.layers.Rescaling(1.0, name="to_float")(x)
    for index, (stage, options) in enumerate(recipe.stages):
        with out_of_memory_named(recipe, "building model.stages[{}] ({})".format(index, stage.name),
                                 lambda: _parts(recipe, layers)):
            layer, spec = stage(options, spec)
            x = layer(x)
        layers.append(layer)
        specs.append(spec)
    return x, layers, specs


def _head(head, features, num_classes):
    """Pool the backbone's feature map (or its tokens, from a transformer) and classify."""
    layers = keras.layers
    if len(features.shape) == 3:
        pooling = layers.GlobalAveragePooling1D if head.pooling == "avg" else layers.GlobalMaxPooling1D
    else:
        pooling = layers.GlobalAveragePooling2D if head.pooling == "avg" else layers.GlobalMaxPooling2D
    x = pooling(name="head_pool")(features)
    if head.dropout:
        x = keras.layers.Dropout(head.dropout, name="head_dropout")(x)
    x = keras.layers.Dense(num_classes, name="head_dense")(x)
    return keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)


#: added to the recipe's seed before the backbone and head are built
BACKBONE_SEED_OFFSET = 1


def build_model(recipe, num_classes):
    """Build the recipe's classifier for ``num_classes`` classes (call inside the runtime's strategy scope). The
    random streams are seeded again before the backbone and head: whatever the stages drew, two recipes with one
    seed, backbone and head start from the same weights (what ``zoo compare`` relies on)."""
    spec = recipe.input_spec
    inputs = keras.Input((spec.height, spec.width, spec.channels), dtype="uint8", name="image")
    stages_output, layers, specs = _stages(recipe, inputs)
    spec = specs[-1] if specs else recipe.input_spec
    set_random_seed(recipe.seed + BACKBONE_SEED_OFFSET)
    with out_of_memory_named(recipe, "building model.backbone ({})".format(recipe.backbone.name),
                             lambda: _parts(recipe, layers)):
        try:
            backbone = recipe.backbone.build(recipe.backbone_model, recipe.backbone_options, spec)
        except ValueError as error:  # the contract's way for a family to refuse its arguments
            raise ModelError("{}: model.backbone: {}".format(recipe.source, error)) from None
    outputs = _head(recipe.head, backbone(stages_output), num_classes)
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in recipe.name)
    model = keras.Model(inputs, outputs, name=name)
    if recipe.train.batch_norm_momentum is not None:
        set_batch_norm_momentum(model, recipe.train.batch_norm_momentum)
    return RecipeModel(model, keras.Model(inputs, stages_output), layers, specs, spec, backbone)


def count_parameters(model):
    """(all parameters, trainable parameters) of ``model``."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return int(model.count_params()), trainable


def _batch_norm_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, keras.layers.BatchNormalization)]


def set_batch_norm_momentum(model, momentum):
    """Set the moving-statistics momentum of every BatchNormalization in ``model``, nested layers included."""
    layers = _batch_norm_layers(model)
    for layer in layers:
        layer.momentum = momentum
    return len(layers)


def synchronize_batch_norm(model):
    """Make every BatchNormalization use the global batch's statistics across replicas, so that training on N
    replicas computes what one device would on the whole batch; the number of them. On JAX they do already: a
    sharded batch is one array to the compiled step (and Keras refuses ``synchronized`` there)."""
    layers = _batch_norm_layers(model)
    if BACKEND == "jax":
        return len(layers)
    for layer in layers:
        layer.synchronized = True
        if hasattr(layer, "fused"):  # Keras 2 has no synchronized fused kernel
            layer.fused = False
    return len(layers)
