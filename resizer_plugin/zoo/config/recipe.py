"""Recipe validation: YAML -> a checked :class:`Recipe`, before anything heavy runs (the keys are in schema.py).

Every error names the file, the key path (``model.stages[1].filters``) and the bad value. Unknown keys are errors.
``--set a.b=c`` overrides are applied before validation, so they are type-checked like the file itself.
"""
import copy
import os
import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import yaml

from . import registry
from ..contract import (BackboneFamily, Configurable, DatasetSource, ImageSpec, OptionError, Runtime, Stage,
                        did_you_mean, shown)
from .bounds import excess, file_excess
from .registry import PluginError
from .schema import OPEN_SECTIONS, SCHEMA, Data, Head, Output, Train, host_keys, section

__all__ = ["Recipe", "RecipeError", "load_recipe", "load_yaml", "apply_overrides", "read_yaml", "validate"]

#: a number with an exponent, as YAML 1.2 writes it: YAML 1.1 (PyYAML) wants a dot and a signed exponent, and reads
#: ``1e-3`` or ``1.0e3`` as strings
YAML_1_2_EXPONENT = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, numbers with an exponent read as YAML 1.2 reads them: as floats; a scalar its resolver
    takes for a number or a date that is none (``0x_``, ``2020-13-45``) is a YAML error at that scalar."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(None, None, "{!r} looks like a YAML {} but is not one ({})".format(
                node.value, node.tag.rpartition(":")[2], error), node.start_mark) from None


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", YAML_1_2_EXPONENT, list("-+0123456789."))


def load_yaml(stream):
    """The YAML document in ``stream`` (a string or a file), numbers read as YAML 1.2 reads them."""
    return yaml.load(stream, Loader=_Loader)


class RecipeError(ValueError):
    """A recipe problem: the file, the key path and what is wrong with the value."""

    def __init__(self, source, key, message):
        self.source, self.key, self.reason = source, key, message
        shown_key = key if key and key.isprintable() else shown(key)  # an empty key, or one of a line break, quoted
        super().__init__("{}: {}{}".format(source, "" if key is None else "{}: ".format(shown_key), message))


class Recipe(NamedTuple):
    """A validated recipe: ``config`` is the full normalized mapping; the rest are the plugins it names."""
    source: str
    config: Dict[str, Any]
    dataset: DatasetSource
    dataset_options: Dict[str, Any]
    stages: List[Tuple[Stage, Dict[str, Any]]]  #: each stage with its validated options
    backbone: BackboneFamily
    backbone_model: str
    backbone_options: Dict[str, Any]
    runtime: Runtime
    runtime_options: Dict[str, Any]

    @property
    def name(self) -> str:
        return self.config["name"]

    @property
    def seed(self) -> int:
        return self.config["seed"]

    @property
    def data(self) -> Data:
        return section(Data, self.config["data"])

    @property
    def head(self) -> Head:
        return section(Head, self.config["model"]["head"])

    @property
    def train(self) -> Train:
        return section(Train, self.config["train"])

    @property
    def output(self) -> Output:
        return section(Output, self.config["output"])

    @property
    def input_spec(self) -> ImageSpec:
        """What the first stage receives: the pipeline's uint8 RGB images of ``data.image_size``."""
        height, width = self.data.image_size
        return ImageSpec(height, width, 3)


def _join(prefix, key):
    if isinstance(key, int):
        return "{}[{}]".format(prefix, key)
    return "{}.{}".format(prefix, key) if prefix else str(key)


