"""The ``zoo.backbones`` contract: a family of backbones that map images to a feature map."""
from typing import Callable, Mapping, Sequence

from .options import Configurable, Option
from .stage import ImageSpec

__all__ = ["BackboneFamily"]


class BackboneFamily(Configurable):
    """A ``zoo.backbones`` entry. A recipe names ``family/Model`` in ``model.backbone.type``, or just ``family``
    when the family is one model.

    Args:
        name: the family name.
        options: option name -> :class:`Option` (written beside ``type`` in ``model.backbone``).
        build: ``build(model, options, input_spec) -> keras.Model`` mapping images of ``input_spec`` to a feature
            map (no classifier: the host adds the head). Raise ValueError for arguments the model refuses.
        models: the family's model names; empty when the family is one model.
        description: one line for ``zoo-run --list``.
    """

    kind = "backbone"

    def __init__(self, name: str, options: Mapping[str, Option], build: Callable, models: Sequence[str] = (),
                 description: str = ""):
        super().__init__(name, options, description)
        self.models, self._build = tuple(models), build

    def check_model(self, model: str):
        """Raise ValueError when ``model`` is not one of this family's."""
        if self.models and model not in self.models:
            raise ValueError("{} has no model {!r}; models: {}".format(self.name, model, ", ".join(self.models)))
        if not self.models and model:
            raise ValueError("{} takes no model name (write type: {})".format(self.name, self.name))

    def build(self, model: str, options, input_spec: ImageSpec):
        """The backbone ``model`` built from validated ``options`` for inputs of ``input_spec``."""
        self.check_model(model)
        return self._build(model, options, ImageSpec(*input_spec))
