"""The recipe's fixed schema (the host's keys, their validators, defaults and help) and typed views of its
sections, so the run reads ``recipe.train.loss.type`` rather than nested dictionary lookups."""
import re
import unicodedata
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..contract import Option, boolean, choice, integer, mapping, number, optional, path, size2d, text

__all__ = ["SCHEMA", "OPEN_SECTIONS", "Data", "Head", "Loss", "Optimizer", "Output", "Schedule", "Train", "host_keys",
           "run_name", "schema_options", "schema_reference", "section"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")
SCHEDULES = ("constant", "cosine", "step", "exponential")
METRICS = ("accuracy", "top_5_accuracy")


def _list(value):
    if not isinstance(value, list):
        raise TypeError("must be a list")
    return value


def _metrics(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError("must be a list, e.g. [accuracy]")
    return [choice(METRICS)(v) for v in value]


#: what a run's name may hold: it names a folder (runs/<name>) and the Keras model, so one safe path component
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def run_name(value):
    """A run name: letters, digits, '.', '_' and '-' (not first), at most 100; ValueError suggesting a slug."""
    value = text()(value)
    if not RUN_NAME.fullmatch(value):  # match() with $ would let a trailing newline through
        ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text).strip("._-")[:100] or "run"
        raise ValueError("a run name is one folder name of letters, digits, '.', '_' and '-' (not first), at most "
                         "100 characters; e.g. {!r}".format(slug))
    return value


#: the largest global batch (and the seed's range, NumPy's and TensorFlow's); the shuffle buffer's examples, held as
#: the source gives them (65,536 JPEG files of 30 KB are 2 GB)
MAX_BATCH, MAX_SEED, MAX_SHUFFLE = 1 << 16, 2 ** 32 - 1, 1 << 16

SCHEMA = {
    "name": Option(run_name, help="run name; the default output folder is runs/<name>"),
    "seed": Option(integer(min=0, max=MAX_SEED), 42, "seed of weights, shuffling and dropout"),
    "data": {
        "source": Option(text(), help="dataset source, from the zoo.datasets group"),
        "image_size": Option(size2d(), help="[height, width] every image is resized to in the input pipeline"),
        "batch_size": Option(integer(min=1, max=MAX_BATCH), 32, "global batch size"),
        "shuffle_buffer": Option(integer(min=1, max=MAX_SHUFFLE), 1024, "examples in the shuffle buffer"),
        "drop_remainder": Option(boolean(), False, "drop the last partial batch (static shapes)"),
        "antialias": Option(boolean(), False, "anti-alias the pipeline's bilinear resize to image_size"),
    },
    "model": {
        "stages": Option(_list, [], "preprocessing stages in order, each {type: NAME, options...}"),
        "backbone": Option(mapping(), help="{type: family/Model, options...} from zoo.backbones"),
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
            "schedule": {
                "type": Option(choice(SCHEDULES), "constant", "learning-rate schedule after the warmup: constant, "
                                                              "cosine, step or exponential"),
                "warmup_epochs": Option(number(min=0), 0.0, "epochs of linear warmup from 0 to learning_rate"),
                "decay_epochs": Option(optional(number(min=0, min_exclusive=True)), None,
                                       "cosine: epochs to decay over (null: all after the warmup); step: epochs "
                                       "between drops; exponential: epochs per factor decay_rate (both required)"),
                "decay_rate": Option(number(min=0, max=1, min_exclusive=True), 0.1,
                                     "step and exponential: the factor per decay_epochs"),
                "min_learning_rate": Option(number(min=0), 0.0, "cosine: the rate it ends at"),
            },
        },
        "loss": {
            "type": Option(choice(LOSSES), "categorical_crossentropy", "loss function"),
            "label_smoothing": Option(number(min=0, max=0.99), 0.0, "label smoothing (categorical only)"),
        },
        "metrics": Option(_metrics, ["accuracy"], "accuracy, top_5_accuracy"),
        "log_steps": Option(integer(min=1), 100, "throughput log line every N steps"),
        "checkpoint_every_steps": Option(optional(integer(min=1)), None,
                                         "also checkpoint every N optimizer steps, inside epochs (null: at epoch "
                                         "ends only); --resume continues mid-epoch"),
        "freeze_backbone_epochs": Option(integer(min=0), 0, "first epochs with the backbone frozen (its weights "
                                                           "and BatchNorm statistics kept): the stages learn on a "
                                                           "pretrained backbone, then both train"),
        "batch_norm_momentum": Option(optional(number(min=0, max=0.999)), None,
                                      "momentum of every BatchNormalization's moving statistics (null: Keras' "
                                      "0.99); 0.9 suits short runs, whose inference statistics 0.99 leaves stale"),
    },
    "runtime": {
        "device": Option(text(), "auto", "runtime, from the zoo.runtimes group"),
    },
    "output": {
        "dir": Option(optional(path()), None, "output folder (default runs/<name>)"),
        "picture_images": Option(integer(min=1, max=8), 4, "validation images in the resizer pictures"),
    },
}

