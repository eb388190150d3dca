"""Speed and memory benchmarks of resizer-plugin, as ratios against reference compositions.

Run as programs (``python -m benchmarks.NAME``), they set TensorFlow's environment before anything loads TensorFlow,
with the function ``zoo`` and ``zoo-run`` call (oneDNN's CPU kernels, the log level), so that they time what
``zoo-run`` runs; the tables say which configuration that was. Imported (by a test, say), they change nothing.
"""
import sys

from resizer_plugin.zoo.cli.common import configure_tensorflow

if sys.argv[:1] == ["-m"]:  # ``python -m benchmarks.NAME`` while Python finds NAME: before TensorFlow loads
    configure_tensorflow()
