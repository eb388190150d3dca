"""The ``zoo.backbones`` contract: a family of backbones that map images to a feature map (or to tokens)."""
import os
import warnings
from typing import Callable, Mapping, Sequence

from .options import Configurable, Option, did_you_mean
from .positional import accepts_0_1_positional
from .stage import ImageSpec

__all__ = ["BackboneFamily", "load_weights_file"]


class BackboneFamily(Configurable):
    """A ``zoo.backbones`` entry. A recipe names ``family/Model`` in ``model.backbone.type``, or just ``family``
    when the family is one model.

    Args:
        name: the family name.
        options: option name -> :class:`Option` (written beside ``type`` in ``model.backbone``).
        build: ``build(model, options, input_spec) -> keras.Model`` mapping images of ``input_spec`` to a feature
            map ``(B, H, W, C)`` or tokens ``(B, N, C)`` (no classifier: the host pools them and adds the head).
            Raise ValueError for arguments the model refuses.
        models: the family's model names; empty when the family is one model.
        description: one line for ``zoo-run --list``.
    """

    kind = "backbone"

    @accepts_0_1_positional("options", "build", "models", "description")
    def __init__(self, name: str, *, build: Callable, options: Mapping[str, Option], models: Sequence[str] = (),
                 description: str = ""):
        super().__init__(name, options=options, description=description)
        self.models, self._build = tuple(models), build

    def check_model(self, model: str):
        """Raise ValueError when ``model`` is not one of this family's."""
        if self.models and model not in self.models:
            raise ValueError("{} has no model {!r}{}; models: {}".format(self.name, model,
                                                                         did_you_mean(model, self.models),
                                                                         ", ".join(self.models)))
        if not self.models and model:
            raise ValueError("{} takes no model name (write type: {})".format(self.name, self.name))

    def build(self, model: str, options, input_spec: ImageSpec):
        """The backbone ``model`` built from validated ``options`` for inputs of ``input_spec``."""
        self.check_model(model)
        return self._build(model, options, ImageSpec(*input_spec))


def load_weights_file(backbone, path, model):
    """Load the local weights file ``path`` into the built ``backbone`` (``model`` names it in messages). Raises
    ValueError in one line when the file is missing or does not fit: nothing is downloaded."""
    if not os.path.isfile(path):
        raise ValueError("weights file {} does not exist (weights must be null or a local file: nothing is "
                         "downloaded)".format(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns once per layer it cannot match before it fails
            backbone.load_weights(path)
    except Exception as error:  # Keras raises ValueError, KeyError or h5py errors, with every layer listed
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ValueError("weights file {} does not fit {}: {}".format(path, model, first_line))
