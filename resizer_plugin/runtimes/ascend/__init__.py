"""Ascend NPU runtime over Huawei's TensorFlow 2 adapter ``npu_device`` (ships with the CANN toolkit).

Recipe options (``runtime:`` with ``device: ascend``) map onto ``npu_device.global_options()``, all set before
``npu_device.open().as_default()``. Training on Ascend uses static shapes (``drop_remainder``), loss scaling with
``NpuLossScaleOptimizer`` when the precision mode computes in float16, and, across several cards (``RANK_SIZE``
> 1), sharded data, an all-reducing optimizer and variables broadcast from rank 0. Outputs go to
``<output dir>/<ASCEND_DEVICE_ID>/``, as the Ascend ModelZoo scripts lay them out.
"""
import importlib
import json
import os

from ..zoo.contract import (LaunchFlag, Option, Runtime, RuntimeSession, boolean, choice, integer, number, optional,
                            path, text)

__all__ = ["ascend", "AscendRuntime", "PORT_FLAGS", "PRECISION_MODES", "NPU_DEVICE_MISSING"]

PRECISION_MODES = ("force_fp32", "allow_fp32_to_fp16", "force_fp16", "must_keep_origin_dtype", "allow_mix_precision",
                   "cube_fp16in_fp32out", "allow_mix_precision_fp16", "allow_mix_precision_bf16",
                   "allow_fp32_to_bf16")
#: modes with a mixed-precision op list that modify_mixlist can change
MIXED_MODES = ("allow_mix_precision", "allow_mix_precision_fp16", "allow_mix_precision_bf16")
#: modes that compute in float16, whose gradients need loss scaling
FLOAT16_MODES = ("allow_fp32_to_fp16", "force_fp16", "allow_mix_precision", "cube_fp16in_fp32out",
                 "allow_mix_precision_fp16")

NPU_DEVICE_MISSING = (
    "npu_device (Huawei's TensorFlow 2 adapter for Ascend) is not importable. It is not on PyPI: it ships with the "
    "CANN toolkit. Install CANN and its TensorFlow adapter wheel (npu_device-*.whl, for TensorFlow 2.6.5 on Python "
    "3.7-3.9) into this environment, source the toolkit's set_env.sh, and run again; or choose device: cpu or gpu")


def _json_text(value):
    if isinstance(value, dict):
        return json.dumps(value)
    value = text()(value)
    json.loads(value)  # raises ValueError with the position of the problem
    return value


_OPTIONS = {
    "precision_mode": Option(choice(PRECISION_MODES), "allow_fp32_to_fp16", "npu_device precision_mode"),
    "mixlist_file": Option(optional(path()), None, "JSON op list for modify_mixlist (mixed precision modes only)"),
    "fusion_switch_file": Option(optional(path()), None, "JSON file switching graph fusions off"),
    "dump": Option(boolean(), False, "dump op data (dump_config.enable_dump)"),
    "dump_path": Option(optional(path()), None, "where dumps go (dump_config.dump_path)"),
    "dump_step": Option(optional(text()), None, "steps to dump, e.g. '0|5|10-20' (dump_config.dump_step)"),
    "dump_mode": Option(choice(("input", "output", "all")), "output", "dump_config.dump_mode"),
    "overflow_dump": Option(boolean(), False, "overflow detection (dump_config.enable_dump_debug)"),
    "dump_debug_mode": Option(choice(("aicore_overflow", "atomic_overflow", "all")), "all",
                              "dump_config.dump_debug_mode"),
    "profiling": Option(boolean(), False, "profile (profiling_config.enable_profiling)"),
    "profiling_options": Option(optional(_json_text), None, "profiling_config.profiling_options (JSON)"),
    "profiling_path": Option(optional(path()), None, "shortcut: profile with task and training traces into this folder"),
    "op_compiler_cache_mode": Option(optional(choice(("enable", "disable", "force"))), None,
                                     "operator compile cache"),
    "op_compiler_cache_dir": Option(optional(path()), None, "operator compile cache folder"),
    "graph_memory_max_size": Option(optional(integer(min=1)), None, "bytes of device memory for graphs"),
    "variable_memory_max_size": Option(optional(integer(min=1)), None, "bytes of device memory for variables"),
    "loss_scaling": Option(choice(("auto", "off")), "auto", "auto: dynamic loss scaling in float16 modes"),
    "initial_scale": Option(optional(number(min=1)), None, "initial loss scale (NpuLossScaleOptimizer)"),
    "growth_steps": Option(optional(integer(min=1)), None, "steps between loss scale increases"),
}


