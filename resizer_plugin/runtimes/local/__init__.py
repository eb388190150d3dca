"""CPU and GPU runtimes: dtype policy, distribution strategy, XLA; and ``auto``, which picks the best available.

On Keras' TensorFlow backend (and tf.keras 2) the strategy is ``tf.distribute``'s; on JAX it is
``keras.distribution``'s (``keras_distribution``). TensorFlow is imported when a runtime starts, not when this module
loads: the CLI reads every runtime's launch flags before it sets the TensorFlow environment (oneDNN, logging) that
is read once, at TensorFlow's import.
"""
from ...zoo.contract import Option, Runtime, RuntimeSession, boolean, choice, integer

__all__ = ["cpu", "gpu", "auto", "BF16_FLAGS", "LocalRuntime", "auto_policy", "cpu_conv_forms_pay_off", "cpu_flags"]

PRECISIONS = ("float32", "mixed", "auto")
STRATEGIES = ("default", "mirrored", "multi_worker")
#: the CPU flags (as Linux names them) of native bfloat16 arithmetic
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
#: the GPUs mixed_float16 pays on: compute capability 7.0 (Volta) and later have float16 Tensor Cores
FLOAT16_CAPABILITY = (7, 0)


def _options():
    return {"precision": Option(choice(PRECISIONS), "float32",
                                "float32; mixed: mixed_float16 on GPU, mixed_bfloat16 on CPU; auto: mixed where the "
                                "hardware computes it natively (bfloat16 CPUs, GPUs from compute capability 7.0), "
                                "else float32, the reason in the log"),
            "jit_compile": Option(boolean(), False, "compile the train step with XLA"),
            "strategy": Option(choice(STRATEGIES), "default",
                               "default (one device), mirrored (all local devices), multi_worker (one process per "
                               "host: TF_CONFIG on Keras 2, KERAS_DISTRIBUTION_* on JAX); tf.distribute on "
                               "TensorFlow, keras.distribution.DataParallel on JAX")}


def cpu_flags():
    """The CPU's feature flags, lower case (Linux: /proc/cpuinfo); empty where they cannot be read."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].lower().split())
    except OSError:
        pass
    return set()


def _gpu_capability():
    """(major, minor) compute capability of the first visible GPU, or None."""
    from ...compat import BACKEND

    if BACKEND == "jax":
        from .keras_distribution import gpu_capability

        return gpu_capability()
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    details = tf.config.experimental.get_device_details(gpus[0]) if gpus else {}
    return details.get("compute_capability")


def auto_policy(device_type, flags, capability, convolves_in):
    """(Keras policy, why) of ``precision: auto``: mixed_bfloat16 on a CPU with native bfloat16 (``flags`` holding one
    of :data:`BF16_FLAGS`) where TensorFlow convolves in bfloat16 (``convolves_in("bfloat16")``), mixed_float16 on a
    GPU of compute ``capability`` >= :data:`FLOAT16_CAPABILITY`, float32 otherwise."""
    if device_type == "GPU":
        if capability and tuple(capability) >= FLOAT16_CAPABILITY:
            return "mixed_float16", "the GPU's compute capability is {}.{}".format(*capability)
        return "float32", "the GPU's compute capability is {} (mixed_float16 pays from {}.{})".format(
            "{}.{}".format(*capability) if capability else "unknown", *FLOAT16_CAPABILITY)
    native = [flag.upper() for flag in BF16_FLAGS if flag in flags]
    if not native:
        return "float32", "the CPU has no native bfloat16 ({} not in its flags)".format(
            " or ".join(f.upper() for f in BF16_FLAGS))
    if not convolves_in("bfloat16"):
        return "float32", "the CPU has {}, but this TensorFlow has no bfloat16 convolution".format(native[0])
    return "mixed_bfloat16", "the CPU has {}".format(" and ".join(native))


def cpu_conv_forms_pay_off():
    """Whether LearnableResizer's CPU convolution forms (``layers.conv_forms("cpu")``) are faster on this CPU:
    measured so with TensorFlow's own (Eigen) kernels only; with its oneDNN kernels the stock forms were faster."""
    from ...compat import onednn_enabled

    return not onednn_enabled()


