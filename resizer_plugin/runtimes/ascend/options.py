"""The ascend runtime's recipe options, their validation, and how they land on ``npu_device.global_options()``."""
import json
import os

from ...zoo.contract import Option, boolean, choice, integer, number, optional, path, text

__all__ = ["FLOAT16_MODES", "MIXED_MODES", "OPTIONS", "PRECISION_MODES", "PROFILING_TRACES", "configure",
           "resolve_options"]

PRECISION_MODES = ("force_fp32", "allow_fp32_to_fp16", "force_fp16", "must_keep_origin_dtype", "allow_mix_precision",
                   "cube_fp16in_fp32out", "allow_mix_precision_fp16", "allow_mix_precision_bf16",
                   "allow_fp32_to_bf16")
#: modes with a mixed-precision op list that modify_mixlist can change
MIXED_MODES = ("allow_mix_precision", "allow_mix_precision_fp16", "allow_mix_precision_bf16")
#: modes that compute in float16, whose small gradients may underflow without loss scaling
FLOAT16_MODES = ("allow_fp32_to_fp16", "force_fp16", "allow_mix_precision", "cube_fp16in_fp32out",
                 "allow_mix_precision_fp16")
#: the recipe-wide ``precision`` key, as npu_device precision modes
PRECISION_AS_MODE = {"float32": "force_fp32", "mixed": "allow_mix_precision", "auto": "allow_mix_precision"}
#: what the port runs without a precision: its launch scripts pass allow_mix_precision
PORT_PRECISION_MODE = "allow_mix_precision"
#: the port's profiling options, besides the output folder
PROFILING_TRACES = {"training_trace": "on", "task_trace": "on", "aicpu": "on", "aic_metrics": "PipeUtilization",
                    "fp_point": "", "bp_point": ""}
#: the port's --auto_tune=True
AUTO_TUNE_MODE = "RL,GA"


def _json_text(value):
    if isinstance(value, dict):
        return json.dumps(value)
    value = text()(value)
    json.loads(value)  # raises ValueError with the position of the problem
    return value


def _loss_scaling(value):
    """off, auto or on; YAML reads a bare on/off as true/false, which mean the same."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return choice(("off", "auto", "on"))(value)


OPTIONS = {
    "precision": Option(optional(choice(tuple(PRECISION_AS_MODE))), None,
                        "the key every runtime understands: float32 (force_fp32); mixed, or auto (the port's mode for "
                        "the NPU): allow_mix_precision"),
    "precision_mode": Option(optional(choice(PRECISION_MODES)), None,
                             "npu_device precision_mode; wins over precision (neither: allow_mix_precision)"),
    "mixlist_file": Option(optional(path()), None, "JSON op list for modify_mixlist (mixed precision modes only)"),
    "fusion_switch_file": Option(optional(path()), None, "JSON file switching graph fusions off"),
    "dump": Option(boolean(), False, "dump op data (dump_config.enable_dump)"),
    "dump_path": Option(optional(path()), None, "where dumps go (dump_config.dump_path)"),
    "dump_step": Option(text(), "10", "steps to dump, e.g. '0|5|10-20' (dump_config.dump_step)"),
    "dump_mode": Option(choice(("input", "output", "all")), "all", "dump_config.dump_mode"),
    "overflow_dump": Option(boolean(), False, "overflow detection (dump_config.enable_dump_debug)"),
    "dump_debug_mode": Option(choice(("aicore_overflow", "atomic_overflow", "all")), "all",
                              "dump_config.dump_debug_mode"),
    "profiling": Option(boolean(), False, "profile (profiling_config.enable_profiling)"),
    "profiling_options": Option(optional(_json_text), None, "profiling_config.profiling_options (JSON)"),
    "profiling_path": Option(optional(path()), None, "profile into this folder with the port's profiling options"),
    "auto_tune": Option(boolean(), False, "operator auto-tuning (auto_tune_mode RL,GA)"),
    "op_compiler_cache_mode": Option(optional(choice(("enable", "disable", "force"))), None,
                                     "operator compile cache"),
    "op_compiler_cache_dir": Option(optional(path()), None, "operator compile cache folder"),
    "graph_memory_max_size": Option(optional(integer(min=1)), None, "bytes of device memory for graphs"),
    "variable_memory_max_size": Option(optional(integer(min=1)), None, "bytes of device memory for variables"),
    "static_shapes": Option(boolean(), True, "drop the last partial batch so every step has one shape"),
    "loss_scaling": Option(_loss_scaling, "off",
                           "off (the port's), auto (dynamic, in float16 modes only) or on (dynamic, always)"),
    "initial_scale": Option(optional(number(min=1)), None, "initial loss scale (NpuLossScaleOptimizer)"),
    "growth_steps": Option(optional(integer(min=1)), None, "steps between loss scale increases"),
}


def _precision_mode(options):
    if options["precision_mode"]:
        return options["precision_mode"]
    return PRECISION_AS_MODE.get(options["precision"], PORT_PRECISION_MODE)


def _check_files_and_paths(options, error):
    if options["mixlist_file"] and options["precision_mode"] not in MIXED_MODES:
        raise error("mixlist_file", "modify_mixlist applies to the mixed precision modes ({}) only, not {}".format(
            ", ".join(MIXED_MODES), options["precision_mode"]))
    for key in ("mixlist_file", "fusion_switch_file"):
        if options[key] and not os.path.isfile(options[key]):
            raise error(key, "file {} does not exist".format(options[key]))
    if (options["dump"] or options["overflow_dump"]) and not options["dump_path"]:
        raise error("dump_path", "is required with dump or overflow_dump")
    if options["profiling"] and not (options["profiling_options"] or options["profiling_path"]):
        raise error("profiling_options", "profiling needs profiling_options or profiling_path")


def resolve_options(options, error):
    """The validated options with ``precision_mode`` decided; ``error(key, message)`` makes the OptionError."""
    options = dict(options, precision_mode=_precision_mode(options))
    _check_files_and_paths(options, error)
    return options


def _profiling_options(options):
    if options["profiling_options"]:
        return options["profiling_options"]
    return json.dumps(dict({"output": options["profiling_path"]}, **PROFILING_TRACES))


def _configure_dumps(dump, options):
    if options["dump"]:
        dump.enable_dump = True
        dump.dump_path = options["dump_path"]
        dump.dump_mode = options["dump_mode"]
        dump.dump_step = options["dump_step"]
    if options["overflow_dump"]:
        dump.enable_dump_debug = True
        dump.dump_path = options["dump_path"]
        dump.dump_debug_mode = options["dump_debug_mode"]


def configure(config, options):
    """Set resolved recipe options on ``npu_device.global_options()`` (before the device opens)."""
    config.precision_mode = options["precision_mode"]
    for key, attribute in (("mixlist_file", "modify_mixlist"), ("fusion_switch_file", "fusion_switch_file"),
                           ("op_compiler_cache_mode", "op_compiler_cache_mode"),
                           ("op_compiler_cache_dir", "op_compiler_cache_dir")):
        if options[key] is not None:
            setattr(config, attribute, options[key])
    for key in ("graph_memory_max_size", "variable_memory_max_size"):
        if options[key] is not None:
            setattr(config, key, str(options[key]))
    if options["auto_tune"]:
        config.auto_tune_mode = AUTO_TUNE_MODE
    _configure_dumps(config.dump_config, options)
    if options["profiling"]:
        config.profiling_config.enable_profiling = True
        config.profiling_config.profiling_options = _profiling_options(options)

