"""A test double of Huawei's ``npu_device`` TF2 adapter, written from its source (Ascend/tensorflow,
``tf_adapter_2.x/python/npu_device``): ``configs/option_base.py``, ``npu_device.py`` (``global_options``, ``open``,
``global_npu_ctx``) and ``distribute/hccl.py``.

As there: options are ``OptionValue``s on configs that refuse unknown names ("... has no option ...") and values
outside their optional list ("'x' not in optional list [...]"); ``open()`` refuses ``RANK_SIZE`` > 1 without
``RANK_TABLE_FILE`` or ``RANK_ID``; ``shard_and_rebatch_dataset(dataset, global_bs)`` shards the (unbatched) dataset
and returns it with the per-card batch size, refusing a batch that does not divide; the distributed optimizer
wrapper patches ``apply_gradients`` to all-reduce the gradients first. Stricter than the adapter: an option set
after ``open()`` raises (the adapter would ignore it silently), so tests catch options that never take effect.
One process stands for a card: ``all_reduce`` of identical values is the values. Every call lands in ``events``.
"""
import os
import types

import tensorflow as tf

from resizer_plugin.compat import IS_KERAS_3, keras

PRECISION_MODES = ["force_fp32", "allow_fp32_to_fp16", "force_fp16", "must_keep_origin_dtype", "allow_mix_precision",
                   "cube_fp16in_fp32out", "allow_mix_precision_fp16", "allow_mix_precision_bf16",
                   "allow_fp32_to_bf16"]


class OptionValue:
    def __init__(self, default, optional=None):
        self.default, self.optional, self.raw = default, optional, default

    def set(self, value):
        if isinstance(self.optional, (tuple, list)) and value not in self.optional:
            raise ValueError("'" + str(value) + "' not in optional list " + str(self.optional))
        self.raw = value


class _Config:
    def __init__(self, device, prefix, **options):
        object.__setattr__(self, "_device", device)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_fixed_attrs", list(options))
        for name, value in options.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        if name not in self._fixed_attrs:
            raise ValueError(type(self).__name__ + " has no option " + name + ", all options " +
                             str(self._fixed_attrs))
        if self._device.opened:
            raise RuntimeError("npu_device option {}{} set after npu_device.open()".format(self._prefix, name))
        getattr(self, name).set(value)
        self._device.events.append(("set", self._prefix + name, value))


class NpuDumpConfig(_Config):
    def __init__(self, device):
        super().__init__(device, "dump_config.", enable_dump=OptionValue(False, [True, False]),
                         dump_path=OptionValue(None), dump_step=OptionValue(None),
                         dump_mode=OptionValue("output", ["input", "output", "all"]),
                         enable_dump_debug=OptionValue(False, [True, False]),
                         dump_debug_mode=OptionValue("all", ["aicore_overflow", "atomic_overflow", "all"]))


class NpuProfilingConfig(_Config):
    def __init__(self, device):
        super().__init__(device, "profiling_config.", enable_profiling=OptionValue(False, [True, False]),
                         profiling_options=OptionValue(None))


class NpuConfig(_Config):
    def __init__(self, device):
        super().__init__(device, "", precision_mode=OptionValue(None, PRECISION_MODES),
                         modify_mixlist=OptionValue(None), fusion_switch_file=OptionValue(None),
                         op_compiler_cache_mode=OptionValue(None, ["enable", "disable", "force"]),
                         op_compiler_cache_dir=OptionValue(None), graph_memory_max_size=OptionValue(None),
                         variable_memory_max_size=OptionValue(None), auto_tune_mode=OptionValue(None),
                         dump_config=NpuDumpConfig(device), profiling_config=NpuProfilingConfig(device))


class NpuDeviceHandle:
    def __init__(self, module, device_id, workers_num, worker_id):
        self.module, self.device_id, self.workers_num, self.worker_id = module, device_id, workers_num, worker_id

    def is_cluster_worker(self):
        return self.workers_num > 1 and self.workers_num > self.worker_id >= 0

    def as_default(self):
        self.module.events.append(("as_default",))
        self.module.context = self
        return self


