"""The benchmarks run with the project's own tools and write the JSON keys the README and issue name (tiny sizes)."""
import json
import os
import platform
import subprocess
import sys

import pytest

from .builders import BLOCK_TENSORFLOW, ROOT

#: the script's python3 is this test's Python
_PATH = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
TINY = ["--batch-size", "2", "--input-size", "64", "64", "--target-size", "32", "32", "--backbone", "MobileNetV2",
        "--steps", "1", "--warmup", "1"]


def _run(module, tmp_path, *extra):
    out = tmp_path / "out.json"
    result = subprocess.run([sys.executable, "-m", module] + TINY + list(extra) + ["--json", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text()), result.stdout


@pytest.mark.slow
def test_train_step_writes_the_ratios(tmp_path):
    results, stdout = _run("benchmarks.train_step", tmp_path)
    assert results["resizer_over_bilinear"] > 0 and results["speedup_over_reference"] > 0
    assert results["muller_over_bilinear"] > 0
    assert set(results["variants"]) == {"reference", "resizer", "muller", "bilinear"}
    assert results["variants"]["muller"]["parameters"] == results["variants"]["bilinear"]["parameters"] + 4
    assert results["variants"]["resizer"]["parameters"] == results["variants"]["reference"]["parameters"]
    assert "speedup_over_reference" in stdout and "images/s" in stdout
    # TensorFlow's environment as zoo-run sets it, unless the caller set it; the configuration timed is printed
    from resizer_plugin.zoo.cli.common import onednn_default, tensorflow_version

    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", onednn_default(tensorflow_version(), platform.machine()))
    assert results["machine"]["TF_ENABLE_ONEDNN_OPTS"] == (onednn or "(unset)")
    assert "timed as zoo-run runs: " in stdout and "CPU features: " in stdout


@pytest.mark.slow
def test_inference_pipeline_and_memory_benchmarks_run(tmp_path):
    inference, _ = _run("benchmarks.inference", tmp_path)
    assert {"resizer alone", "resizer + MobileNetV2", "bilinear + MobileNetV2"} <= set(inference["rows"])
    pipeline, _ = _run("benchmarks.pipeline", tmp_path, "--files", "16")
    assert pipeline["pipeline_images_per_second"] > 0 and pipeline["pipeline_over_model"] > 0
    memory, _ = _run("benchmarks.memory", tmp_path, "--variants", "resizer")
    assert list(memory["variants"]) == ["resizer"] and memory["variants"]["resizer"]["peak_rss_mb"] > 100


@pytest.mark.slow
def test_the_folder_scan_benchmark_times_both_scans_and_the_cached_start(tmp_path):
    """200 files: the 100th a JPEG cut short (only the previous scan, which decodes, skips it), the 200th empty."""
    out = tmp_path / "out.json"
    result = subprocess.run([sys.executable, "-m", "benchmarks.folder_scan", "--files", "200", "--repeats", "1",
                             "--json", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    (figures,) = json.loads(out.read_text())["sizes"]
    assert (figures["previous_scan_skipped"], figures["header_scan_skipped"]) == (2, 1)
    assert figures["header_scan_files_per_second"] > 0 and figures["cached_start_seconds"] > 0
    assert figures["imagenet"]["header_scan_seconds"] > 0 and "1.28 M: header scan min" in result.stdout


def test_help_works():
    result = subprocess.run([sys.executable, "-m", "benchmarks.train_step", "--help"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0 and "--batch-size" in result.stdout and "--jit" in result.stdout


def test_the_gpu_script_refuses_a_machine_without_a_gpu(tmp_path):
    """benchmarks/gpu.sh measures only where the Keras backend sees a GPU; here it says so and exits 2, writing
    nothing."""
    result = subprocess.run(["bash", os.path.join(ROOT, "benchmarks", "gpu.sh"), str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PATH=_PATH))
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "benchmarks/gpu.sh: error: needs a Keras backend that sees a GPU" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
def test_the_gpu_script_runs_on_jax_without_tensorflow(tmp_path):
    """What the GPU machine (JAX, no TensorFlow) runs, here on the CPU at a tiny size with TensorFlow blocked from
    import in every Python process: each precision's train_step figures, with the backend named."""
    pytest.importorskip("jax")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCK_TENSORFLOW)
    env = dict(os.environ, KERAS_BACKEND="jax", GPU_SH_ON_CPU="1", PATH=_PATH,
               GPU_SH_ARGS=" ".join(TINY + ["--variants", "resizer", "bilinear"]),
               PYTHONPATH="{}:{}".format(tmp_path / "site", ROOT))
    result = subprocess.run(["bash", os.path.join(ROOT, "benchmarks", "gpu.sh"), str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert files == ["train_step_float32.json", "train_step_mixed_bfloat16.json", "train_step_mixed_float16.json"]
    for name in files:
        results = json.loads((tmp_path / "out" / name).read_text())
        assert results["machine"]["backend"] == "jax" and results["machine"]["tensorflow"] is None
        assert results["policy"] == name[len("train_step_"):-len(".json")]
        assert all(row["images_per_second"] > 0 for row in results["variants"].values())
        assert set(results["variants"]) == {"resizer", "bilinear"} and results["resizer_over_bilinear"] > 0


def test_the_arithmetic_count_of_a_convolution_is_two_per_multiply_add():
    from benchmarks.arithmetic import forward_flops
    from resizer_plugin.compat import keras

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs))
    assert forward_flops(model, (8, 8, 3)) == 2 * 8 * 8 * (3 * 3 * 3) * 4  # every output: a 3x3x3 dot product


@pytest.mark.slow
def test_the_arithmetic_benchmark_counts_every_front_and_the_backbone(tmp_path):
    results, stdout = _run("benchmarks.arithmetic", tmp_path)
    fronts = results["fronts"]
    # MULLER's blurs alone: 2 layers x 2 separable passes x 5 taps x 2 operations per value of a 64x64x3 image
    assert fronts["muller"]["forward_flops"] >= 2 * 2 * 5 * 2 * 64 * 64 * 3 and fronts["muller"]["parameters"] == 4
    assert fronts["resizer"]["forward_flops"] > 20 * fronts["muller"]["forward_flops"]
    assert results["backbone"]["forward_flops"] > 0 and "MFLOPs" in stdout


def _stages_with(layer):
    from types import SimpleNamespace

    from resizer_plugin.compat import keras

    inputs = keras.Input((48, 64, 3))
    stages = keras.Model(inputs, layer(keras.layers.Rescaling(1 / 255)(inputs)))
    return SimpleNamespace(model=SimpleNamespace(stages=stages))


def test_the_residual_spread_is_zero_where_a_resizer_is_its_naive_resize():
    from benchmarks.residual import residual_spreads
    from resizer_plugin import LearnableResizer, MullerResizer
    from resizer_plugin.photos import sample_photos

    photos = sample_photos((48, 64), 4, dtype="uint8").astype("float32")
    assert residual_spreads(_stages_with(MullerResizer((24, 32), name="m")), photos) == {"m": 0.0}
    assert residual_spreads(_stages_with(LearnableResizer((24, 32), zero_init_residual=True, name="z")), photos) == {
        "z": 0.0}
    assert residual_spreads(_stages_with(LearnableResizer((24, 32), name="r")), photos)["r"] > 0.1


def test_the_residual_spread_of_a_finished_run(small_run, capsys):
    from benchmarks.residual import main

    spreads = main([str(small_run), "--images", "6"])
    (name, spread), = spreads.items()  # Keras numbers a layer name taken before in this process
    assert name.startswith("learnable_resizer") and 0 < spread < 1e3
    assert json.loads(capsys.readouterr().out) == spreads


def test_the_residual_spread_names_a_folder_that_is_no_run(tmp_path, capsys):
    from benchmarks.residual import main

    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path)])
    assert exit_.value.code == 2 and "is not a run directory" in capsys.readouterr().err