#: The Ascend ModelZoo port's launch flags, accepted one to one; an Ascend-only flag selects this runtime.
PORT_FLAGS = (
    LaunchFlag("--precision_mode", "runtime.precision_mode", str, "npu_device precision_mode", selects=True),
    LaunchFlag("--over_dump", "runtime.overflow_dump", bool, "overflow detection dump (True/False)", selects=True),
    LaunchFlag("--over_dump_path", "runtime.dump_path", str, "overflow dump folder", selects=True),
    LaunchFlag("--data_dump_flag", "runtime.dump", bool, "dump op data (True/False)", selects=True),
    LaunchFlag("--data_dump_step", "runtime.dump_step", str, "steps to dump, e.g. 0|5|10", selects=True),
    LaunchFlag("--data_dump_path", "runtime.dump_path", str, "data dump folder", selects=True),
    LaunchFlag("--profiling", "runtime.profiling", bool, "profile (True/False)", selects=True),
    LaunchFlag("--profiling_dump_path", "runtime.profiling_path", str, "profiling output folder", selects=True),
    LaunchFlag("--use_mixlist", None, bool, "apply --mixlist_file (True/False)", selects=True),
    LaunchFlag("--mixlist_file", "runtime.mixlist_file", str, "modify_mixlist JSON file", selects=True),
    LaunchFlag("--fusion_off_flag", None, bool, "apply --fusion_off_file (True/False)", selects=True),
    LaunchFlag("--fusion_off_file", "runtime.fusion_switch_file", str, "fusion switch JSON file", selects=True),
    LaunchFlag("--static", "data.drop_remainder", bool, "static shapes: drop the last partial batch"),
    LaunchFlag("--log_steps", "train.log_steps", int, "throughput line every N steps"),
    LaunchFlag("--epoch", "train.epochs", int, "epochs"),
    LaunchFlag("--batch_size", "data.batch_size", int, "global batch size"),
    LaunchFlag("--data_path", "data.data_dir", str, "data folder"),
)
#: a file flag -> the switch that must be True for it to apply
_GATED = {"mixlist_file": "use_mixlist", "fusion_off_file": "fusion_off_flag"}


class AscendRuntime(Runtime):
    """Huawei Ascend NPUs through npu_device."""

    def __init__(self):
        super().__init__("ascend", _OPTIONS, "Huawei Ascend NPU through npu_device (CANN)")

    def launch_flags(self):
        return PORT_FLAGS

    def flag_overrides(self, values):
        """As the port reads its flags: a file flag applies only when its switch is True, and the two dump
        paths must agree (npu_device has one dump_path)."""
        paths = {values[name] for name in ("over_dump_path", "data_dump_path") if values.get(name)}
        if len(paths) > 1:
            raise ValueError("--over_dump_path and --data_dump_path differ ({}); npu_device has one dump_path".format(
                " vs ".join(sorted(paths))))
        values = {name: (None if name in _GATED and not values.get(_GATED[name]) else value)
                  for name, value in values.items()}
        return super().flag_overrides(values)

    @staticmethod
    def _npu():
        return importlib.import_module("npu_device")

    def unavailable_reason(self):
        try:
            self._npu()
        except ImportError:
            return NPU_DEVICE_MISSING
        return None

    def validate(self, config):
        options = super().validate(config)
        mode = options["precision_mode"]
        if options["mixlist_file"] and mode not in MIXED_MODES:
            raise self._error("mixlist_file", "modify_mixlist applies to the mixed precision modes ({}) only, not "
                                              "{}".format(", ".join(MIXED_MODES), mode))
        for key in ("mixlist_file", "fusion_switch_file"):
            if options[key] and not os.path.isfile(options[key]):
                raise self._error(key, "file {} does not exist".format(options[key]))
        if (options["dump"] or options["overflow_dump"]) and not options["dump_path"]:
            raise self._error("dump_path", "is required with dump or overflow_dump")
        if options["profiling"] and not (options["profiling_options"] or options["profiling_path"]):
            raise self._error("profiling_options", "profiling needs profiling_options or profiling_path")
        try:
            _cluster()
        except ValueError as error:
            raise self._error(None, str(error)) from None
        return options

    def start(self, options):
        npu = self._npu()
        configure(npu.global_options(), options)
        npu.open().as_default()
        return AscendSession(npu, options)


