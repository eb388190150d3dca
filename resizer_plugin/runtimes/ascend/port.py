"""The Ascend ModelZoo port's launch flags (``learnable_resizer.py`` of learnable_resizer_ID2518_for_TensorFlow2.X),
accepted by ``zoo-run`` one to one, and how the port reads them."""
from ...zoo.contract import LaunchFlag

__all__ = ["PORT_FLAGS", "port_flag_values"]

#: The port's flags; those that only mean something on Ascend select the ascend runtime.
PORT_FLAGS = (
    LaunchFlag("--precision_mode", "runtime.precision_mode", str, "npu_device precision_mode", selects=True),
    LaunchFlag("--over_dump", "runtime.overflow_dump", bool, "overflow detection dump (True/False)", selects=True),
    LaunchFlag("--over_dump_path", "runtime.dump_path", str, "overflow dump folder", selects=True),
    LaunchFlag("--data_dump_flag", "runtime.dump", bool, "dump op data (True/False)", selects=True),
    LaunchFlag("--data_dump_step", "runtime.dump_step", str, "steps to dump, e.g. 0|5|10 (default 10)",
               selects=True),
    LaunchFlag("--data_dump_path", "runtime.dump_path", str, "data dump folder", selects=True),
    LaunchFlag("--profiling", "runtime.profiling", bool, "profile (True/False)", selects=True),
    LaunchFlag("--profiling_dump_path", "runtime.profiling_path", str, "profiling output folder", selects=True),
    LaunchFlag("--use_mixlist", None, bool, "apply --mixlist_file (True/False)", selects=True),
    LaunchFlag("--mixlist_file", "runtime.mixlist_file", str, "modify_mixlist JSON file", selects=True),
    LaunchFlag("--fusion_off_flag", None, bool, "apply --fusion_off_file (True/False)", selects=True),
    LaunchFlag("--fusion_off_file", "runtime.fusion_switch_file", str, "fusion switch JSON file", selects=True),
    LaunchFlag("--auto_tune", "runtime.auto_tune", bool, "operator auto-tuning RL,GA (True/False)", selects=True),
    LaunchFlag("--static", "runtime.static_shapes", bool, "static shapes: drop the last partial batch (True/False)",
               selects=True),
    LaunchFlag("--log_steps", "train.log_steps", int, "throughput line every N steps"),
    LaunchFlag("--epoch", "train.epochs", int, "epochs"),
    LaunchFlag("--batch_size", "data.batch_size", int, "global batch size"),
    LaunchFlag("--data_path", "data.data_dir", str, "data folder"),
)
#: a file flag -> the switch that must be True for it to apply
_GATED = {"mixlist_file": "use_mixlist", "fusion_off_file": "fusion_off_flag"}


def port_flag_values(values):
    """The flags' values as the port reads them: a file flag applies only when its switch is True, and the two
    dump paths must agree (npu_device has one dump_path; ValueError otherwise)."""
    paths = {values[name] for name in ("over_dump_path", "data_dump_path") if values.get(name)}
    if len(paths) > 1:
        raise ValueError("--over_dump_path and --data_dump_path differ ({}); npu_device has one dump_path".format(
            " vs ".join(sorted(paths))))
    return {name: (None if name in _GATED and not values.get(_GATED[name]) else value)
            for name, value in values.items()}
