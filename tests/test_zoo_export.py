"""zoo export: every format written, reloaded elsewhere and compared; quantized TFLite with its agreement; a
disagreeing artifact refused; stock ops in the serving graph; errors as one line."""
import importlib.util
import json
import shutil

import numpy as np
import pytest

from resizer_plugin import compat
from resizer_plugin.compat import export_saved_model
from resizer_plugin.photos import sample_photos
from resizer_plugin.zoo.export import exporter as export

from .builders import zoo


def _open(run_dir):
    from resizer_plugin.zoo.finished_run import open_run

    return open_run(str(run_dir))


def _photos():
    """Real photos (scikit-image samples) the run never saw, uint8 at its 48x48 image size."""
    return sample_photos((48, 48), 5, dtype="uint8")


def _artifact_outputs(fmt, path, images):
    """The artifact loaded here, independently of zoo export's own check, and run on ``images``."""
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert session.get_inputs()[0].type == "tensor(uint8)"
        return session.run(None, {session.get_inputs()[0].name: images})[0]
    if fmt == "tflite":
        from resizer_plugin.zoo.export.formats import tflite_interpreter

        interpreter = tflite_interpreter()(model_path=str(path))
        detail = interpreter.get_input_details()[0]
        assert detail["dtype"] == np.uint8
        interpreter.resize_tensor_input(detail["index"], images.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(detail["index"], images)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    if fmt == "savedmodel":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))  # held while called: TensorFlow 2.6 frees the variables with it
        return list(loaded.signatures["serving_default"](image=tf.constant(images)).values())[0].numpy()
    import resizer_plugin.layers  # noqa: F401  (registers LearnableResizer for Keras, as the stage plugin does)
    from resizer_plugin.compat import keras

    return np.asarray(keras.models.load_model(str(path), compile=False)(images, training=False))


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.keras2
def test_every_format_is_checked_in_a_fresh_process_and_matches_keras(small_run, tmp_path, monkeypatch):
    exports = []
    monkeypatch.setattr(compat, "export_saved_model", lambda *args: exports.append(export_saved_model(*args)))
    out = tmp_path / "served"
    formats = ["keras"] + ["onnx"] * (compat.BACKEND == "tensorflow") + ["savedmodel", "tflite"]  # ONNX: TF only
    result = zoo("export", small_run, "--format", ",".join(formats), "--output", out)
    assert result.exit_code == 0, result.output
    assert len(exports) == 1  # one SavedModel: the artifact is a copy of what the TFLite converter reads
    report = json.loads((out / "export.json").read_text())
    assert report["classes"] == ["chelsea", "coffee", "astronaut", "rocket"] and report["backend"] == compat.BACKEND
    assert report["input"] == {"name": "image", "dtype": "uint8", "shape": [None, 48, 48, 3]}
    records = {r["format"]: r for r in report["artifacts"]}
    assert sorted(records) == formats
    images = _photos()
    expected = np.asarray(_open(small_run).model.model(images, training=False))
    assert np.allclose(expected.sum(axis=1), 1.0, atol=1e-5) and expected.std() > 0.01
    for fmt, record in records.items():
        path = out / record["file"]
        assert record["max_abs_difference"] <= 1e-4 and record["compared_images"] == 24, record
        assert record["bytes"] == export._size(str(path)) > 1000
        assert record["images_per_second"]["batch_1"] > 0 and record["images_per_second"]["batch_16"] > 0
        assert np.max(np.abs(_artifact_outputs(fmt, path, images) - expected)) <= 1e-4, fmt


@pytest.mark.slow
def test_quantized_tflite_reports_its_top1_agreement_on_the_whole_validation_split(small_run, tmp_path):
    out = tmp_path / "served"
    result = zoo("export", small_run, "--format", "tflite", "--quantize", "dynamic-int8", "--output", out)
    assert result.exit_code == 0, result.output
    records = {r["file"]: r for r in json.loads((out / "export.json").read_text())["artifacts"]}
    quantized = records["model_dynamic_int8.tflite"]
    assert quantized["quantization"] == "dynamic-int8" and quantized["compared_images"] == 24
    assert quantized["bytes"] < records["model.tflite"]["bytes"]  # tiny layers (< 1024 weights) stay float
    run = _open(small_run)
    images = export._validation_images(run)
    float_top1 = np.argmax(_artifact_outputs("tflite", out / "model.tflite", images), axis=1)
    quantized_top1 = np.argmax(_artifact_outputs("tflite", out / "model_dynamic_int8.tflite", images), axis=1)
    assert quantized["top1_agreement"] == pytest.approx(np.mean(float_top1 == quantized_top1))
    assert "top-1 agreement" in result.output


@pytest.mark.slow
def test_an_artifact_that_disagrees_with_keras_is_refused_and_removed(small_run, tmp_path, monkeypatch):
    """The ONNX file is written from a model with shifted weights: the check in the fresh process catches it."""
    write = export._write

    def skewed(fmt, built, path, workdir, quantize=None):
        weights = built.model.get_weights()
        if fmt == "onnx":
            built.model.set_weights([w + 0.05 for w in weights])
        try:
            write(fmt, built, path, workdir, quantize)
        finally:
            built.model.set_weights(weights)

    monkeypatch.setattr(export, "_write", skewed)
    out = tmp_path / "served"
    result = zoo("export", small_run, "--format", "tflite,onnx", "--output", out)
    assert result.exit_code == 1
    assert "model.onnx: refused and removed" in result.output and "(allowed 0.0001)" in result.output
    assert not (out / "model.onnx").exists() and (out / "model.tflite").exists()
    assert [r["file"] for r in json.loads((out / "export.json").read_text())["artifacts"]] == ["model.tflite"]