def _profiling_options(options):
    if options["profiling_options"]:
        return options["profiling_options"]
    return json.dumps({"output": options["profiling_path"], "training_trace": "on", "task_trace": "on",
                       "aicpu": "on"})


def configure(config, options):
    """Set validated recipe options on ``npu_device.global_options()`` (before the device opens)."""
    config.precision_mode = options["precision_mode"]
    for key, attribute in (("mixlist_file", "modify_mixlist"), ("fusion_switch_file", "fusion_switch_file"),
                           ("op_compiler_cache_mode", "op_compiler_cache_mode"),
                           ("op_compiler_cache_dir", "op_compiler_cache_dir")):
        if options[key] is not None:
            setattr(config, attribute, options[key])
    for key in ("graph_memory_max_size", "variable_memory_max_size"):
        if options[key] is not None:
            setattr(config, key, str(options[key]))
    dump = config.dump_config
    if options["dump"]:
        dump.enable_dump = True
        dump.dump_path = options["dump_path"]
        dump.dump_mode = options["dump_mode"]
        if options["dump_step"]:
            dump.dump_step = options["dump_step"]
    if options["overflow_dump"]:
        dump.enable_dump_debug = True
        dump.dump_path = options["dump_path"]
        dump.dump_debug_mode = options["dump_debug_mode"]
    if options["profiling"]:
        config.profiling_config.enable_profiling = True
        config.profiling_config.profiling_options = _profiling_options(options)


def _cluster():
    """(rank size, rank id, device id) from the variables the Ascend launch scripts set."""
    values = []
    for name, default in (("RANK_SIZE", 1), ("RANK_ID", 0), ("ASCEND_DEVICE_ID", 0)):
        raw = os.environ.get(name, "")
        try:
            values.append(int(raw) if raw.strip() else default)
        except ValueError:
            raise ValueError("environment variable {}={!r} is not a whole number".format(name, raw)) from None
    return tuple(values)


class AscendSession(RuntimeSession):
    """A started Ascend device: static shapes, NPU loss scaling, and the npu_device collective ops."""

    def __init__(self, npu, options):
        import tensorflow as tf

        self.npu, self.options = npu, options
        self.rank_size, self.rank_id, self.device_id = _cluster()
        super().__init__("ascend", tf.distribute.get_strategy(), policy="float32", jit_compile=False,
                         static_shapes=True, description="ascend (device {}, rank {} of {}, precision_mode {})".format(
                             self.device_id, self.rank_id, self.rank_size, options["precision_mode"]))

    def wrap_optimizer(self, optimizer):
        if self.rank_size > 1:
            optimizer = self.npu.distribute.npu_distributed_keras_optimizer_wrapper(optimizer)
        if self.options["loss_scaling"] == "auto" and self.options["precision_mode"] in FLOAT16_MODES:
            optimizer = self.npu.train.optimizer.NpuLossScaleOptimizer(
                optimizer, dynamic=True, initial_scale=self.options["initial_scale"],
                dynamic_growth_steps=self.options["growth_steps"])
        return optimizer

    def distribute_dataset(self, dataset, global_batch_size):
        if self.rank_size > 1:
            return self.npu.distribute.shard_and_rebatch_dataset(dataset, global_batch_size)
        return dataset

    def prepare_model(self, model):
        if self.rank_size > 1:
            self.npu.distribute.broadcast(model.variables, root_rank=0)

    def output_subdir(self):
        return str(self.device_id)


ascend = AscendRuntime()
