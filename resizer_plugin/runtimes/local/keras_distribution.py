"""The local runtimes on Keras 3's JAX backend: ``keras.distribution`` where TensorFlow has ``tf.distribute``.

JAX sets its devices up once, at first use, so the platform and the CPU's split (``logical_devices``) are chosen
before that (:func:`place`). ``strategy: mirrored`` is ``keras.distribution.DataParallel`` over this host's devices;
``multi_worker`` joins the job Keras' ``KERAS_DISTRIBUTION_*`` variables describe (``keras.distribution.initialize``,
one process per host, JAX's CPU collectives on CPUs) and is ``DataParallel`` over every process's devices. TensorFlow,
where installed, only feeds the input pipeline: it is kept off the GPUs.
"""
import contextlib
import os

from ...zoo.contract import DataError, RuntimeSession

__all__ = ["JOB_VARIABLES", "JaxSession", "KerasDistribution", "distribution", "gpu_capability", "has_gpu", "place"]

#: what ``keras.distribution.initialize`` reads: every process's address (the first coordinates), their number, and
#: this process's index among them
JOB_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                 "KERAS_DISTRIBUTION_PROCESS_ID")


def place(device_type, logical_devices=1):
    """Choose JAX's platform (the CPU for ``device_type`` "CPU") and split the CPU into ``logical_devices``, before
    JAX sets its devices up; keep TensorFlow off the GPUs. RuntimeError where JAX already set up other devices."""
    import jax

    _keep_tensorflow_on_the_cpu()
    if device_type != "CPU":
        return
    jax.config.update("jax_platforms", "cpu")  # no effect once JAX's devices are set up
    if logical_devices == 1:
        return
    try:
        jax.config.update("jax_num_cpu_devices", logical_devices)
    except RuntimeError:  # JAX's devices are set up already
        present = len(jax.devices("cpu"))
        if present != logical_devices:
            raise RuntimeError("logical_devices: {} requested, but JAX already set up {} CPU device(s) in this "
                               "process; run zoo-run in a fresh process".format(logical_devices, present)) from None


def _keep_tensorflow_on_the_cpu():
    """Hide the GPUs from TensorFlow (it only feeds tf.data here), unless it set its devices up already."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        return
    import tensorflow as tf

    try:
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError:  # TensorFlow's devices are set up: it keeps them
        pass


def has_gpu():
    """Whether JAX sees a GPU (this sets JAX's devices up)."""
    import jax

    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:  # no GPU platform
        return False


def gpu_capability():
    """(major, minor) compute capability of JAX's first GPU, or None."""
    import jax

    if not has_gpu():
        return None
    capability = getattr(jax.devices("gpu")[0], "compute_capability", None)
    return tuple(int(part) for part in str(capability).split(".")[:2]) if capability else None


class KerasDistribution:
    """What the host asks of a ``tf.distribute`` strategy (``scope()``, ``num_replicas_in_sync``), over a
    ``keras.distribution`` set for the whole process (None: JAX's default device)."""

    def __init__(self, keras_distribution, devices):
        from ...compat import keras

        self.keras_distribution, self.num_replicas_in_sync = keras_distribution, devices
        if keras_distribution is not None:
            keras.distribution.set_distribution(keras_distribution)

    def scope(self):
        return contextlib.nullcontext()  # set for the whole process: fit and the evaluations read it


def _join_the_job():
    """``keras.distribution.initialize`` from :data:`JOB_VARIABLES` (with JAX's CPU collectives on CPUs)."""
    import jax

    from ...compat import keras

    if jax.config.jax_platforms == "cpu":
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    keras.distribution.initialize()


def distribution(strategy, device_type):
    """The :class:`KerasDistribution` of a recipe's ``strategy`` on ``device_type`` ("CPU" or "GPU")."""
    from ...compat import keras

    if strategy == "default":
        return KerasDistribution(None, 1)
    if strategy == "multi_worker":
        _join_the_job()
    devices = keras.distribution.list_devices(device_type.lower())
    return KerasDistribution(keras.distribution.DataParallel(devices=devices), len(devices))


class JaxSession(RuntimeSession):
    """A local runtime started on JAX. Several devices take every batch in equal parts, so the last partial batch
    of a split is dropped there (``static_shapes``) and ``data.batch_size`` must divide by the devices. In a job of
    several processes the first writes the run's folder; process ``i`` writes its own log, history and checkpoints
    in its ``worker-<i>`` sub-folder."""

    def __init__(self, strategy: KerasDistribution):
        import jax

        super().__init__(strategy, static_shapes=strategy.num_replicas_in_sync > 1)
        self.process, self.processes = jax.process_index(), jax.process_count()

    def shard_dataset(self, dataset, global_batch_size):
        devices = self.strategy.num_replicas_in_sync
        if global_batch_size % devices:
            raise DataError("data.batch_size {} does not divide by the {} devices the batch is split over: choose a "
                            "multiple of {}".format(global_batch_size, devices, devices), key="data.batch_size")
        return dataset, global_batch_size

    def is_chief(self):
        return self.process == 0

    def output_subdir(self):
        return "" if self.is_chief() else "worker-{}".format(self.process)

    def sibling_subdirs(self):
        return ["worker-{}".format(index) for index in range(1, self.processes)] if self.is_chief() else []


def job_variables_missing():
    """The :data:`JOB_VARIABLES` that are not set."""
    return [name for name in JOB_VARIABLES if not os.environ.get(name)]
