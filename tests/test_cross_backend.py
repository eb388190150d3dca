"""Keras 3 across backends, each in a process of its own: the layers and the kit with TensorFlow blocked from import
under JAX, a .keras file saved on one backend giving the same outputs on the other, which resize methods agree, a run
trained on one backend resumed and evaluated on the other, and the host's refusals."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from .builders import BLOCK_TENSORFLOW, ROOT, small_recipe, write_recipe
from .passes import JAX, TORCH, run_pass

pytest.importorskip("jax", reason="jax is in the test extra")

#: the resize methods whose values JAX and TensorFlow agree on (within 1e-5), with or without antialiasing; of the
#: others JAX has, nearest picks other pixels at a non-whole ratio and bicubic without antialiasing differs by up to
#: 6e-4 (measured by the test below)
AGREEING = ("bilinear", "area", "lanczos3", "lanczos5")

def _python(code, backend, tmp_path):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def test_the_layers_and_the_kit_work_with_tensorflow_blocked_under_jax(tmp_path):
    out = _python(BLOCK_TENSORFLOW + textwrap.dedent("""
        import numpy as np
        from resizer_plugin import LearnableResizer, MullerResizer
        from resizer_plugin.compat import BACKEND, keras, to_numpy
        from resizer_plugin.compat.backend_functions import trainable_gradients
        from resizer_plugin.photos import sample_photos
        from resizer_plugin.testing import check_stage

        photos = sample_photos((64, 48), 2)
        for layer_class in (LearnableResizer, MullerResizer):
            inputs = keras.Input((None, None, 3))
            model = keras.Model(inputs, layer_class((32, 24))(inputs))
            model.save("model.keras")
            loaded = keras.models.load_model("model.keras")
            same = np.array_equal(to_numpy(model(photos)), to_numpy(loaded(photos)))
            grads = trainable_gradients(model.layers[-1], photos, np.ones((2, 32, 24, 3)))
            print(layer_class.__name__, BACKEND, same, all(np.any(g) for g in grads))
        print(len(check_stage("learnable_resizer")), "checks", "tensorflow" in sys.modules)
        """), "jax", tmp_path)
    assert "LearnableResizer jax True True" in out and "MullerResizer jax True True" in out, out
    from resizer_plugin.testing import CHECKS

    assert "{} checks False".format(len(CHECKS) - 1) in out, out  # all but check_augmentation


_SAVE = """
    import numpy as np
    from resizer_plugin import LearnableResizer, MullerResizer
    from resizer_plugin.compat import keras, to_numpy
    from resizer_plugin.photos import sample_photos

    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, [LearnableResizer((30, 36), num_res_blocks=2)(inputs), MullerResizer((30, 36))(inputs)])
    rng = np.random.default_rng(7)  # every vector (biases, BatchNorm's four, MULLER's scales and biases) off its start
    model.set_weights([w if w.ndim > 1 else rng.uniform(0.5, 1.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    photos = sample_photos((60, 72), 3)
    np.savez("expected.npz", photos=photos, *[to_numpy(o) for o in model(photos, training=False)])
    model.save("model.keras")
"""
_LOAD = """
    import numpy as np
    import resizer_plugin.layers  # registers the layers with Keras
    from resizer_plugin.compat import keras, to_numpy

    saved = np.load("expected.npz")
    outputs = keras.models.load_model("model.keras")(saved["photos"], training=False)
    print("largest output", max(float(np.max(np.abs(saved["arr_%d" % i]))) for i in range(len(outputs))))
    print("max difference", max(float(np.max(np.abs(to_numpy(o) - saved["arr_%d" % i])))
                                for i, o in enumerate(outputs)))
"""


#: PyTorch runs where it is installed: PyPI's torch for Linux is the CUDA build (about 2.5 GB), kept out of CI
NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="torch is not installed (kept out of CI: PyPI's Linux torch is the CUDA build)")


@pytest.mark.parametrize("saved_on, loaded_on", [
    ("tensorflow", "jax"), ("jax", "tensorflow"),
    pytest.param("tensorflow", "torch", marks=NEEDS_TORCH), pytest.param("torch", "tensorflow", marks=NEEDS_TORCH)])
def test_a_keras_file_saved_on_one_backend_gives_the_same_outputs_on_the_other(tmp_path, saved_on, loaded_on):
    _python(_SAVE, saved_on, tmp_path)
    out = _python(_LOAD, loaded_on, tmp_path)
    largest, difference = (float(line.split()[-1]) for line in out.splitlines()[-2:])
    assert 1.0 < largest < 100.0 and difference <= 1e-4, out


@pytest.mark.parametrize("backend, imports", [("tensorflow", "import resizer_plugin, keras"),
                                               ("jax", "import resizer_plugin, keras"),
                                               ("jax", "import keras, resizer_plugin")])
def test_import_resizer_plugin_is_all_that_loading_a_model_of_its_layers_needs(tmp_path, backend, imports):
    _python(_SAVE, backend, tmp_path)
    out = _python(imports + "\nprint(sorted(type(layer).__name__ for layer in "
                  "keras.saving.load_model('model.keras').layers))", backend, tmp_path)
    assert "'LearnableResizer'" in out and "'MullerResizer'" in out, out


def test_the_resize_methods_that_agree_across_backends(tmp_path):
    code = """
        import json, numpy as np
        from resizer_plugin.compat import to_numpy
        from resizer_plugin.layers import resize_images
        from resizer_plugin.layers.resize import BACKEND_INTERPOLATIONS
        from resizer_plugin.photos import sample_photos

        photos = sample_photos((37, 50), 2)
        print(json.dumps({"{} {} {}".format(m, a, s): to_numpy(resize_images(photos, s, m, a)).tolist()
                          for m in BACKEND_INTERPOLATIONS["jax"] for a in (False, True)
                          for s in ((18, 25), (20, 31), (74, 100))}))
        """
    on = {backend: json.loads(_python(code, backend, tmp_path).splitlines()[-1]) for backend in ("tensorflow", "jax")}
    differences = {key: float(np.max(np.abs(np.array(on["jax"][key]) - np.array(value))))
                   for key, value in on["tensorflow"].items()}
    agreeing = {key.split()[0] for key in differences} - {key.split()[0] for key, d in differences.items() if d > 1e-5}
    assert agreeing == set(AGREEING), differences
    assert max(d for key, d in differences.items() if key.startswith("bicubic")) < 1e-3, differences


@pytest.mark.slow
def test_designated_tests_pass_on_jax():
    status, problems, output = run_pass(JAX)
    assert status == 0 and not problems, "\n".join(problems) + "\n" + output[-6000:]


@pytest.mark.slow
@NEEDS_TORCH
def test_designated_tests_pass_on_torch():
    status, problems, output = run_pass(TORCH)
    assert status == 0 and not problems, "\n".join(problems) + "\n" + output[-6000:]


@pytest.mark.slow
def test_a_stage_author_runs_the_kit_on_jax_with_one_line(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-m", "pytest", "--zoo-stage", "learnable_resizer", "-q", "-p",
                             "no:cacheprovider"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    from resizer_plugin.testing import CHECKS

    checks = len(CHECKS) - 1  # learnable_resizer is no augmentation
    assert result.returncode == 0 and "{} passed".format(checks) in result.stdout, \
        result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.parametrize("backend, line", [
    ("numpy", "zoo-run: error: zoo trains on Keras' TensorFlow or JAX backend; KERAS_BACKEND is 'numpy' (set it to "
              "tensorflow or jax; the layers, the stages and the conformance kit run on PyTorch too: "
              "docs/runtimes.md)"),
    ("numpyx", "zoo-run: error: Keras cannot load its backend (KERAS_BACKEND='numpyx'): ValueError: Unable to import "
               "backend : numpyx; zoo trains on tensorflow or jax")])
def test_the_zoo_host_refuses_another_backend_in_one_line(tmp_path, backend, line):
    env = dict(os.environ, KERAS_BACKEND=backend)
    result = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", "quickstart", "--dry-run"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [line], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_what_needs_tensorflow_refuses_jax_in_one_line_naming_it(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="jax")
    result = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", "quickstart", "--device", "ascend",
                             "--dry-run"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "runtime: ascend needs Keras' TensorFlow backend (npu_device runs TensorFlow graphs); KERAS_BACKEND is " \
           "'jax'" in result.stderr


def _zoo_on(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "zoo")] + [str(a) for a in args],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_a_run_trained_on_tensorflow_resumes_on_jax_and_is_measured_back_on_tensorflow(tmp_path):
    recipe, run = write_recipe(tmp_path, small_recipe({"train.epochs": 2})), tmp_path / "run"
    _zoo_on("tensorflow", "train", recipe, "--output-dir", run, "--set", "train.epochs=1")
    resumed = _zoo_on("jax", "train", recipe, "--output-dir", run, "--resume")
    assert "resumed from {}: 1 of 2 epochs done".format(run / "checkpoints" / "ckpt-1.npz") in resumed.stderr
    assert "runtime: cpu (JAX, 1 device(s)" in resumed.stderr
    _zoo_on("tensorflow", "eval", run, "--checkpoint", "last", "--json", tmp_path / "eval.json")
    last_epoch = (run / "history.csv").read_text().splitlines()[-1].split(",")
    header = (run / "history.csv").read_text().splitlines()[0].split(",")
    measured = json.loads((tmp_path / "eval.json").read_text())
    assert measured["accuracy"] == pytest.approx(float(last_epoch[header.index("val_accuracy")]), abs=1e-6)
    assert measured["loss"] == pytest.approx(float(last_epoch[header.index("val_loss")]), rel=1e-4)
