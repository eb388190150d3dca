"""``precision: auto``: the precision the hardware computes natively, chosen from the CPU's flags (faked here where
the machine lacks them), the GPU's compute capability and what TensorFlow can convolve in; said in the run log."""
import json

import pytest

from resizer_plugin.compat import convolves_in, keras
from resizer_plugin.runtimes import local

from .builders import small_recipe, write_recipe, zoo_run

#: this machine's
HAS_BF16 = bool(set(local.BF16_FLAGS) & local.cpu_flags())


@pytest.mark.parametrize("device, flags, capability, convolves, policy, why", [
    ("CPU", {"avx2", "fma"}, None, True, "float32", "the CPU has no native bfloat16 (AVX512_BF16 or AMX_BF16 not in"),
    ("CPU", {"avx512f", "avx512_bf16"}, None, True, "mixed_bfloat16", "the CPU has AVX512_BF16"),
    ("CPU", {"avx512_bf16", "amx_bf16"}, None, True, "mixed_bfloat16", "the CPU has AVX512_BF16 and AMX_BF16"),
    ("CPU", {"avx512_bf16"}, None, False, "float32", "the CPU has AVX512_BF16, but this TensorFlow has no bfloat16 "
                                                     "convolution"),  # TensorFlow 2.6's own CPU kernels
    ("GPU", set(), (8, 0), True, "mixed_float16", "the GPU's compute capability is 8.0"),
    ("GPU", set(), (7, 0), True, "mixed_float16", "the GPU's compute capability is 7.0"),
    ("GPU", set(), (6, 1), True, "float32", "the GPU's compute capability is 6.1 (mixed_float16 pays from 7.0)"),
    ("GPU", set(), None, True, "float32", "the GPU's compute capability is unknown"),
])
def test_auto_picks_what_the_hardware_computes_natively(device, flags, capability, convolves, policy, why):
    chosen, reason = local.auto_policy(device, flags, capability, lambda dtype: convolves)
    assert chosen == policy and reason.startswith(why), reason


def test_the_cpu_flags_are_this_machines():
    flags = local.cpu_flags()
    assert "fpu" in flags or not flags  # every x86 CPU has an FPU; elsewhere /proc/cpuinfo may list none
    assert all(flag == flag.lower() for flag in flags)


def _auto_run(tmp_path):
    recipe = small_recipe({"runtime.precision": "auto", "train.steps_per_epoch": 2})
    out = tmp_path / "run"
    try:
        result = zoo_run(write_recipe(tmp_path, recipe), "--output-dir", out)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert result.exit_code == 0, result.output
    return result, json.loads((out / "metrics.json").read_text())


def test_without_native_bfloat16_auto_trains_in_float32_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "cpu_flags", lambda: {"avx2", "fma"})  # an AVX2 CPU's
    result, metrics = _auto_run(tmp_path)
    said = "float32 (precision auto: the CPU has no native bfloat16"
    assert said in result.output and said in metrics["runtime"]


# a string condition: evaluated when the test runs, not at import (a convolution at import starts TensorFlow's thread
# pools, and a process forked after that hangs in its first TensorFlow call: the mutation run forks from one)
@pytest.mark.skipif("not convolves_in('bfloat16')", reason="this TensorFlow has no bfloat16 convolution (2.6)")
def test_with_native_bfloat16_auto_trains_in_mixed_bfloat16_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "cpu_flags", lambda: {"avx512f", "avx512_bf16"})  # faked where the CPU lacks them
    result, metrics = _auto_run(tmp_path)
    assert "mixed_bfloat16 (precision auto: the CPU has AVX512_BF16)" in metrics["runtime"]
    assert metrics["train_loss"] > 0


@pytest.mark.slow
def test_the_quickstart_keeps_its_accuracy_with_precision_auto(tmp_path):
    """On this machine's real flags: mixed_bfloat16 where the CPU has native bfloat16 (the case to check), else
    float32."""
    out = tmp_path / "run"
    try:
        result = zoo_run("quickstart", "--set", "runtime.precision=auto", "--output-dir", out)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    expected = "mixed_bfloat16" if HAS_BF16 and convolves_in("bfloat16") else "float32"
    assert "{} (precision auto:".format(expected) in metrics["runtime"]
    assert metrics["best_val_accuracy"] >= 0.97, metrics  # chance 0.25; the float32 quickstart's bar


def test_auto_on_a_gpu_reads_its_compute_capability(monkeypatch):
    monkeypatch.setattr(local, "_gpu_capability", lambda: (8, 0))
    assert local.gpu._policy("auto") == ("mixed_float16", "the GPU's compute capability is 8.0")


def test_auto_on_jax_and_a_cpu_stays_in_float32_even_with_native_bfloat16(monkeypatch):
    from resizer_plugin import compat

    monkeypatch.setattr(compat, "BACKEND", "jax")
    monkeypatch.setattr(local, "cpu_flags", lambda: {"avx512_bf16"})
    assert local.cpu._policy("auto") == ("float32", "JAX trains slower in bfloat16 on the CPU (docs/performance.md)")
    monkeypatch.setattr(local, "_gpu_capability", lambda: (8, 0))
    assert local.gpu._policy("auto")[0] == "mixed_float16"  # a GPU on JAX: as on TensorFlow
    monkeypatch.setattr(compat, "BACKEND", "tensorflow")
    assert local.cpu._policy("auto")[0] == ("mixed_bfloat16" if convolves_in("bfloat16") else "float32")


@pytest.mark.parametrize("convolves", [True, False])
def test_mixed_is_refused_only_where_its_compute_dtype_cannot_convolve_and_float32_never(monkeypatch, convolves):
    from resizer_plugin import compat
    from resizer_plugin.zoo.contract import OptionError

    asked = []
    monkeypatch.setattr(compat, "convolves_in", lambda dtype: asked.append(dtype) or convolves)
    assert local.cpu._policy("float32") == ("float32", None) and asked == []
    if convolves:
        assert local.cpu._policy("mixed") == ("mixed_bfloat16", None) and asked == ["bfloat16"]
    else:
        with pytest.raises(OptionError, match=r"^runtime 'cpu', option 'precision': mixed \(mixed_bfloat16\) cannot "
                                              r"train here: .* has no bfloat16 convolution on the CPU"):
            local.cpu._policy("mixed")


def test_the_plan_shows_every_option_and_auto_resolved():
    options = local.cpu.validate({"precision": "float32"})
    assert local.cpu.plan(options) == options
    planned = local.cpu.plan(dict(options, precision="auto"))
    assert planned["precision"].startswith("auto -> ") and dict(planned, precision="float32") == options