def _split_cpu(count):
    """Expose the CPU as ``count`` logical devices (must happen before TensorFlow initializes its devices)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        present = len(tf.config.list_logical_devices("CPU"))
        if present != count:
            raise RuntimeError("logical_devices: {} requested, but TensorFlow already initialized {} CPU device(s) "
                               "in this process; run zoo-run in a fresh process".format(count, present)) from None


def _strategy(name, device_type):
    import tensorflow as tf

    if name == "mirrored":
        cpus = tf.config.list_logical_devices("CPU")
        if device_type == "CPU" and len(cpus) > 1:
            return tf.distribute.MirroredStrategy([d.name for d in cpus])
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _tasks(strategy):
    """(this process's task, every task of the cluster) as ``type-index`` names; (None, []) outside a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not cluster:
        return None, []
    tasks = ["{}-{}".format(kind, index) for kind, hosts in sorted(cluster.items()) for index in range(len(hosts))]
    return "{}-{}".format(resolver.task_type, resolver.task_id), tasks


class LocalSession(RuntimeSession):
    """A started CPU or GPU runtime; ``conv_forms`` is the form of the resizer's convolutions it switches on.

    Under ``multi_worker`` the chief (TF_CONFIG's chief, or worker 0 without one) writes the run's folder; every
    other worker writes its own log, history and checkpoints in a ``<type>-<index>`` sub-folder of it."""

    def __init__(self, strategy, jit_compile, description, conv_forms):
        super().__init__(strategy, jit_compile=jit_compile, description=description)
        self.conv_forms = conv_forms
        self.task, self.cluster_tasks = _tasks(strategy)

    def computation_scope(self):
        from ...layers import conv_forms

        return conv_forms(self.conv_forms)

    def is_chief(self):
        return self.strategy.extended.should_checkpoint

    def output_subdir(self):
        return "" if self.is_chief() else self.task

    def sibling_subdirs(self):
        return [task for task in self.cluster_tasks if task != self.task] if self.is_chief() else []


class LocalRuntime(Runtime):
    """Keras on this host's CPU or GPUs, through TensorFlow or JAX (the backend Keras runs on)."""

    def __init__(self, name, device_type, mixed_policy, description, options):
        super().__init__(name, options=options, description=description)
        self.device_type, self.mixed_policy = device_type, mixed_policy

    def validate(self, config):
        from ...compat import BACKEND, IS_KERAS_3, XLA_IN_COMPILE, keras

        options = super().validate(config)
        if options["strategy"] == "multi_worker":
            self._check_multi_worker(BACKEND, IS_KERAS_3)
        if options["jit_compile"] and not XLA_IN_COMPILE:
            raise self._error("jit_compile", "needs Model.compile(jit_compile=...), which came with tf.keras 2.8; this "
                                             "is Keras {}".format(keras.__version__))
        return options

    def _check_multi_worker(self, backend, is_keras_3):
        """multi_worker runs on JAX with its job's variables set, and on Keras 2; Keras 3 on TensorFlow refuses."""
        if backend == "jax":
            from .keras_distribution import job_variables_missing

            missing = job_variables_missing()
            if missing:
                raise self._error("strategy", "multi_worker on JAX needs the job's addresses: set {} (docs/runtimes.md"
                                              ", several hosts)".format(", ".join(missing)))
        elif is_keras_3:
            raise self._error("strategy", "multi_worker on Keras 3 needs KERAS_BACKEND=jax (keras.distribution), or "
                                          "Keras 2 (pip install tf-keras; TF_USE_LEGACY_KERAS=1): Keras 3's fit fails "
                                          "under TensorFlow's MultiWorkerMirroredStrategy (keras-team/keras#20585)")

    def _policy(self, precision):
        """(Keras policy, why precision: auto chose it, or None) for the recipe's ``precision``."""
        from ...compat import BACKEND, convolves_in

        if precision == "auto" and BACKEND == "jax" and self.device_type == "CPU":
            return "float32", "JAX trains slower in bfloat16 on the CPU (docs/performance.md)"
        if precision == "auto":
            return auto_policy(self.device_type, cpu_flags(), _gpu_capability(), convolves_in)
        policy = self.mixed_policy if precision == "mixed" else "float32"
        self._check_policy(policy)
        return policy, None

    def plan(self, options):
        """The options, ``precision: auto`` shown as what it resolves to here and why (what :meth:`start` logs)."""
        if options["precision"] != "auto":
            return dict(options)
        policy, why = self._policy("auto")
        return dict(options, precision="auto -> {}: {}".format(policy, why))

    def _check_policy(self, policy):
        """Refuse a mixed policy whose compute dtype this TensorFlow cannot convolve in on this device."""
        from ...compat import convolves_in, keras

        compute = keras.mixed_precision.Policy(policy).compute_dtype
        if compute != "float32" and not convolves_in(compute):
            import tensorflow as tf

            raise self._error("precision", "mixed ({}) cannot train here: TensorFlow {} has no {} convolution on "
                                           "the {}; use precision: float32".format(policy, tf.__version__, compute,
                                                                                  self.device_type))

    def unavailable_reason(self):
        from ...compat import BACKEND

        if self.device_type != "GPU":
            return None
        if BACKEND == "jax":
            from .keras_distribution import has_gpu

            return None if has_gpu() else "JAX sees no GPU here"
        import tensorflow as tf

        return None if tf.config.list_physical_devices("GPU") else "TensorFlow sees no GPU here"

    def _place(self, options):
        import tensorflow as tf

        if self.device_type == "CPU":
            if options["logical_devices"] > 1:
                _split_cpu(options["logical_devices"])
            tf.config.set_visible_devices([], "GPU")

    def _conv_forms(self):
        return "cpu" if self.device_type == "CPU" and cpu_conv_forms_pay_off() else "stock"

    def _start_jax(self, options):
        from ...compat import keras
        from . import keras_distribution

        keras_distribution.place(self.device_type, options.get("logical_devices", 1))
        policy, why = self._policy(options["precision"])
        keras.mixed_precision.set_global_policy(policy)
        strategy = keras_distribution.distribution(options["strategy"], self.device_type)
        session = keras_distribution.JaxSession(strategy)
        session.description = "{} (JAX, {} device(s){}, {}, {} strategy{}, jax.jit, stock resizer convolutions)".format(
            self.name, strategy.num_replicas_in_sync,
            " in {} processes".format(session.processes) if session.processes > 1 else "",
            policy + (" (precision auto: {})".format(why) if why else ""), options["strategy"],
            ": keras.distribution.DataParallel" if strategy.keras_distribution else "")
        return session

    def start(self, options):
        from ...compat import BACKEND, keras, onednn_enabled

        if BACKEND == "jax":
            return self._start_jax(options)
        self._place(options)
        policy, why = self._policy(options["precision"])
        keras.mixed_precision.set_global_policy(policy)
        strategy = _strategy(options["strategy"], self.device_type)
        kernels = ", oneDNN CPU kernels" if self.device_type == "CPU" and onednn_enabled() else ""
        forms = self._conv_forms()
        description = "{} ({} replica(s), {}, {} strategy{}{}, {} resizer convolutions)".format(
            self.name, strategy.num_replicas_in_sync, policy + (" (precision auto: {})".format(why) if why else ""),
            options["strategy"],
            ", XLA" if options["jit_compile"] else "", kernels, forms)
        return LocalSession(strategy, options["jit_compile"], description, forms)


cpu = LocalRuntime("cpu", "CPU", "mixed_bfloat16", "the CPU (TensorFlow or JAX)", dict(
    _options(), logical_devices=Option(integer(min=1, max=64), 1, "split the CPU into N logical devices, e.g. to try "
                                                                  "strategy: mirrored on one host")))
gpu = LocalRuntime("gpu", "GPU", "mixed_float16", "the visible GPUs (TensorFlow or JAX)", _options())


class AutoRuntime(Runtime):
    """Picks ascend if npu_device imports, else gpu if one is visible, else cpu."""

    PREFERENCE = ("ascend", "gpu", "cpu")

    def __init__(self):
        super().__init__("auto", options={}, description=self.__doc__)

    def resolve(self, find):
        """The first installed and available runtime of :attr:`PREFERENCE` (cpu when none is)."""
        for name in self.PREFERENCE:
            runtime = find(name)
            if runtime is not None and runtime.unavailable_reason() is None:
                return runtime
        return cpu


auto = AutoRuntime()
