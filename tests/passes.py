"""The suite's passes on the other stacks this plugin supports: which tests each runs again, and the only skips it
allows, each with its reason and count. A skip not on a pass's list, or another count of one that is, fails the pass.

    python -m tests.passes tf2.6     # what .ci/tf2_6 runs in its TensorFlow 2.6.5 venv

The Keras 2 pass (tf-keras on this venv's TensorFlow) runs from ``tests/test_compatibility.py``, the JAX pass (Keras 3
on JAX in this venv) and, where torch is installed, the PyTorch pass from ``tests/test_cross_backend.py``.
"""
import collections
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from typing import Dict, List, NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

__all__ = ["JAX", "KERAS_2", "PASSES", "TF_2_6", "TORCH", "Pass", "run_pass"]


class Pass(NamedTuple):
    """``tests`` run with pytest's ``-m marker`` (all tests when empty) under ``env``; ``skips``: the start of each
    skip reason allowed -> how many tests skip for it; ``must_pass``: test ids whose PASSED line must be there."""
    name: str
    tests: List[str]
    marker: str
    skips: Dict[str, int]
    must_pass: List[str]
    env: Dict[str, str]


_KERAS_2_SKIPS = {"FusedBatchNormalization replaces Keras 3's BatchNormalization only": 4,
                  "keras.layers.RandAugment is newer than this Keras": 12}
_RESUMED = ["tests/test_zoo_run.py::" + name for name in (
    "test_sigkill_in_epoch_2_then_resume_finishes_all_epochs",
    "test_a_run_killed_inside_an_epoch_resumes_there_and_ends_on_the_same_optimizer_step")]

#: Keras 2 through tf-keras on the TensorFlow of this venv (TF_USE_LEGACY_KERAS=1): the non-slow tests of the layers,
#: the stages with the conformance kit, the Ascend adapter and its port, the run's callbacks, zoo-run end to end, zoo
#: eval and export, learning-rate schedules, and the tests marked keras2 (the SIGKILL-and-resume runs, eval
#: reproducing training, export, the learning rate in the history across a resume)
KERAS_2 = Pass("keras2", ["tests/test_layers.py", "tests/test_muller.py", "tests/test_on_any_backend.py",
                          "tests/test_conformance.py",
                          "tests/test_ascend.py", "tests/test_ascend_port.py", "tests/test_callbacks.py", "tests/test_zoo_run.py",
                          "tests/test_zoo_eval.py", "tests/test_zoo_export.py", "tests/test_schedule.py"],
               "not slow or keras2", _KERAS_2_SKIPS, _RESUMED, {"TF_USE_LEGACY_KERAS": "1"})

#: TensorFlow 2.6.5 with its own tf.keras 2.6 on Python 3.9, the stack of Huawei's npu_device: every test of the
#: Keras 2 pass's files, slow ones included (the port's launch scripts end to end, zoo-run, eval, predict, export
#: of all four formats), and the datasets, the recipe errors, the console, step checkpoints, schedules, recipes by
#: name, precision: auto and zoo prepare (TFDS 4.9.0's cats_vs_dogs builder)
TF_2_6 = Pass("tf2.6", KERAS_2.tests + ["tests/test_data.py", "tests/test_cli_errors.py", "tests/test_console.py",
                                        "tests/test_step_checkpoints.py", "tests/test_torn_checkpoints.py",
                                        "tests/test_recipes_by_name.py", "tests/test_precision_auto.py",
                                        "tests/test_prepare.py"],
              "", dict(_KERAS_2_SKIPS, **{
                  "keras.layers.RandomBrightness is newer than this Keras": 12,
                  "XLA is checked only where Model.compile offers it": 2,
                  "no XLA in Model.compile or no bfloat16 CPU convolution here": 1,
                  "this TensorFlow has no bfloat16 convolution": 1}),
              _RESUMED, {})

