"""Options every plugin declares: :class:`Option` (validator, default, help), the validators, and
:class:`Configurable`, the base of every plugin kind, which validates a plugin's options with errors that name the
plugin and the key."""
import difflib
import math
import numbers
import os
import reprlib
import unicodedata
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Sequence

from .positional import accepts_0_1_positional

__all__ = ["Configurable", "Option", "OptionError", "boolean", "choice", "did_you_mean", "integer", "mapping", "number",
           "optional", "path", "shown", "size2d", "text"]


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 60, 60, 6, 6, 3


def shown(value):
    """``repr(value)`` shortened to a few dozen characters: error messages show what was given, never megabytes."""
    return _SHORT.repr(value)


def did_you_mean(word, known):
    """``" (did you mean 'x'?)"`` naming the known names closest to ``word`` (difflib), or "" when none is close."""
    close = difflib.get_close_matches(str(word), [str(name) for name in known], n=3, cutoff=0.6)
    return " (did you mean {}?)".format(" or ".join(repr(name) for name in close)) if close else ""


class OptionError(ValueError):
    """An option of a plugin (stage, dataset, backbone, runtime) is unknown, of the wrong type or out of range."""

    def __init__(self, kind, name, key, message):
        self.kind, self.name, self.key, self.reason = kind, name, key, message
        where = "{} {!r}".format(kind, name) + (", option {!r}".format(key) if key else "")
        super().__init__("{}: {}".format(where, message))


class _Required:
    """The default of an option that has none: it must be given."""

    def __repr__(self):
        return "REQUIRED"


_REQUIRED = _Required()


class Bounds(NamedTuple):
    """The range an integer validator declares (``integer(min, max)``, ``size2d``); None for an open end."""
    min: Optional[int]
    max: Optional[int]

    def __str__(self):
        return _range_text(self.min, self.max)


class Option:
    """One option of a plugin: a validator (value -> normalized value, ValueError if bad), a default, a help line."""

    def __init__(self, validate: Callable[[Any], Any], default: Any = _REQUIRED, help: str = ""):
        self.validate, self.default, self.help = validate, default, help

    @property
    def required(self):
        """Whether the option has no default and must be given."""
        return self.default is _REQUIRED

    @property
    def bounds(self) -> Optional[Bounds]:
        """The range its validator declares (``integer(min, max)``: ``Bounds(min, max)``), or None: none declared."""
        return getattr(self.validate, "bounds", None)


class Configurable:
    """Base of every plugin kind: a name and declared options, validated with errors naming kind, name and key."""

    kind = "plugin"

    @accepts_0_1_positional("options", "description")
    def __init__(self, name: str, *, options: Mapping[str, Option], description: str = ""):
        self.name, self.options, self.description = name, dict(options), description

    def _error(self, key, message):
        return OptionError(self.kind, self.name, key, message)

    def validate(self, config: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        """Return the options with defaults filled in; raise OptionError naming the plugin and the key."""
        config = {} if config is None else config
        if not isinstance(config, Mapping):
            raise self._error(None, "options must be a mapping, got {}".format(shown(config)))
        unknown = sorted(set(config) - set(self.options), key=str)  # YAML keys may be numbers too
        if unknown:
            raise self._error(unknown[0], "unknown option{}; known options: {}".format(
                did_you_mean(unknown[0], self.options), ", ".join(sorted(self.options)) or "(none)"))
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
                raise self._error(key, "{} (got {})".format(error, shown(config[key]))) from None
        return resolved

    def __repr__(self):
        return "{}({!r})".format(type(self).__name__, self.name)


# Validators: each returns the normalized value or raises ValueError/TypeError with a short reason.

def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(min: Optional[int] = None, max: Optional[int] = None):
    """An integer within [min, max] (kept as the validator's ``bounds``: :attr:`Option.bounds`)."""
    def validate(value):
        if not _is_int(value):
            raise TypeError("must be an integer")
        if (min is not None and value < min) or (max is not None and value > max):
            raise ValueError("must be {}".format(_range_text(min, max)))
        return int(value)
    validate.bounds = None if min is None and max is None else Bounds(min, max)
    return validate


def number(min: Optional[float] = None, max: Optional[float] = None, min_exclusive: bool = False):
    """A real number within the bounds."""
    def validate(value):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError("must be a number")
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
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
            raise ValueError("must be one of: {}{}".format(", ".join(values), did_you_mean(value, values)))
        return value
    return validate


#: the largest image side any size option takes (a 16384 x 16384 uint8 image is 768 MiB)
MAX_SIDE = 16384


def size2d(max_side: int = MAX_SIDE):
    """[height, width], two positive integers up to ``max_side``."""
    def validate(value):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
            raise TypeError("must be [height, width]")
        if not all(_is_int(v) and 0 < v <= max_side for v in value):
            raise ValueError("must be two integers [height, width] between 1 and {}".format(max_side))
        return (int(value[0]), int(value[1]))
    validate.bounds = Bounds(1, max_side)
    return validate


def text():
    """A non-empty string."""
    def validate(value):
        if not isinstance(value, str) or not value.strip():
            raise TypeError("must be a non-empty string")
        return value
    return validate


def path():
    """A filesystem path (``~`` expanded) without control characters, so that a message naming it is one line;
    existence is checked where it is used."""
    def validate(value):
        value = text()(value)
        if any(unicodedata.category(character) == "Cc" for character in value):
            raise ValueError("must hold no control characters (line breaks, tabs)")
        return os.path.expanduser(value)
    return validate


def mapping():
    """A mapping (e.g. constructor arguments), copied."""
    def validate(value):
        if not isinstance(value, Mapping):
            raise TypeError("must be a mapping")
        return dict(value)
    return validate


def optional(validate):
    """``validate``, or null."""
    def validate_optional(value):
        return None if value is None else validate(value)
    validate_optional.bounds = getattr(validate, "bounds", None)
    return validate_optional


def _range_text(min, max, min_exclusive=False):
    if min is not None and max is not None:
        return "between {} and {}".format(min, max)
    if min is not None:
        return "{} {}".format(">" if min_exclusive else ">=", min)
    return "<= {}".format(max)
