"""Ascend NPU runtime over Huawei's TensorFlow 2 adapter ``npu_device`` (ships with the CANN toolkit).

Recipe options (``runtime:`` with ``device: ascend``) map onto ``npu_device.global_options()``, all set before
``npu_device.open().as_default()``. It understands the recipe-wide ``precision`` key, accepts the Ascend ModelZoo
port's launch flags one to one, and writes a run as the port's scripts lay it out.
"""
import importlib

from ...zoo.contract import Runtime
from .options import FLOAT16_MODES, OPTIONS, PRECISION_MODES, configure, resolve_options
from .port import PORT_FLAGS, port_flag_values
from .session import AscendSession, cluster

__all__ = ["ascend", "AscendRuntime", "FLOAT16_MODES", "NPU_DEVICE_MISSING", "PORT_FLAGS", "PRECISION_MODES"]

NPU_DEVICE_MISSING = (
    "npu_device (Huawei's TensorFlow 2 adapter for Ascend) is not importable. It is not on PyPI: it ships with the "
    "CANN toolkit. Install CANN and its TensorFlow adapter wheel (npu_device-*.whl, for TensorFlow 2.6.5 on Python "
    "3.7-3.9) into this environment, source the toolkit's set_env.sh, and run again; or choose device: cpu or gpu")


class AscendRuntime(Runtime):
    """Huawei Ascend NPUs through npu_device."""

    def __init__(self):
        super().__init__("ascend", options=OPTIONS, description="Huawei Ascend NPU through npu_device (CANN)")

    def launch_flags(self):
        return PORT_FLAGS

    def processes(self, options):
        return cluster()[0]

    def flag_overrides(self, values):
        return super().flag_overrides(port_flag_values(values))

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
        from ...compat import BACKEND

        if BACKEND != "tensorflow":  # npu_device places TensorFlow's graphs on the NPU
            raise self._error(None, "ascend needs Keras' TensorFlow backend (npu_device runs TensorFlow graphs); "
                                    "KERAS_BACKEND is {!r}".format(BACKEND))
        options = resolve_options(super().validate(config), self._error)
        try:
            cluster()
        except ValueError as error:
            raise self._error(None, str(error)) from None
        return options

    def start(self, options):
        npu = self._npu()
        configure(npu.global_options(), options)
        npu.open().as_default()
        return AscendSession(npu, options)


ascend = AscendRuntime()