#: Keras 3 on JAX (KERAS_BACKEND=jax): the layers on the backend and the conformance kit's own tests, every
#: registered stage through every check, the pytest plugin included; and the zoo host: its non-slow tests of zoo-run,
#: eval, predict, export, compare and torn checkpoints (every bundled cats_vs_dogs recipe's dry run among them), and the
#: tests marked jax (the quickstart, the three kill tests, a crash, eval reproducing training, predict, export, a
#: compare, two devices, two processes)
JAX = Pass("jax", ["tests/test_on_any_backend.py", "tests/test_conformance.py", "tests/test_zoo_run.py",
                   "tests/test_zoo_eval.py", "tests/test_zoo_export.py", "tests/test_torn_checkpoints.py",
                   "tests/test_compare.py", "tests/test_distributed.py"], "not slow or jax",
           {"the ascend runtime needs Keras' TensorFlow backend": 1,
            "ONNX is written from Keras' TensorFlow backend only": 1},
           ["tests/test_conformance.py::test_pytest_plugin_runs_kit_on_named_stage"] + _RESUMED + [
               "tests/test_distributed.py::" + name for name in (
                   "test_mirrored_on_two_logical_cpus_matches_one_device",
                   "test_two_workers_on_loopback_train_and_resume_together_like_one_process")],
           {"KERAS_BACKEND": "jax"})

#: Keras 3 on PyTorch (KERAS_BACKEND=torch), where torch is installed (not in CI: PyPI's Linux torch is the CUDA build):
#: the layers on the backend and the conformance kit's own tests, as in the JAX pass's first two files
TORCH = Pass("torch", JAX.tests[:2], "", {}, ["tests/test_conformance.py::test_pytest_plugin_runs_kit_on_named_stage"],
             {"KERAS_BACKEND": "torch"})

PASSES = {p.name: p for p in (KERAS_2, TF_2_6, JAX, TORCH)}


def _skip_reasons(junit_file):
    """(test id, skip reason) of every skipped test in a pytest JUnit XML report."""
    skipped = []
    for case in ElementTree.parse(junit_file).iter("testcase"):
        for skip in case.iter("skipped"):
            test = "{}::{}".format(case.get("classname", "").replace(".", "/") + ".py", case.get("name"))
            skipped.append((test, skip.get("message", "")))
    return skipped


def _unexpected_skips(skipped, allowed):
    """Lines naming each skip not allowed, and each allowed reason whose count differs."""
    counts = collections.Counter()
    problems = []
    for test, message in skipped:
        reason = next((r for r in allowed if message.startswith(r)), None)
        if reason is None:
            problems.append("skip not on the list: {}: {}".format(test, message))
        else:
            counts[reason] += 1
    problems += ["{} skips expected for {!r}, got {}".format(count, reason, counts[reason])
                 for reason, count in allowed.items() if counts[reason] != count]
    return problems


def run_pass(spec, python=sys.executable):
    """Run the pass ``spec`` with ``python``: (pytest's exit status, problems with its skips or required tests,
    pytest's output)."""
    with tempfile.TemporaryDirectory() as folder:
        junit = os.path.join(folder, "junit.xml")
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "--junitxml", junit]
        command += (["-m", spec.marker] if spec.marker else []) + spec.tests
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **spec.env)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                cwd=ROOT, env=env)
        problems = _unexpected_skips(_skip_reasons(junit), spec.skips) if os.path.exists(junit) else ["no report"]
    problems += ["did not pass: " + test for test in spec.must_pass if "PASSED " + test not in result.stdout]
    return result.returncode, problems, result.stdout


def main(argv=None):
    name = (argv if argv is not None else sys.argv[1:])[0]
    status, problems, output = run_pass(PASSES[name])
    print(output[-20000:])
    for problem in problems:
        print("{} pass: {}".format(name, problem))
    return status or (1 if problems else 0)


if __name__ == "__main__":
    sys.exit(main())
