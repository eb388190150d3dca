"""The ``zoo.runtimes`` contract: where and how a recipe trains (device, precision, distribution)."""
import contextlib
import functools
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .options import Configurable
from .positional import warn_0_1_form

__all__ = ["LaunchFlag", "Runtime", "RuntimeSession"]


class LaunchFlag(NamedTuple):
    """A command-line flag a runtime adds to ``zoo-run`` (e.g. the launch flags of a port it replaces).

    ``flag`` is written as on the command line (``--precision_mode``); ``key`` is the recipe key it sets
    (``runtime.precision_mode``), or None for a switch that only gates other flags (see
    :meth:`Runtime.flag_overrides`); ``type`` is ``str``, ``int`` or ``bool`` (the CLI accepts True/False, 1/0);
    ``selects`` says that giving the flag selects this runtime."""
    flag: str
    key: Optional[str]
    type: type
    help: str
    selects: bool = False

    @property
    def name(self) -> str:
        """The flag without its dashes: its key in the values :meth:`Runtime.flag_overrides` receives."""
        return self.flag.lstrip("-")


#: RuntimeSession's arguments in their 0.1 order (0.1's name and policy are kept as attributes, read by nothing)
_SESSION_0_1 = ("name", "strategy", "policy", "jit_compile", "static_shapes", "description")


def _accepts_0_1_session(init):
    """RuntimeSession in its 0.1 form, ``RuntimeSession(name, strategy, policy, ...)``, with a DeprecationWarning."""
    @functools.wraps(init)
    def init_accepting_0_1(self, *positional, **keywords):
        if not ({"name", "policy"} & set(keywords) or len(positional) > 1 or
                (positional and "strategy" in keywords)):
            return init(self, *positional, **keywords)
        given = dict(zip(_SESSION_0_1, positional))
        if set(given) & set(keywords) or len(positional) > len(_SESSION_0_1):
            raise TypeError("RuntimeSession() got an argument twice, or too many arguments")
        given.update(keywords)
        self.name, self.policy = given.pop("name", None), given.pop("policy", "float32")
        warn_0_1_form("RuntimeSession(name, strategy, policy, ...), with a name or a policy", "RuntimeSession(strategy, jit_compile=..., "
                      "static_shapes=..., description=...) (the runtime sets the dtype policy itself)")
        return init(self, **given)
    return init_accepting_0_1


class RuntimeSession:
    """A started runtime: the distribution strategy and the hooks the host calls. The runtime sets the Keras dtype
    policy itself when it starts.

    Args:
        strategy: the distribution strategy the model is built and trained under: ``tf.distribute``'s, or any object
            with ``scope()`` and ``num_replicas_in_sync`` (on JAX, where ``keras.distribution`` is set for the process).
        jit_compile: compile the train step with XLA.
        static_shapes: the device needs every batch full (the host drops the last partial batch).
        description: one line for the log and metrics.json (the runtime, its devices and precision).
    """

    @_accepts_0_1_session
    def __init__(self, strategy, *, jit_compile: bool = False, static_shapes: bool = False, description: str = ""):
        self.strategy = strategy
        self.jit_compile, self.static_shapes, self.description = jit_compile, static_shapes, description

    def computation_scope(self):
        """A context the host enters around building, compiling, training and evaluating the model; a runtime
        may switch device-specific forms of computation on in it. Default: none."""
        return contextlib.nullcontext()

    def wrap_optimizer(self, optimizer):
        """The optimizer to compile with (a runtime may add loss scaling or cross-device reduction)."""
        return optimizer

    def shard_dataset(self, dataset, global_batch_size: int):
        """``(dataset, batch_size)``: the part of the unbatched ``(image, label)`` dataset this process reads, and
        the batch size it batches it with (a runtime with one process per device shards the data and splits the
        global batch; tf.distribute strategies split batches themselves)."""
        return dataset, global_batch_size

    def is_chief(self) -> bool:
        """Whether this process writes the run's final figures (metrics.json); every process keeps its own log,
        history, checkpoints and pictures."""
        return True

    def prepare_model(self, model):
        """Called once the model is built and restored (a runtime may broadcast its variables)."""

    def output_subdir(self) -> str:
        """Sub-folder of the run's output directory this process writes into ('' for the directory itself)."""
        return ""

    def sibling_subdirs(self) -> List[str]:
        """Sub-folders that other processes of this launch write inside this process's folder (a multi-host
        chief's workers): the check that the output folder holds no run leaves them out."""
        return []

    def log_name(self) -> str:
        """File name of the run's log, in the folder :meth:`output_subdir` names."""
        return "train.log"


class Runtime(Configurable):
    """A ``zoo.runtimes`` entry. Its options go in the recipe's ``runtime:`` section beside ``device``."""

    kind = "runtime"

    def unavailable_reason(self) -> Optional[str]:
        """Why this runtime cannot run here (e.g. a missing driver or adapter), or None when it can."""
        return None

    def resolve(self, find: Callable[[str], Optional["Runtime"]]) -> "Runtime":
        """The runtime that actually runs when a recipe names this one: itself, unless it stands for another
        that it picks among those installed here. ``find(name)`` returns the installed runtime ``name``, or None."""
        return self

    def processes(self, options) -> int:
        """How many processes of one launch share ``data.batch_size`` (one per device); it must divide it."""
        return 1

    def launch_flags(self) -> Sequence[LaunchFlag]:
        """The flags this runtime adds to the ``zoo-run`` command line."""
        return ()

    def flag_overrides(self, values: Mapping[str, Any]) -> List[Tuple[str, Any]]:
        """Recipe overrides ``(dotted key, value)`` for the given values of this runtime's flags (flag name ->
        value, None when not given). Raise ValueError for flags that contradict each other."""
        overrides = [(flag.key, values[flag.name]) for flag in self.launch_flags()
                     if flag.key is not None and values.get(flag.name) is not None]
        if any(flag.selects and values.get(flag.name) is not None for flag in self.launch_flags()):
            overrides.append(("runtime.device", self.name))
        return overrides

    def start(self, options) -> RuntimeSession:
        """Configure the device for validated ``options`` and return the started session."""
        raise NotImplementedError

    def plan(self, options) -> Dict[str, Any]:
        """Validated ``options`` as :meth:`start` would apply them here, for ``--dry-run`` to print, without starting
        anything: a value the runtime resolves on this machine may read as what it becomes and why. Default: as
        given."""
        return dict(options)
