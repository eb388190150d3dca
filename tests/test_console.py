"""What a person sees on the console: TensorFlow's native noise filtered out, everything else passed on in order."""
import os
import subprocess
import sys

import yaml

from resizer_plugin.compat import TF_VERSION
from resizer_plugin.zoo.training.logs import NATIVE_NOISE

from .builders import RECIPES, ROOT


#: lines TensorFlow 2.21 wrote on this project's machines (the remapper line during the resizer's first training step),
#: then TensorFlow 2.6.5's
NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795715060.594175    2116 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1795715060.594966    2116 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will "
    "not be used.",
    "E0000 00:00:1795715064.455256    2116 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed "
    "call to cuInit: UNKNOWN ERROR (303)",
    "I0000 00:00:1795715706.370259    4385 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate "
    "compiler flags.",
    "E0000 00:00:1795715070.244526    2116 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: Mutation::Apply "
    "error: fanout 'StatefulPartitionedCall/gradient_tape/quickstart_1/learnable_resizer_1/LeakyRelu_1/"
    "LeakyReluGrad' exist for missing node 'StatefulPartitionedCall/quickstart_1/learnable_resizer_1/"
    "conv_pointwise_1/BiasAdd'.",
    # TensorFlow 2.6.5, writing the keras and savedmodel artifacts of zoo export
    "WARNING:tensorflow:Compiled the loaded model, but the compiled metrics have yet to be built. "
    "`model.compile_metrics` will be empty until you train or evaluate the model.",
    "WARNING:absl:Found untraced functions such as conv_in_layer_call_and_return_conditional_losses, conv_in_layer_"
    "call_fn while saving (showing 5 of 35). These functions will not be directly callable after loading.",
]
#: errors that must still show
REAL = [
    "E0000 00:00:1795715064.455256    2116 cuda_platform.cc:52] failed call to cuInit: CUDA_ERROR_OUT_OF_MEMORY",
    "E0000 00:00:1795715070.244526    2116 meta_optimizer.cc:967] constant_folding failed: INVALID_ARGUMENT: x",
    "W0000 00:00:1795715070.244526    2116 op_kernel.cc:1857] OP_REQUIRES failed at conv_ops.cc:1088 : RESOURCE_EXHAUSTED",
    "zoo-run: error: training failed: ResourceExhaustedError: OOM",
    "WARNING:tensorflow:5 out of the last 5 calls to <function f> triggered tf.function retracing.",
]


def test_the_patterns_know_each_noise_line_and_no_real_error():
    assert all(NATIVE_NOISE.search(line) for line in NOISE)
    assert not any(NATIVE_NOISE.search(line) for line in REAL)


def test_native_writes_to_stderr_are_filtered_line_by_line_in_order():
    """The filter works on file descriptor 2 itself, where C++ code writes, and on Python's sys.stderr alike."""
    lines = [NOISE[0], REAL[0], NOISE[3], REAL[1], NOISE[6], REAL[2]]
    code = ("import os, sys\nfrom resizer_plugin.zoo.training.logs import native_stderr_filtered\n"
            "with native_stderr_filtered():\n"
            "    for line in {!r}:\n        os.write(2, (line + '\\n').encode())\n"
            "    sys.stderr.write('from python\\n')\n    os.write(2, b'no newline at the end')\n"
            "os.write(2, b'|after')\n").format(lines)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "\n".join(REAL[:3]) + "\nfrom python\nno newline at the end|after"


def test_a_training_run_shows_no_tensorflow_noise(tmp_path):
    """The resizer's training step makes grappler's remapper complain, and TensorFlow's import is noisy here: none
    of it reaches the console of zoo-run, its own lines do."""
    raw = subprocess.run([sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"],
                         capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    recipe = yaml.safe_load(open(os.path.join(RECIPES, "quickstart.yaml")))
    recipe["data"].update(train_examples=8, val_examples=4)
    recipe["train"].update(epochs=1, log_steps=1)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(recipe))
    result = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", str(tmp_path / "tiny.yaml"),
                             "--output-dir", str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[zoo] done: val_accuracy" in result.stderr
    noisy = [line for line in raw.stderr.splitlines() if NATIVE_NOISE.search(line)]
    assert noisy or TF_VERSION <= (2, 6), raw.stderr  # there was noise to filter (TensorFlow 2.6.5 makes none here)
    shown = result.stdout + result.stderr
    assert not [line for line in shown.splitlines() if NATIVE_NOISE.search(line)]
    assert not [line for line in shown.splitlines() if line[:1] in "IEW" and line[1:5] == "0000"], shown[-3000:]
