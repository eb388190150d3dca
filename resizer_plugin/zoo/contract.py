"""The stage contract: what an entry in the ``zoo.stages`` group must be, and how its options are validated.

A third-party stage is a :class:`Stage` object exposed through an entry point::

    # setup.py / pyproject: [project.entry-points."zoo.stages"] my_stage = "my_pkg.stages:my_stage"
    my_stage = Stage("my_stage", build=_build, options={"scale": Option(number(min=0), 1.0, "multiplier")},
                     trainable=False, description="multiplies the image")

``build(options, input_spec)`` receives validated options (defaults filled in) and the incoming
:class:`ImageSpec`, and returns ``(keras_layer, output_spec)``.
"""
import numbers
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Sequence

__all__ = ["ImageSpec", "Option", "Stage", "StageConfigError", "boolean", "choice", "integer", "number", "size2d"]


class ImageSpec(NamedTuple):
    """The image a stage receives or produces: height and width (None when unknown) and channels."""
    height: Optional[int]
    width: Optional[int]
    channels: int


class StageConfigError(ValueError):
    """A stage option is unknown, of the wrong type or out of range."""

    def __init__(self, stage, key, message):
        self.stage, self.key = stage, key
        where = "stage {!r}".format(stage) + (", option {!r}".format(key) if key else "")
        super().__init__("{}: {}".format(where, message))


_REQUIRED = object()


class Option:
    """One option of a stage: a validator (value -> normalized value, ValueError if bad), a default, a help line."""

    def __init__(self, validate: Callable[[Any], Any], default: Any = _REQUIRED, help: str = ""):
        self.validate, self.default, self.help = validate, default, help

    @property
    def required(self):
        return self.default is _REQUIRED


class Stage:
    """A preprocessing stage kind: named, with declared options, a builder, and whether it has trainable weights."""

    def __init__(self, name: str, build: Callable, options: Mapping[str, Option], trainable: bool,
                 description: str = ""):
        self.name, self._build, self.options = name, build, dict(options)
        self.trainable, self.description = bool(trainable), description

    def validate(self, config: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        """Return the options with defaults filled in; raise StageConfigError naming the stage and the key."""
        config = {} if config is None else config
        if not isinstance(config, Mapping):
            raise StageConfigError(self.name, None, "options must be a mapping, got {!r}".format(config))
        unknown = sorted(set(config) - set(self.options))
        if unknown:
            raise StageConfigError(self.name, unknown[0], "unknown option; known options: {}".format(
                ", ".join(sorted(self.options)) or "(none)"))
        resolved = {}
        for key, option in self.options.items():
            if key not in config:
                if option.required:
                    raise StageConfigError(self.name, key, "is required")
                resolved[key] = option.default
                continue
            try:
                resolved[key] = option.validate(config[key])
            except (TypeError, ValueError) as error:
                raise StageConfigError(self.name, key, "{} (got {!r})".format(error, config[key])) from None
        return resolved

    def __call__(self, config: Optional[Mapping[str, Any]], input_spec: ImageSpec):
        """Build the stage: ``(layer, output_spec)`` for validated ``config`` and the incoming ``input_spec``."""
        layer, output_spec = self._build(self.validate(config), ImageSpec(*input_spec))
        return layer, ImageSpec(*output_spec)

    def __repr__(self):
        return "Stage({!r})".format(self.name)


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


def _range_text(min, max, min_exclusive=False):
    if min is not None and max is not None:
        return "between {} and {}".format(min, max)
    if min is not None:
        return "{} {}".format(">" if min_exclusive else ">=", min)
    return "<= {}".format(max)
