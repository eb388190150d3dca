"""What the Ascend path needs: the plugin on Keras 2 (TF_USE_LEGACY_KERAS=1 + tf-keras), Python 3.8 syntax, and
an install that does not upgrade TensorFlow."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# what runs again on Keras 2 (docs/runtimes.md says the same): the non-slow tests of the layer, the stages with the
# conformance kit, the Ascend adapter and its port, the run's callbacks, zoo-run end to end and zoo eval, and the
# tests marked keras2 (the SIGKILL-and-resume runs, eval reproducing training)
KERAS_2_TESTS = ["tests/test_layers.py", "tests/test_conformance.py", "tests/test_ascend.py", "tests/test_ascend_port.py",
                 "tests/test_callbacks.py", "tests/test_zoo_run.py", "tests/test_zoo_eval.py", "tests/test_zoo_export.py"]
#: the tests that skip on Keras 2, and why: FusedBatchNormalization replaces Keras 3's BatchNormalization only (4);
#: RandAugment is a Keras 3 layer, so the kit's 11 checks of the rand_augment stage (11)
KERAS_2_SKIPS = 15


def _legacy_env():
    return dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")


def test_legacy_switch_selects_keras_2_for_the_whole_plugin():
    code = ("from resizer_plugin.compat import keras, IS_KERAS_3; import resizer_plugin.layers as l; "
            "print(keras.__name__, keras.__version__[0], IS_KERAS_3, isinstance(l.LearnableResizer((8, 8)), "
            "keras.layers.Layer))")
    out = subprocess.run([sys.executable, "-c", code], env=_legacy_env(), capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["tf_keras", "2", "False", "True"], out.stderr[-2000:]


@pytest.mark.slow
def test_designated_tests_pass_on_keras_2():
    command = [sys.executable, "-m", "pytest", "-q", "-m", "not slow or keras2", "-p", "no:cacheprovider",
               "-rA"] + KERAS_2_TESTS
    result = subprocess.run(command, env=_legacy_env(), capture_output=True, text=True, cwd=ROOT)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary, summary
    skipped = re.search(r"(\d+) skipped", summary)
    assert (int(skipped.group(1)) if skipped else 0) == KERAS_2_SKIPS, result.stdout[-3000:]
    for resumed in ("test_sigkill_in_epoch_2_then_resume_finishes_all_epochs",
                    "test_a_run_killed_inside_an_epoch_resumes_there_and_ends_on_the_same_optimizer_step"):
        assert "PASSED tests/test_zoo_run.py::" + resumed in result.stdout


def test_code_needs_no_python_newer_than_3_8():
    vermin = os.path.join(os.path.dirname(sys.executable), "vermin")
    result = subprocess.run([vermin, "-t=3.8-", "--no-tips", "--violations",
                             "--eval-annotations", "resizer_plugin", "benchmarks"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_sets_no_tensorflow_floor_above_2_6():
    setup = open(os.path.join(ROOT, "setup.py")).read()
    requirement = re.search(r'"tensorflow([^"]*)"', setup).group(1)
    assert requirement in ("", ">=2.6"), requirement
    assert "keras-cv" not in re.search(r"install_requires=\[(.*?)\]", setup, re.S).group(1)
