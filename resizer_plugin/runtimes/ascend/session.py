"""A started Ascend device: the launch environment, loss scaling, and npu_device's collective operations."""
import os

from ...zoo.contract import RuntimeSession
from .options import FLOAT16_MODES

__all__ = ["AscendSession", "cluster"]


def cluster():
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
    """Static shapes unless asked otherwise, NPU loss scaling when asked, npu_device's collective ops across cards,
    and the port's output layout: ``<output dir>/<ASCEND_DEVICE_ID>/train_<ASCEND_DEVICE_ID>.log``. The resizer
    keeps its stock TensorFlow ops (no computation scope switches anything on)."""

    def __init__(self, npu, options):
        import tensorflow as tf

        self.npu, self.options = npu, options
        self.rank_size, self.rank_id, self.device_id = cluster()
        super().__init__("ascend", tf.distribute.get_strategy(), policy="float32", jit_compile=False,
                         static_shapes=options["static_shapes"],
                         description="ascend (device {}, rank {} of {}, precision_mode {}{})".format(
                             self.device_id, self.rank_id, self.rank_size, options["precision_mode"],
                             "" if options["static_shapes"] else ", dynamic shapes"))

    def _loss_scaled(self):
        scaling = self.options["loss_scaling"]
        return scaling == "on" or (scaling == "auto" and self.options["precision_mode"] in FLOAT16_MODES)

    def wrap_optimizer(self, optimizer):
        if self.rank_size > 1:
            optimizer = self.npu.distribute.npu_distributed_keras_optimizer_wrapper(optimizer)
        if self._loss_scaled():
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

    def log_name(self):
        return "train_{}.log".format(self.device_id)
