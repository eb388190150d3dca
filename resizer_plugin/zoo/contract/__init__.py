"""Plugin contracts: what an entry in each ``zoo.*`` entry-point group must be, and how plugins declare and
validate their options. Third-party plugins import this package and nothing else of the host.

A third-party stage is a :class:`Stage` object exposed through an entry point::

    # pyproject.toml: [project.entry-points."zoo.stages"] my_stage = "my_pkg.stages:my_stage"
    my_stage = Stage("my_stage", build=_build, options={"scale": Option(number(min=0), 1.0, "multiplier")},
                     trainable=False, description="multiplies the image")

``build(options, input_spec)`` receives validated options (defaults filled in) and the incoming
:class:`ImageSpec`, and returns ``(keras_layer, output_spec)``.
"""
from .backbone import BackboneFamily, load_weights_file
from .dataset import (NOTHING_SKIPPED, DataError, DatasetInfo, DatasetSource, SkippedInputs, SplitError, slice_split,
                      split, split_options, take_split)
from .options import (Configurable, Option, OptionError, boolean, choice, did_you_mean, integer, mapping, number,
                      optional, path, shown, size2d, text)
from .positional import ContractDeprecationWarning
from .preparer import Prepared, Preparer
from .runtime import LaunchFlag, Runtime, RuntimeSession
from .stage import ImageSpec, Stage, StageConfigError

__all__ = ["NOTHING_SKIPPED", "BackboneFamily", "Configurable", "ContractDeprecationWarning", "DataError",
           "DatasetInfo", "DatasetSource", "ImageSpec", "LaunchFlag", "Option", "OptionError", "Prepared", "Preparer",
           "Runtime", "RuntimeSession", "SkippedInputs", "SplitError", "Stage", "StageConfigError", "boolean", "choice",
           "did_you_mean", "integer", "load_weights_file", "mapping", "number", "optional", "path", "shown", "size2d",
           "slice_split", "split", "split_options", "take_split", "text"]
