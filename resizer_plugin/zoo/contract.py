"""Plugin contracts: what an entry in each ``zoo.*`` group must be, and how every plugin's options are validated.

A third-party stage is a :class:`Stage` object exposed through an entry point::

    # setup.py / pyproject: [project.entry-points."zoo.stages"] my_stage = "my_pkg.stages:my_stage"
    my_stage = Stage("my_stage", build=_build, options={"scale": Option(number(min=0), 1.0, "multiplier")},
                     trainable=False, description="multiplies the image")

``build(options, input_spec)`` receives validated options (defaults filled in) and the incoming
:class:`ImageSpec`, and returns ``(keras_layer, output_spec)``.
"""
import numbers
import os
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence

__all__ = ["BackboneFamily", "DataError", "DatasetInfo", "DatasetSource", "Configurable", "ImageSpec", "Runtime", "RuntimeSession", "Option", "OptionError", "Stage", "StageConfigError", "boolean", "choice",
           "integer", "number", "size2d", "text", "path", "optional"]


class ImageSpec(NamedTuple):
    """The image a stage receives or produces: height and width (None when unknown) and channels."""
    height: Optional[int]
    width: Optional[int]
    channels: int


class OptionError(ValueError):
    """An option of a plugin (stage, dataset, backbone, runtime) is unknown, of the wrong type or out of range."""

    def __init__(self, kind, name, key, message):
        self.kind, self.name, self.key, self.reason = kind, name, key, message
        where = "{} {!r}".format(kind, name) + (", option {!r}".format(key) if key else "")
        super().__init__("{}: {}".format(where, message))


class StageConfigError(OptionError):
    """A stage option is unknown, of the wrong type or out of range."""

    def __init__(self, stage, key, message):
        super().__init__("stage", stage, key, message)
        self.stage = stage


_REQUIRED = object()


class Option:
    """One option of a stage: a validator (value -> normalized value, ValueError if bad), a default, a help line."""

    def __init__(self, validate: Callable[[Any], Any], default: Any = _REQUIRED, help: str = ""):
        self.validate, self.default, self.help = validate, default, help

    @property
    def required(self):
        return self.default is _REQUIRED


