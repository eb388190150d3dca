"""The ``zoo.stages`` contract: a preprocessing stage between the uint8 image and the backbone."""
from typing import Any, Callable, Mapping, NamedTuple, Optional

from .options import Configurable, Option, OptionError
from .positional import accepts_0_1_positional

__all__ = ["ImageSpec", "Stage", "StageConfigError"]


class ImageSpec(NamedTuple):
    """The image a stage receives or produces: height and width (None when unknown) and channels."""
    height: Optional[int]
    width: Optional[int]
    channels: int


class StageConfigError(OptionError):
    """A stage option is unknown, of the wrong type or out of range."""

    def __init__(self, stage, key, message):
        super().__init__("stage", stage, key, message)
        self.stage = stage


class Stage(Configurable):
    """A ``zoo.stages`` entry: named, with declared options, a builder, and whether it has trainable weights.

    Args:
        name: the name a recipe writes as ``type``.
        build: ``build(options, input_spec) -> (keras_layer, output_spec)``, given validated options (defaults
            filled in) and the incoming :class:`ImageSpec`.
        options: option name -> :class:`Option`.
        trainable: whether the layer has trainable weights (the conformance kit checks it).
        description: one line for ``zoo-run --list``.
        augmentation: a data augmentation: random in training, the identity at inference (the conformance kit
            checks both).
    """

    kind = "stage"

    @accepts_0_1_positional("build", "options", "trainable", "description", "augmentation")
    def __init__(self, name: str, *, build: Callable, options: Mapping[str, Option], trainable: bool,
                 description: str = "", augmentation: bool = False):
        super().__init__(name, options=options, description=description)
        self._build, self.trainable, self.augmentation = build, bool(trainable), bool(augmentation)

    def _error(self, key, message):
        return StageConfigError(self.name, key, message)

    def __call__(self, config: Optional[Mapping[str, Any]], input_spec: ImageSpec):
        """Build the stage: ``(layer, output_spec)`` for validated ``config`` and the incoming ``input_spec``."""
        layer, output_spec = self._build(self.validate(config), ImageSpec(*input_spec))
        return layer, ImageSpec(*output_spec)