def _tf_op_types(function, *args):
    return {op.type for op in function.get_concrete_function(*args).graph.get_operations()}


@pytest.mark.slow
def test_the_serving_graph_holds_stock_ops_even_where_the_runtime_trains_with_cpu_forms(small_run, tmp_path,
                                                                                         monkeypatch):
    import onnx
    import tensorflow as tf

    monkeypatch.setattr("resizer_plugin.runtimes.local.cpu_conv_forms_pay_off", lambda: True)
    run = _open(small_run)
    assert "cpu resizer convolutions" in run.session.description
    spec = tf.TensorSpec((None, 48, 48, 3), tf.uint8)
    with run.session.computation_scope():  # what training traces: the CPU forms (space-to-depth blocks)
        assert "SpaceToDepth" in _tf_op_types(tf.function(lambda x: run.model.model(x, training=False)), spec)
    export.export_run(run, ["onnx"], str(tmp_path), progress=lambda record: None)
    onnx_ops = {node.op_type for node in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert "Conv" in onnx_ops and not onnx_ops & {"SpaceToDepth", "DepthToSpace"}, onnx_ops
    serving = export.serving_model(run).model
    assert "SpaceToDepth" not in _tf_op_types(tf.function(lambda x: serving(x, training=False)), spec)


ONNX_FROM_TENSORFLOW_ONLY = "ONNX is written from Keras' TensorFlow backend only"


def test_a_missing_tool_names_the_extra(small_run, monkeypatch):
    if compat.BACKEND != "tensorflow":
        pytest.skip(ONNX_FROM_TENSORFLOW_ONLY)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else find_spec(name, *a))
    result = zoo("export", small_run, "--format", "savedmodel,onnx")
    assert result.exit_code == 2
    assert "needs tf2onnx, not installed: pip install 'resizer-plugin[export]'" in result.output


def test_onnx_from_jax_is_one_line_with_the_command_that_writes_it(small_run, monkeypatch):
    monkeypatch.setattr(export, "BACKEND", "jax")  # what it is in the JAX pass
    result = zoo("export", small_run, "--format", "keras,onnx")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "--format keras,onnx: onnx is not written from Keras' jax backend (its converter reads TensorFlow " \
           "functions); the run's checkpoints are backend-neutral: KERAS_BACKEND=tensorflow zoo export RUN --format " \
           "onnx" in result.output


def test_without_litert_tflite_files_are_checked_with_tensorflows_interpreter(monkeypatch):
    import tensorflow as tf

    from resizer_plugin.zoo.export.formats import tflite_interpreter

    find_spec = importlib.util.find_spec
    missing = {"ai_edge_litert"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in missing else find_spec(name, *a))
    assert tflite_interpreter() is tf.lite.Interpreter and export.parse_formats("tflite") == ["tflite"]
    missing.add("tensorflow")
    assert tflite_interpreter() is None
    with pytest.raises(export.ExportError, match="needs ai_edge_litert, not installed: pip install"):
        export.parse_formats("tflite")


@pytest.mark.parametrize("args, phrase", [
    (["--format", "pdf"], "--format 'pdf': unknown format 'pdf' (choose from keras, savedmodel, tflite, onnx, "
                          "backbone)"),
    (["--format", "backbone"], "--format backbone: the small_cnn backbone family takes no weights file"),
    (["--format", ""], "unknown format (none given)"),
    (["--format", "tflite", "--quantize", "int4"], "--quantize 'int4': choose from float16, dynamic-int8"),
    (["--checkpoint", "9"], "no checkpoint '9' (kept: best, last, 1, 2, 3)"),
])
def test_bad_requests_are_one_line_and_status_2(small_run, args, phrase):
    result = zoo("export", small_run, *args)
    assert result.exit_code == 2 and phrase in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (small_run / "export").exists()  # refused before anything is written


def test_a_run_without_checkpoints_is_refused(small_run, tmp_path):
    shutil.copy(str(small_run / "recipe.yaml"), str(tmp_path / "recipe.yaml"))
    result = zoo("export", tmp_path)
    assert result.exit_code == 2 and "checkpoint" in result.output and "Traceback" not in result.output


def test_the_check_process_loads_no_tensorflow_until_a_format_needs_it():
    """ONNX (and TFLite with LiteRT) artifacts are checked without TensorFlow: the check and the format table
    import it only inside the loaders that need it."""
    import subprocess
    import sys

    code = ("import sys; import resizer_plugin.zoo.export.check as c; print('tensorflow' in sys.modules, "
            "sorted(c.BY_NAME))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split(" ", 1)
    assert out[0] == "False" and "'onnx'" in out[1], out


def test_an_export_interrupted_before_its_check_leaves_nothing(small_run, tmp_path, monkeypatch):
    """Written, then interrupted before the check in the fresh process ended: no model.keras, no export.json, and
    no partial file either (a SIGKILL: tests/test_export_check.py)."""
    def killed(*args):
        raise KeyboardInterrupt

    out = tmp_path / "served"
    monkeypatch.setattr(export, "_check", killed)
    with pytest.raises(KeyboardInterrupt):
        export.export_run(_open(small_run), ["keras"], str(out), progress=lambda record: None)
    name = export.BY_NAME["keras"].file_name()
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    assert zoo("export", small_run, "--format", "keras", "--output", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["export.json", name]
