"""A started Ascend device: the launch environment, loss scaling, and npu_device's collective operations."""
import os

from ...zoo.contract import RuntimeSession
from .options import FLOAT16_MODES, PRECISION_AS_MODE

__all__ = ["AscendSession", "cluster"]


def _whole_number(name, default):
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise ValueError("environment variable {}={!r} is not a whole number".format(name, raw)) from None


def _auto_chose(options):
    """Whether ``precision: auto`` chose the precision mode (no precision_mode given besides)."""
    return options["precision"] == "auto" and options["precision_mode"] == PRECISION_AS_MODE["auto"]


def cluster():
    """(rank size, rank id, device id) from the variables the Ascend launch scripts set, checked as npu_device's
    ``open()`` would (and a little more): several cards need ``RANK_TABLE_FILE`` (an existing file) and ``RANK_ID``
    below ``RANK_SIZE``. ValueError with one line naming the variable otherwise."""
    rank_size, rank_id = _whole_number("RANK_SIZE", 1), _whole_number("RANK_ID", 0)
    device_id = _whole_number("ASCEND_DEVICE_ID", 0)
    if rank_size < 1 or device_id < 0:
        raise ValueError("RANK_SIZE must be >= 1 and ASCEND_DEVICE_ID >= 0 (got {} and {})".format(rank_size,
                                                                                             device_id))
    if rank_size > 1:
        table = os.environ.get("RANK_TABLE_FILE", "")
        if not table:
            raise ValueError("RANK_SIZE={} needs RANK_TABLE_FILE, the rank table of the cards (npu_device refuses "
                             "several cards without one)".format(rank_size))
        if not os.path.isfile(table):
            raise ValueError("RANK_TABLE_FILE={} does not exist".format(table))
        if not os.environ.get("RANK_ID", "").strip() or not 0 <= rank_id < rank_size:
            raise ValueError("RANK_SIZE={} needs RANK_ID between 0 and {} (got {!r})".format(
                rank_size, rank_size - 1, os.environ.get("RANK_ID", "")))
    return rank_size, rank_id, device_id


class AscendSession(RuntimeSession):
    """Static shapes unless asked otherwise, NPU loss scaling when asked, npu_device's collective ops across cards,
    and the port's output layout: ``<output dir>/<ASCEND_DEVICE_ID>/train_<ASCEND_DEVICE_ID>.log``. The resizer
    keeps its stock TensorFlow ops (no computation scope switches anything on)."""

    def __init__(self, npu, options):
        import tensorflow as tf

        self.npu, self.options = npu, options
        self.rank_size, self.rank_id, self.device_id = cluster()
        super().__init__(tf.distribute.get_strategy(), jit_compile=False, static_shapes=options["static_shapes"],
                         description="ascend (device {}, rank {} of {}, precision_mode {}{}{})".format(
                             self.device_id, self.rank_id, self.rank_size, options["precision_mode"],
                             " (precision auto: the port's mode on the NPU)" if _auto_chose(options) else "",
                             "" if options["static_shapes"] else ", dynamic shapes"))

    def _loss_scaled(self):
        scaling = self.options["loss_scaling"]
        return scaling == "on" or (scaling == "auto" and self.options["precision_mode"] in FLOAT16_MODES)

    def wrap_optimizer(self, optimizer):
        """Loss scaling inside, the all-reducing wrapper outermost: the gradients are all-reduced before the
        (loss-scaled) optimizer applies them, whichever method Keras calls on the inner one."""
        if self._loss_scaled():
            optimizer = self.npu.train.optimizer.NpuLossScaleOptimizer(
                optimizer, dynamic=True, initial_scale=self.options["initial_scale"],
                dynamic_growth_steps=self.options["growth_steps"])
        if self.rank_size > 1:
            optimizer = self.npu.distribute.npu_distributed_keras_optimizer_wrapper(optimizer)
        return optimizer

    def shard_dataset(self, dataset, global_batch_size):
        """npu_device's own contract: it shards the unbatched dataset and returns it with the per-card batch."""
        if self.rank_size > 1:
            return self.npu.distribute.shard_and_rebatch_dataset(dataset, global_batch_size)
        return dataset, global_batch_size

    def is_chief(self):
        return self.rank_id == 0

    def prepare_model(self, model):
        if self.rank_size > 1:
            self.npu.distribute.broadcast(model.variables, root_rank=0)

    def output_subdir(self):
        return str(self.device_id)

    def log_name(self):
        return "train_{}.log".format(self.device_id)
