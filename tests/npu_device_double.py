"""A test double of Huawei's ``npu_device`` TF2 adapter: the documented attribute tree, recording what is set.

Like the real adapter, options are ``OptionValue``s on config objects that refuse unknown names and values outside
their allowed list. Unlike it, the double also refuses any option set after ``open()`` (the real one would
silently ignore it), so tests catch options that would never take effect. Every call lands in ``events``.
"""
import types

import tensorflow as tf

from resizer_plugin.compat import IS_KERAS_3, keras

PRECISION_MODES = ["force_fp32", "allow_fp32_to_fp16", "force_fp16", "must_keep_origin_dtype", "allow_mix_precision",
                   "cube_fp16in_fp32out", "allow_mix_precision_fp16", "allow_mix_precision_bf16",
                   "allow_fp32_to_bf16"]


class OptionValue:
    def __init__(self, default, allowed=None):
        self.allowed, self.raw = allowed, default

    def set(self, value):
        if self.allowed is not None and value not in self.allowed:
            raise ValueError("'{}' not in optional list {}".format(value, self.allowed))
        self.raw = value


class _Config:
    def __init__(self, device, prefix, **options):
        object.__setattr__(self, "_device", device)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_names", list(options))
        for name, value in options.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        if name not in self._names:
            raise ValueError("{} has no option {}, all options {}".format(type(self).__name__, name, self._names))
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
                         dump_debug_mode=OptionValue(None, ["aicore_overflow", "atomic_overflow", "all"]))


class NpuProfilingConfig(_Config):
    def __init__(self, device):
        super().__init__(device, "profiling_config.", enable_profiling=OptionValue(False, [True, False]),
                         profiling_options=OptionValue(None))


class NpuConfig(_Config):
    def __init__(self, device):
        super().__init__(device, "", precision_mode=OptionValue("allow_fp32_to_fp16", PRECISION_MODES),
                         modify_mixlist=OptionValue(None), fusion_switch_file=OptionValue(None),
                         op_compiler_cache_mode=OptionValue("disable", ["enable", "disable", "force"]),
                         op_compiler_cache_dir=OptionValue(None), graph_memory_max_size=OptionValue(None),
                         variable_memory_max_size=OptionValue(None), auto_tune_mode=OptionValue(None),
                         dump_config=NpuDumpConfig(device),
                         profiling_config=NpuProfilingConfig(device))


def make_npu_device(rank_size=1, rank_id=0):
    """A fresh ``npu_device`` module double."""
    module = types.ModuleType("npu_device")
    module.events, module.opened = [], False
    config = NpuConfig(module)

    def global_options():
        return config

    class _Device:
        def as_default(self):
            module.events.append(("as_default",))
            return self

    def open():  # noqa: A001 (the documented name)
        module.opened = True
        module.events.append(("open",))
        return _Device()

    def NpuLossScaleOptimizer(inner_optimizer, dynamic=True, initial_scale=None, dynamic_growth_steps=None):
        module.events.append(("NpuLossScaleOptimizer", dynamic, initial_scale, dynamic_growth_steps))
        if IS_KERAS_3:
            kwargs = {k: v for k, v in (("initial_scale", initial_scale),
                                        ("dynamic_growth_steps", dynamic_growth_steps)) if v is not None}
            return keras.optimizers.LossScaleOptimizer(inner_optimizer, **kwargs)
        return keras.mixed_precision.LossScaleOptimizer(inner_optimizer, dynamic=dynamic,
                                                        initial_scale=initial_scale,
                                                        dynamic_growth_steps=dynamic_growth_steps)

    def shard_and_rebatch_dataset(dataset, global_batch_size):
        module.events.append(("shard_and_rebatch_dataset", global_batch_size))
        return dataset.unbatch().shard(rank_size, rank_id).batch(global_batch_size // rank_size, drop_remainder=True)

    def npu_distributed_keras_optimizer_wrapper(optimizer):
        module.events.append(("npu_distributed_keras_optimizer_wrapper",))
        return optimizer

    def broadcast(variables, root_rank=0):
        module.events.append(("broadcast", len(variables), root_rank))

    def all_reduce(values, reduction="mean"):
        module.events.append(("all_reduce", reduction))
        return values

    module.global_options, module.open = global_options, open
    module.train = types.SimpleNamespace(optimizer=types.SimpleNamespace(NpuLossScaleOptimizer=NpuLossScaleOptimizer))
    module.distribute = types.SimpleNamespace(
        shard_and_rebatch_dataset=shard_and_rebatch_dataset, broadcast=broadcast, all_reduce=all_reduce,
        npu_distributed_keras_optimizer_wrapper=npu_distributed_keras_optimizer_wrapper)
    module.tf = tf
    return module


def settings(npu):
    """{option path: value} of every option set, in order."""
    return {event[1]: event[2] for event in npu.events if event[0] == "set"}
