"""What the Ascend path needs: the plugin on Keras 2 (TF_USE_LEGACY_KERAS=1 + tf-keras), Python 3.7 syntax, and
an install that does not upgrade TensorFlow."""
import os
import re
import subprocess
import sys

import pytest

from resizer_plugin.compat import TF_VERSION
from resizer_plugin.zoo.cli.common import onednn_default

from .builders import ROOT
from .passes import KERAS_2, run_pass



def _legacy_env():
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **KERAS_2.env)


def test_legacy_switch_selects_keras_2_for_the_whole_plugin():
    code = ("from resizer_plugin.compat import keras, IS_KERAS_3; import resizer_plugin.layers as l; "
            "print(keras.__name__, keras.__version__[0], IS_KERAS_3, isinstance(l.LearnableResizer((8, 8)), "
            "keras.layers.Layer))")
    out = subprocess.run([sys.executable, "-c", code], env=_legacy_env(), capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["tf_keras", "2", "False", "True"], out.stderr[-2000:]


@pytest.mark.slow
def test_designated_tests_pass_on_keras_2():
    status, problems, output = run_pass(KERAS_2)
    assert status == 0 and not problems, "\n".join(problems) + "\n" + output[-6000:]


def test_code_needs_no_python_newer_than_setup_claims():
    """vermin at the floor python_requires names (npu_device's oldest Python, 3.7)."""
    floor = re.search(r'python_requires=">=(3\.\d+)"', open(os.path.join(ROOT, "setup.py")).read()).group(1)
    assert floor == "3.7"
    vermin = os.path.join(os.path.dirname(sys.executable), "vermin")
    result = subprocess.run([vermin, "-t={}-".format(floor), "--no-tips", "--violations",
                             "--eval-annotations", "resizer_plugin", "benchmarks"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_sets_no_tensorflow_floor_above_2_6():
    setup = open(os.path.join(ROOT, "setup.py")).read()
    requirement = re.search(r'"tensorflow([^"]*)"', setup).group(1)
    assert requirement in ("", ">=2.6"), requirement
    assert "keras-cv" not in re.search(r"install_requires=\[(.*?)\]", setup, re.S).group(1)


@pytest.mark.parametrize("version, machine, expected", [
    ((2, 21), "x86_64", "1"), ((2, 9), "AMD64", "1"),  # measured faster (2.21, AVX2); TensorFlow's own default from 2.9
    ((2, 8), "x86_64", None), ((2, 6), "x86_64", None),  # 2.6.5's oneDNN kernels die with SIGFPE on AVX-512
    ((2, 21), "aarch64", None), (None, "x86_64", None)])
def test_onednn_is_turned_on_only_where_it_was_measured_faster_and_safe(version, machine, expected):
    assert onednn_default(version, machine) == expected


def test_the_tensorflow_version_is_read_without_importing_tensorflow():
    code = ("import sys; from resizer_plugin.zoo.cli.common import tensorflow_version; "
            "print(tensorflow_version(), 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split(") ")[1].strip() == "False", out.stdout + out.stderr
    assert out.stdout.split(") ")[0] + ")" == str(TF_VERSION)
