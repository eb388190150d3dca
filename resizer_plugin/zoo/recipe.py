"""Recipe schema and validation: YAML -> a checked :class:`Recipe`, before anything heavy runs.

Every error names the file, the key path (``model.stages[1].filters``) and the bad value. Unknown keys are errors.
``--set a.b=c`` overrides are applied before validation, so they are type-checked like the file itself.
"""
import copy
import os
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import yaml

from . import registry
from .contract import (Configurable, ImageSpec, Option, OptionError, boolean, choice, integer, number, optional, path,
                       size2d, text)
from .registry import PluginError

__all__ = ["Recipe", "RecipeError", "load_recipe", "apply_overrides", "LOSSES", "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")
METRICS = ("accuracy", "top_5_accuracy")


class RecipeError(ValueError):
    """A recipe problem: the file, the key path and what is wrong with the value."""

    def __init__(self, source, key, message):
        self.source, self.key, self.reason = source, key, message
        super().__init__("{}: {}{}".format(source, "{}: ".format(key) if key else "", message))


class Recipe(NamedTuple):
    """A validated recipe: ``config`` is the full normalized mapping; the rest are the plugins it names."""
    source: str
    config: Dict[str, Any]
    dataset: Any                      # DatasetSource
    dataset_options: Dict[str, Any]
    stages: List[Tuple[Any, Dict[str, Any]]]   # (Stage, options)
    backbone: Any                     # BackboneFamily
    backbone_model: str
    backbone_options: Dict[str, Any]
    runtime: Any                      # Runtime
    runtime_options: Dict[str, Any]

    @property
    def input_spec(self):
        height, width = self.config["data"]["image_size"]
        return ImageSpec(height, width, 3)