class Configurable:
    """Base of every plugin kind: a name and declared options, validated with errors naming kind, name and key."""

    kind = "plugin"

    def __init__(self, name: str, options: Mapping[str, Option], description: str = ""):
        self.name, self.options, self.description = name, dict(options), description

    def _error(self, key, message):
        return OptionError(self.kind, self.name, key, message)

    def validate(self, config: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        """Return the options with defaults filled in; raise OptionError naming the plugin and the key."""
        config = {} if config is None else config
        if not isinstance(config, Mapping):
            raise self._error(None, "options must be a mapping, got {!r}".format(config))
        unknown = sorted(set(config) - set(self.options))
        if unknown:
            raise self._error(unknown[0], "unknown option; known options: {}".format(
                ", ".join(sorted(self.options)) or "(none)"))
        resolved = {}
        for key, option in self.options.items():
            if key not in config:
                if option.required:
                    raise self._error(key, "is required")
                resolved[key] = option.default
                continue
            try:
                resolved[key] = option.validate(config[key])
            except (TypeError, ValueError) as error:
                raise self._error(key, "{} (got {!r})".format(error, config[key])) from None
        return resolved

    def __repr__(self):
        return "{}({!r})".format(type(self).__name__, self.name)


class Stage(Configurable):
    """A preprocessing stage kind: named, with declared options, a builder, and whether it has trainable weights."""

    kind = "stage"

    def __init__(self, name: str, build: Callable, options: Mapping[str, Option], trainable: bool,
                 description: str = ""):
        super().__init__(name, options, description)
        self._build, self.trainable = build, bool(trainable)

    def _error(self, key, message):
        return StageConfigError(self.name, key, message)

    def __call__(self, config: Optional[Mapping[str, Any]], input_spec: ImageSpec):
        """Build the stage: ``(layer, output_spec)`` for validated ``config`` and the incoming ``input_spec``."""
        layer, output_spec = self._build(self.validate(config), ImageSpec(*input_spec))
        return layer, ImageSpec(*output_spec)


class DataError(RuntimeError):
    """The data a recipe names cannot be found or read; the message says where it looked and what to do."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


class DatasetInfo(NamedTuple):
    """What a source knows before reading any image."""
    class_names: List[str]
    location: str


class DatasetSource(Configurable):
    """A ``zoo.datasets`` entry: ``describe(options) -> DatasetInfo`` (cheap, raises DataError when the data is
    missing) and ``load(options, split, seed) -> tf.data.Dataset`` of ``(image, label)``."""

    kind = "dataset"

    def __init__(self, name, options, describe: Callable, load: Callable, description=""):
        super().__init__(name, options, description)
        self.describe, self.load = describe, load


class BackboneFamily(Configurable):
    """A ``zoo.backbones`` entry: ``models`` (names; empty when the family is one model) and
    ``build(model, options, input_spec) -> keras.Model`` mapping images to a feature map."""

    kind = "backbone"

    def __init__(self, name, options, build, models=(), description=""):
        super().__init__(name, options, description)
        self.models, self._build = tuple(models), build

    def check_model(self, model):
        """Raise ValueError when ``model`` is not one of this family's."""
        if self.models and model not in self.models:
            raise ValueError("{} has no model {!r}; models: {}".format(self.name, model, ", ".join(self.models)))
        if not self.models and model:
            raise ValueError("{} takes no model name (write type: {})".format(self.name, self.name))

    def build(self, model, options, input_spec):
        self.check_model(model)
        return self._build(model, options, ImageSpec(*input_spec))


class RuntimeSession:
    """A started runtime: the distribution strategy, the Keras dtype policy, and the hooks the host calls."""

    def __init__(self, name, strategy, policy="float32", jit_compile=False, static_shapes=False, description=""):
        self.name, self.strategy, self.policy = name, strategy, policy
        self.jit_compile, self.static_shapes, self.description = jit_compile, static_shapes, description

    def wrap_optimizer(self, optimizer):
        """The optimizer to compile with (a runtime may add loss scaling or cross-device reduction)."""
        return optimizer

    def distribute_dataset(self, dataset, global_batch_size):
        """The dataset as this runtime wants it fed (a runtime may shard it across devices)."""
        return dataset

    def prepare_model(self, model):
        """Called once the model is built and restored (a runtime may broadcast its variables)."""

    def output_subdir(self):
        """Sub-folder of the run's output directory this process writes into ('' for the directory itself)."""
        return ""


class Runtime(Configurable):
    """A ``zoo.runtimes`` entry: ``unavailable_reason()`` (None when usable here) and ``start(options)``."""

    kind = "runtime"

    def unavailable_reason(self) -> Optional[str]:
        return None

    def start(self, options) -> RuntimeSession:
        raise NotImplementedError


# Validators: each returns the normalized value or raises ValueError/TypeError with a short reason.

def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(min: Optional[int] = None, max: Optional[int] = None):
    """An integer within [min, max]."""
    def validate(value):
        if not _is_int(value):
            raise TypeError("must be an integer")
        if (min is not None and value < min) or (max is not None and value > max):
            raise ValueError("must be {}".format(_range_text(min, max)))
        return int(value)
    return validate


def number(min: Optional[float] = None, max: Optional[float] = None, min_exclusive: bool = False):
    """A real number within the bounds."""
    def validate(value):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError("must be a number")
        too_low = min is not None and (value <= min if min_exclusive else value < min)
        if too_low or (max is not None and value > max):
            raise ValueError("must be {}".format(_range_text(min, max, min_exclusive)))
        return float(value)
    return validate


def boolean():
    """true or false."""
    def validate(value):
        if not isinstance(value, bool):
            raise TypeError("must be true or false")
        return value
    return validate


def choice(values: Sequence[str]):
    """One of a fixed set of strings."""
    def validate(value):
        if not isinstance(value, str):
            raise TypeError("must be one of: {}".format(", ".join(values)))
        if value not in values:
            raise ValueError("must be one of: {}".format(", ".join(values)))
        return value
    return validate


def size2d():
    """[height, width], two positive integers."""
    def validate(value):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
            raise TypeError("must be [height, width]")
        if not all(_is_int(v) and v > 0 for v in value):
            raise ValueError("must be two positive integers [height, width]")
        return (int(value[0]), int(value[1]))
    return validate


def text():
    """A non-empty string."""
    def validate(value):
        if not isinstance(value, str) or not value.strip():
            raise TypeError("must be a non-empty string")
        return value
    return validate


def path():
    """A filesystem path (``~`` expanded); existence is checked where it is used."""
    def validate(value):

        return os.path.expanduser(text()(value))
    return validate


def optional(validate):
    """``validate``, or null."""
    def validate_optional(value):
        return None if value is None else validate(value)
    return validate_optional


def _range_text(min, max, min_exclusive=False):
    if min is not None and max is not None:
        return "between {} and {}".format(min, max)
    if min is not None:
        return "{} {}".format(">" if min_exclusive else ">=", min)
    return "<= {}".format(max)
