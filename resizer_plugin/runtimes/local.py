"""CPU and GPU runtimes: dtype policy, tf.distribute strategy, XLA; and ``auto``, which picks the best available."""
import tensorflow as tf

from ..compat import keras
from ..zoo import registry
from ..zoo.contract import Option, Runtime, RuntimeSession, boolean, choice

__all__ = ["cpu", "gpu", "auto", "LocalRuntime"]

PRECISIONS = ("float32", "mixed")
STRATEGIES = ("default", "mirrored", "multi_worker")


def _options():
    return {"precision": Option(choice(PRECISIONS), "float32",
                                "float32, or mixed: mixed_float16 on GPU, mixed_bfloat16 on CPU"),
            "jit_compile": Option(boolean(), False, "compile the train step with XLA"),
            "strategy": Option(choice(STRATEGIES), "default",
                               "tf.distribute: default (one device), mirrored (all local devices), "
                               "multi_worker (hosts listed in TF_CONFIG)")}


def _strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


class LocalRuntime(Runtime):
    """TensorFlow on this host's CPU or GPUs."""

    def __init__(self, name, device_type, mixed_policy, description):
        super().__init__(name, _options(), description)
        self.device_type, self.mixed_policy = device_type, mixed_policy

    def unavailable_reason(self):
        if self.device_type == "GPU" and not tf.config.list_physical_devices("GPU"):
            return "TensorFlow sees no GPU here"
        return None

    def start(self, options):
        if self.device_type == "CPU":
            tf.config.set_visible_devices([], "GPU")
        policy = self.mixed_policy if options["precision"] == "mixed" else "float32"
        keras.mixed_precision.set_global_policy(policy)
        strategy = _strategy(options["strategy"])
        return RuntimeSession(self.name, strategy, policy=policy, jit_compile=options["jit_compile"],
                              description="{} ({} replica(s), {}, {} strategy{})".format(
                                  self.name, strategy.num_replicas_in_sync, policy, options["strategy"],
                                  ", XLA" if options["jit_compile"] else ""))


cpu = LocalRuntime("cpu", "CPU", "mixed_bfloat16", "TensorFlow on the CPU")
gpu = LocalRuntime("gpu", "GPU", "mixed_float16", "TensorFlow on the visible GPUs")


class AutoRuntime(Runtime):
    """Picks ascend if npu_device imports, else gpu if one is visible, else cpu."""

    PREFERENCE = ("ascend", "gpu", "cpu")

    def __init__(self):
        super().__init__("auto", {}, self.__doc__)

    def resolve(self):
        """The runtime ``auto`` stands for on this machine."""
        installed = registry.runtimes.names()
        for name in self.PREFERENCE:
            if name in installed:
                runtime = registry.runtimes.load(name)
                if runtime.unavailable_reason() is None:
                    return runtime
        return cpu


auto = AutoRuntime()