def _open(module):
    def open(device_id=None):  # noqa: A001 (the adapter's name)
        if device_id is None:
            device_id = int(os.getenv("ASCEND_DEVICE_ID", "0"))
        workers_num = int(os.getenv("RANK_SIZE", "1"))
        if workers_num > 1:
            if not os.getenv("RANK_TABLE_FILE"):
                raise RuntimeError("You must specify a rank table file by set env RANK_TABLE_FILE in distribution "
                                   "mode")
            if not os.getenv("RANK_ID"):
                raise RuntimeError("You must specify rank id by set env RANK_ID in distribution mode")
        worker_id = int(os.getenv("RANK_ID")) if workers_num > 1 else 0
        module.opened = True
        module.events.append(("open", device_id, workers_num, worker_id))
        return NpuDeviceHandle(module, device_id, workers_num, worker_id)
    return open


def _distribute(module):
    def cluster_worker():
        return module.context is not None and module.context.is_cluster_worker()

    def shard_and_rebatch_dataset(dataset, global_bs):
        module.events.append(("shard_and_rebatch_dataset", global_bs, len(dataset.element_spec[0].shape)))
        if module.context is None or module.context.workers_num <= 1:
            return dataset, global_bs
        workers = module.context.workers_num
        if global_bs % workers != 0:
            raise ValueError("Batch size must be divisible by num npus: {}".format(workers))
        return dataset.shard(workers, module.context.worker_id), int(global_bs / workers)

    def all_reduce(values, reduction="mean", fusion=1, fusion_id=-1, group="hccl_world_group"):
        if not cluster_worker():
            return values
        module.events.append(("all_reduce", reduction, len(values) if isinstance(values, (list, tuple)) else 1))
        return values  # one process stands for every card: the mean of identical values is the values

    def broadcast(values, root_rank=0, fusion=2, fusion_id=0, group="hccl_world_group"):
        if cluster_worker():
            module.events.append(("broadcast", len(values) if isinstance(values, (list, tuple)) else 1, root_rank))

    def npu_distributed_keras_optimizer_wrapper(optimizer, reduce_reduction="mean", fusion=1, fusion_id=-1,
                                                group="hccl_world_group"):
        module.events.append(("npu_distributed_keras_optimizer_wrapper",))
        optimizer = keras.optimizers.get(optimizer)
        original = optimizer.apply_gradients

        def apply_gradients(grads_and_vars, *args, **kwargs):
            grads, variables = zip(*grads_and_vars)
            return original(zip(all_reduce(list(grads), reduce_reduction), variables), *args, **kwargs)

        optimizer.apply_gradients = apply_gradients
        return optimizer

    return types.SimpleNamespace(shard_and_rebatch_dataset=shard_and_rebatch_dataset, all_reduce=all_reduce,
                                 broadcast=broadcast,
                                 npu_distributed_keras_optimizer_wrapper=npu_distributed_keras_optimizer_wrapper)


def _loss_scale_optimizer(module):
    def NpuLossScaleOptimizer(inner_optimizer, dynamic=True, initial_scale=None, dynamic_growth_steps=None):
        """Subclasses tf.keras 2's LossScaleOptimizer in the adapter; Keras 3's here, where that is what exists."""
        module.events.append(("NpuLossScaleOptimizer", dynamic, initial_scale, dynamic_growth_steps))
        if IS_KERAS_3:
            kwargs = {k: v for k, v in (("initial_scale", initial_scale),
                                        ("dynamic_growth_steps", dynamic_growth_steps)) if v is not None}
            return keras.optimizers.LossScaleOptimizer(inner_optimizer, **kwargs)
        return keras.mixed_precision.LossScaleOptimizer(inner_optimizer, dynamic=dynamic,
                                                        initial_scale=initial_scale,
                                                        dynamic_growth_steps=dynamic_growth_steps)
    return NpuLossScaleOptimizer


def make_npu_device():
    """A fresh ``npu_device`` module double (its launch environment is read from os.environ, as the adapter's)."""
    module = types.ModuleType("npu_device")
    module.events, module.opened, module.context = [], False, None
    config = NpuConfig(module)
    module.global_options = lambda: config
    module.global_npu_ctx = lambda: module.context
    module.open = _open(module)
    module.distribute = _distribute(module)
    module.train = types.SimpleNamespace(
        optimizer=types.SimpleNamespace(NpuLossScaleOptimizer=_loss_scale_optimizer(module)))
    module.tf = tf
    return module


def settings(npu):
    """{option path: value} of every option set, in order."""
    return {event[1]: event[2] for event in npu.events if event[0] == "set"}