def _validate_section(source, raw, schema, where, extras):
    """Validate ``raw`` against ``schema`` or raise RecipeError at the key path. Keys unknown to the schema are
    errors, except in the open sections, where they are collected in ``extras[section]`` for the plugin."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise RecipeError(source, where or "(top level)", "must be a mapping, got {}".format(shown(raw)))
    unknown = [k for k in raw if k not in schema]
    if where in OPEN_SECTIONS:
        extras[where] = {k: raw[k] for k in unknown}
    elif unknown:
        raise RecipeError(source, _join(where, unknown[0]), "unknown key{}; known keys here: {}".format(
            did_you_mean(unknown[0], schema), ", ".join(schema)))
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
                raise RecipeError(source, key_path, "{} (got {})".format(error, shown(raw[key]))) from None
    return resolved


def _check_no_collision(source, plugin: Configurable, where, taken):
    """A plugin option named like a host key of the same section could never be set: an error naming both."""
    clashes = sorted(set(plugin.options) & set(taken))
    if clashes:
        raise RecipeError(source, where, "{} {!r} declares an option {!r}, which is the host's key {}; the plugin "
                                         "must rename its option".format(plugin.kind, plugin.name, clashes[0],
                                                                         _join(where, clashes[0])))


def _plugin_options(source, plugin: Configurable, options, where, taken=("type",)):
    """The plugin's validated options; ``taken`` are the host's keys beside them in the recipe."""
    _check_no_collision(source, plugin, where, taken)
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
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise RecipeError(source, where, "each stage is a mapping with a 'type' (a stage's name), got {}".format(
                shown(raw)))
        options = {k: v for k, v in raw.items() if k != "type"}
        stage = _load_plugin(source, registry.stages, raw["type"], _join(where, "type"))
        stages.append((stage, _plugin_options(source, stage, options, where)))
    return stages


def _backbone(source, raw):
    where = "model.backbone"
    if "type" not in raw or not isinstance(raw["type"], str):
        raise RecipeError(source, _join(where, "type"), "is required: family/Model, or family alone for a one-model "
                                                        "family (zoo-run --list shows them)")
    family_name, _, model = raw["type"].partition("/")
    family = _load_plugin(source, registry.backbones, family_name, _join(where, "type"))
    try:
        family.check_model(model)
    except ValueError as error:
        raise RecipeError(source, _join(where, "type"), str(error)) from None
    options = _plugin_options(source, family, {k: v for k, v in raw.items() if k != "type"}, where)
    return family, model, options


def _find_runtime(name):
    """The installed runtime ``name``, or None (for a runtime that stands for another)."""
    if name not in registry.runtimes.names():
        return None
    try:
        return registry.runtimes.load(name)
    except PluginError:
        return None


def _runtime(source, runtime_section, extra):
    runtime = _load_plugin(source, registry.runtimes, runtime_section["device"], "runtime.device")
    runtime = runtime.resolve(_find_runtime)
    options = _plugin_options(source, runtime, extra, "runtime", host_keys("runtime"))
    reason = runtime.unavailable_reason()
    if reason:
        raise RecipeError(source, "runtime.device", "{} is not available here: {}".format(runtime.name, reason))
    return runtime, options


def _check_batch_splits(source, config, runtime, runtime_options):
    processes = runtime.processes(runtime_options)
    batch_size = config["data"]["batch_size"]
    if batch_size % processes:
        raise RecipeError(source, "data.batch_size", "the global batch of {} does not divide by the {} processes of "
                                                     "the {} runtime (one per device); make it a multiple of {}".format(
                                                         batch_size, processes, runtime.name, processes))


def _check_label_smoothing(source, loss):
    if loss["label_smoothing"] and loss["type"] != "categorical_crossentropy":
        raise RecipeError(source, "train.loss.label_smoothing", "needs type: categorical_crossentropy (got {})".format(
            loss["type"]))


def _check_schedule(source, optimizer):
    schedule = optimizer["schedule"]
    if schedule["type"] in ("step", "exponential") and schedule["decay_epochs"] is None:
        raise RecipeError(source, "train.optimizer.schedule.decay_epochs",
                          "is required when the schedule's type is {}".format(schedule["type"]))
    if schedule["min_learning_rate"] > optimizer["learning_rate"]:
        raise RecipeError(source, "train.optimizer.schedule.min_learning_rate", "{} is above train.optimizer."
                          "learning_rate {}".format(schedule["min_learning_rate"], optimizer["learning_rate"]))


def validate(source, raw):
    """Validate a recipe mapping (already read and overridden) into a :class:`Recipe`."""
    extras = {}
    config = _validate_section(source, raw, SCHEMA, "", extras)
    dataset = _load_plugin(source, registry.datasets, config["data"]["source"], "data.source")
    dataset_options = _plugin_options(source, dataset, extras["data"], "data", host_keys("data"))
    config["data"].update(dataset_options)
    stages = _stages(source, config["model"]["stages"])
    family, model, backbone_options = _backbone(source, config["model"]["backbone"])
    runtime, runtime_options = _runtime(source, config["runtime"], extras["runtime"])
    config["runtime"].update(runtime_options, device=runtime.name)
    _check_batch_splits(source, config, runtime, runtime_options)
    _check_label_smoothing(source, config["train"]["loss"])
    _check_schedule(source, config["train"]["optimizer"])
    if config["output"]["dir"] is None:
        config["output"]["dir"] = os.path.join("runs", config["name"])
    return Recipe(source, config, dataset, dataset_options, stages, family, model, backbone_options, runtime,
                  runtime_options)


def _key_parts(dotted):
    """``a.1.b`` as ["a", 1, "b"]: a part of ASCII digits is a list index (``²`` is a digit to str.isdigit, not to
    int)."""
    return [int(part) if part.isascii() and part.isdigit() else part for part in dotted.split(".")]


def _parse_override(source, item):
    if isinstance(item, tuple):  # (dotted key, value) from a typed CLI flag
        return _key_parts(item[0]), item[1]
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise RecipeError(source, "--set {}".format(item), "must be KEY.PATH=VALUE, e.g. train.epochs=1")
    try:
        parsed = load_yaml(value)
    except RecursionError:
        raise RecipeError(source, "--set {}".format(key), "value {} is nested too deeply".format(
            shown(value))) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise RecipeError(source, "--set {}".format(key), "value {} is not YAML: {}{}".format(
            shown(value), getattr(error, "problem", None) or "cannot be parsed",
            " (column {})".format(mark.column + 1) if mark else "")) from None
    return _key_parts(key.strip()), parsed


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
    """The recipe file as a mapping; RecipeError for a missing or too large file, or bad YAML (with line and
    column)."""
    if not os.path.isfile(source):
        raise RecipeError(source, None, "no such recipe file")
    too_large = file_excess(source)
    if too_large:
        raise RecipeError(source, None, too_large)
    try:
        with open(source, encoding="utf-8") as handle:
            raw = load_yaml(handle)
    except RecursionError:
        raise RecipeError(source, None, "not a recipe: its YAML is nested too deeply") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = " at line {}, column {}".format(mark.line + 1, mark.column + 1) if mark else ""
        raise RecipeError(source, None, "not valid YAML{}: {}".format(where, error.problem)) from None
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
    over = excess(raw)
    if over:
        raise RecipeError(source, *over)
    return validate(source, raw)