def _metrics(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError("must be a list, e.g. [accuracy]")
    return [choice(METRICS)(v) for v in value]


_SCHEMA = {
    "name": Option(text(), help="run name; the default output folder is runs/<name>"),
    "seed": Option(integer(), 42, "seed of weights, shuffling and dropout"),
    "data": {
        "source": Option(text(), help="dataset source from the zoo.datasets group: tfds, image_folder, photo_crops"),
        "image_size": Option(size2d(), help="[height, width] every image is resized to in the input pipeline"),
        "batch_size": Option(integer(min=1), 32, "global batch size"),
        "shuffle_buffer": Option(integer(min=1), 1024, "examples in the shuffle buffer"),
        "drop_remainder": Option(boolean(), False, "drop the last partial batch (static shapes)"),
        "antialias": Option(boolean(), False, "anti-alias the pipeline's bilinear resize to image_size"),
    },
    "model": {
        "stages": Option(lambda v: _list(v), [], "preprocessing stages in order, each {type: NAME, options...}"),
        "backbone": Option(lambda v: _mapping(v), help="{type: family/Model, options...} from zoo.backbones"),
        "head": {
            "pooling": Option(choice(("avg", "max")), "avg", "global pooling of the feature map"),
            "dropout": Option(number(min=0, max=0.99), 0.0, "dropout before the classifier"),
        },
    },
    "train": {
        "epochs": Option(integer(min=1), 1, "epochs to train"),
        "steps_per_epoch": Option(optional(integer(min=1)), None, "limit steps per epoch (null: the whole split)"),
        "validation_steps": Option(optional(integer(min=1)), None, "limit validation steps (null: whole split)"),
        "optimizer": {
            "type": Option(choice(OPTIMIZERS), "sgd", "sgd, adam, adamw or rmsprop"),
            "learning_rate": Option(number(min=0, min_exclusive=True), 0.01, "learning rate"),
            "momentum": Option(number(min=0, max=1), 0.0, "sgd and rmsprop momentum"),
            "nesterov": Option(boolean(), False, "Nesterov momentum (sgd)"),
            "weight_decay": Option(optional(number(min=0)), None, "decoupled weight decay"),
        },
        "loss": {
            "type": Option(choice(LOSSES), "categorical_crossentropy", "loss function"),
            "label_smoothing": Option(number(min=0, max=0.99), 0.0, "label smoothing (categorical only)"),
        },
        "metrics": Option(_metrics, ["accuracy"], "accuracy, top_5_accuracy"),
        "log_steps": Option(integer(min=1), 100, "throughput log line every N steps"),
        "batch_norm_momentum": Option(optional(number(min=0, max=0.999)), None,
                                      "momentum of every BatchNormalization's moving statistics (null: Keras' "
                                      "0.99); 0.9 suits short runs, whose inference statistics 0.99 leaves stale"),
    },
    "runtime": {
        "device": Option(text(), "auto", "runtime from zoo.runtimes: auto, cpu, gpu, ascend"),
    },
    "output": {
        "dir": Option(optional(path()), None, "output folder (default runs/<name>)"),
        "picture_images": Option(integer(min=1, max=8), 4, "validation images in the resizer pictures"),
    },
}

_OPEN_SECTIONS = ("data", "runtime")  # their other keys belong to the plugin the section names


def _list(value):
    if not isinstance(value, list):
        raise TypeError("must be a list")
    return value


def _mapping(value):
    if not isinstance(value, dict):
        raise TypeError("must be a mapping")
    return value


def _join(prefix, key):
    if isinstance(key, int):
        return "{}[{}]".format(prefix, key)
    return "{}.{}".format(prefix, key) if prefix else str(key)


def _validate_section(source, raw, schema, where, extras):
    """Validate ``raw`` against ``schema`` or raise RecipeError at the key path. Keys unknown to the schema are
    errors, except in the open sections, where they are collected in ``extras[section]`` for the plugin."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise RecipeError(source, where or "(top level)", "must be a mapping, got {!r}".format(raw))
    unknown = [k for k in raw if k not in schema]
    if where in _OPEN_SECTIONS:
        extras[where] = {k: raw[k] for k in unknown}
    elif unknown:
        raise RecipeError(source, _join(where, unknown[0]), "unknown key; known keys here: {}".format(
            ", ".join(schema)))
    resolved = {}
    for key, spec in schema.items():
        key_path = _join(where, key)
        if isinstance(spec, dict):
            resolved[key] = _validate_section(source, raw.get(key), spec, key_path, extras)
        elif key not in raw:
            if spec.required:
                raise RecipeError(source, key_path, "is required ({})".format(spec.help))
            resolved[key] = copy.deepcopy(spec.default)
        else:
            try:
                resolved[key] = spec.validate(raw[key])
            except (TypeError, ValueError) as error:
                raise RecipeError(source, key_path, "{} (got {!r})".format(error, raw[key])) from None
    return resolved


def _plugin_options(source, plugin: Configurable, options, where):
    try:
        return plugin.validate(options)
    except OptionError as error:
        key_path = _join(where, error.key) if error.key else where
        raise RecipeError(source, key_path, error.reason) from None


def _load_plugin(source, group, name, key_path):
    try:
        return group.load(name)
    except PluginError as error:
        raise RecipeError(source, key_path, str(error)) from None


def _stages(source, raw_stages):
    stages = []
    for index, raw in enumerate(raw_stages):
        where = _join("model.stages", index)
        if not isinstance(raw, dict) or "type" not in raw:
            raise RecipeError(source, where, "each stage is a mapping with a 'type', got {!r}".format(raw))
        options = {k: v for k, v in raw.items() if k != "type"}
        stage = _load_plugin(source, registry.stages, raw["type"], _join(where, "type"))
        stages.append((stage, _plugin_options(source, stage, options, where)))
    return stages


def _backbone(source, raw):
    where = "model.backbone"
    if "type" not in raw or not isinstance(raw["type"], str):
        raise RecipeError(source, _join(where, "type"), "is required: family/Model, e.g. keras.applications/DenseNet121")
    family_name, _, model = raw["type"].partition("/")
    family = _load_plugin(source, registry.backbones, family_name, _join(where, "type"))
    try:
        family.check_model(model)
    except ValueError as error:
        raise RecipeError(source, _join(where, "type"), str(error)) from None
    options = _plugin_options(source, family, {k: v for k, v in raw.items() if k != "type"}, where)
    return family, model, options


def _runtime(source, section, extra):
    runtime = _load_plugin(source, registry.runtimes, section["device"], "runtime.device")
    if hasattr(runtime, "resolve"):
        runtime = runtime.resolve()
    options = _plugin_options(source, runtime, extra, "runtime")
    reason = runtime.unavailable_reason()
    if reason:
        raise RecipeError(source, "runtime.device", "{} is not available here: {}".format(runtime.name, reason))
    return runtime, options


def validate(source, raw):
    """Validate a recipe mapping (already read and overridden) into a :class:`Recipe`."""
    extras = {}
    config = _validate_section(source, raw, _SCHEMA, "", extras)
    dataset = _load_plugin(source, registry.datasets, config["data"]["source"], "data.source")
    dataset_options = _plugin_options(source, dataset, extras["data"], "data")
    config["data"].update(dataset_options)
    stages = _stages(source, config["model"]["stages"])
    family, model, backbone_options = _backbone(source, config["model"]["backbone"])
    runtime, runtime_options = _runtime(source, config["runtime"], extras["runtime"])
    config["runtime"].update(runtime_options, device=runtime.name)
    loss = config["train"]["loss"]
    if loss["label_smoothing"] and loss["type"] != "categorical_crossentropy":
        raise RecipeError(source, "train.loss.label_smoothing", "needs type: categorical_crossentropy (got {})".format(
            loss["type"]))
    if config["output"]["dir"] is None:
        config["output"]["dir"] = os.path.join("runs", config["name"])
    return Recipe(source, config, dataset, dataset_options, stages, family, model, backbone_options, runtime,
                  runtime_options)


def _parse_override(source, item):
    if isinstance(item, tuple):  # (dotted key, value) from a typed CLI flag
        return [int(p) if p.isdigit() else p for p in item[0].split(".")], item[1]
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise RecipeError(source, "--set {}".format(item), "must be KEY.PATH=VALUE, e.g. train.epochs=1")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise RecipeError(source, "--set {}".format(key), "value {!r} is not YAML: {}".format(value, error))
    return [int(p) if p.isdigit() else p for p in key.strip().split(".")], parsed


def apply_overrides(source, raw, overrides):
    """Apply ``--set a.b=c`` items (values parsed as YAML), or ``(dotted key, value)`` pairs, to a copy of the raw
    recipe mapping."""
    raw = copy.deepcopy(raw)
    for item in overrides:
        keys, value = _parse_override(source, item)
        item = item if isinstance(item, str) else "{}={!r}".format(*item)
        node = raw
        for depth, key in enumerate(keys[:-1]):
            where = ".".join(str(k) for k in keys[:depth + 1])
            if isinstance(node, list):
                if not isinstance(key, int) or key >= len(node):
                    raise RecipeError(source, "--set " + where, "no list item {} here".format(key))
                node = node[key]
            elif isinstance(node, dict):
                node = node.setdefault(key, {})
            else:
                raise RecipeError(source, "--set " + where, "is not a mapping or list")
        last = keys[-1]
        if isinstance(node, list):
            if not isinstance(last, int) or last >= len(node):
                raise RecipeError(source, "--set " + item.partition("=")[0], "no list item {} here".format(last))
        elif not isinstance(node, dict):
            raise RecipeError(source, "--set " + item.partition("=")[0], "is not a mapping or list")
        node[last] = value
    return raw


def read_yaml(source):
    """The recipe file as a mapping; RecipeError for a missing file or bad YAML (with line and column)."""
    if not os.path.isfile(source):
        raise RecipeError(source, None, "no such recipe file")
    try:
        with open(source, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = "line {}, column {}".format(mark.line + 1, mark.column + 1) if mark else "?"
        raise RecipeError(source, None, "not valid YAML at {}: {}".format(where, error.problem)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise RecipeError(source, None, "not valid YAML: {}".format(error)) from None
    if not isinstance(raw, dict):
        raise RecipeError(source, None, "a recipe is a YAML mapping (name, data, model, train, runtime, output)")
    return raw


def load_recipe(source, overrides=(), data_dir: Optional[str] = None):
    """Read, override and validate a recipe file. ``data_dir`` sets ``data.data_dir`` (the --data-dir flag)."""
    raw = apply_overrides(source, read_yaml(source), overrides)
    if data_dir is not None and isinstance(raw.get("data"), dict):
        raw["data"]["data_dir"] = data_dir
    return validate(source, raw)


def schema_reference():
    """(key path, default, help) rows of the fixed schema (the README's recipe reference is checked against them)."""
    rows = []

    def walk(schema, prefix):
        for key, spec in schema.items():
            if isinstance(spec, dict):
                walk(spec, _join(prefix, key))
            else:
                rows.append((_join(prefix, key), "(required)" if spec.required else spec.default, spec.help))
    walk(_SCHEMA, "")
    return rows