#: sections whose other keys belong to the plugin the section names (the dataset source, the runtime)
OPEN_SECTIONS = ("data", "runtime")


def host_keys(section_name: str) -> List[str]:
    """The host's own keys of a top-level section (``"data"``, ``"runtime"``): no plugin option may take these
    names."""
    return list(SCHEMA[section_name])


class Data(NamedTuple):
    """``data:`` as the host reads it (the source's own options are in ``Recipe.dataset_options``)."""
    source: str
    image_size: Tuple[int, int]
    batch_size: int
    shuffle_buffer: int
    drop_remainder: bool
    antialias: bool


class Head(NamedTuple):
    """``model.head:``."""
    pooling: str
    dropout: float


class Schedule(NamedTuple):
    """``train.optimizer.schedule:``."""
    type: str
    warmup_epochs: float
    decay_epochs: Optional[float]
    decay_rate: float
    min_learning_rate: float


class Optimizer(NamedTuple):
    """``train.optimizer:``."""
    type: str
    learning_rate: float
    momentum: float
    nesterov: bool
    weight_decay: Optional[float]
    schedule: Schedule


class Loss(NamedTuple):
    """``train.loss:``."""
    type: str
    label_smoothing: float

    @property
    def one_hot(self) -> bool:
        """Whether the loss takes one-hot labels (categorical) rather than class indices (sparse)."""
        return self.type == "categorical_crossentropy"


class Train(NamedTuple):
    """``train:``."""
    epochs: int
    steps_per_epoch: Optional[int]
    validation_steps: Optional[int]
    optimizer: Optimizer
    loss: Loss
    metrics: List[str]
    log_steps: int
    checkpoint_every_steps: Optional[int]
    freeze_backbone_epochs: int
    batch_norm_momentum: Optional[float]


class Output(NamedTuple):
    """``output:``."""
    dir: str
    picture_images: int


def section(kind, values: Dict[str, Any]):
    """The typed view ``kind`` (a NamedTuple above) of a validated section, nested sections included."""
    fields = {}
    for name, annotation in kind.__annotations__.items():
        value = values[name]
        fields[name] = section(annotation, value) if hasattr(annotation, "_fields") else value
    return kind(**fields)


def schema_options() -> Dict[str, Option]:
    """Key path -> Option of every key of the fixed schema, in order."""
    options = {}

    def walk(schema, prefix):
        for key, spec in schema.items():
            key_path = "{}.{}".format(prefix, key) if prefix else key
            if isinstance(spec, dict):
                walk(spec, key_path)
            else:
                options[key_path] = spec
    walk(SCHEMA, "")
    return options


def schema_reference():
    """(key path, default, help) rows of the fixed schema (the recipe reference in docs/ is checked against them)."""
    return [(key_path, "(required)" if spec.required else spec.default, spec.help)
            for key_path, spec in schema_options().items()]
