"""zoo export's steps around each artifact's check, in seconds: what export.json says and which earlier records it
keeps, which images each artifact is compared on, what the fresh-process check is given and what its failure
says, which requests are refused before any work, and what the export hands on to each artifact."""
import json
import os
import pathlib
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

from resizer_plugin.compat import BACKEND, keras
from resizer_plugin.zoo.export import exporter as export
from resizer_plugin.zoo.export.formats import ExportFormat

#: a finished run as export_run's steps read it
RUN = SimpleNamespace(run_dir=SimpleNamespace(root="/runs/r"), checkpoint="/runs/r/checkpoints/best/ckpt-3.npz",
                      class_names=["cat", "dog"],
                      recipe=SimpleNamespace(backbone=SimpleNamespace(name="keras_applications"),
                                             backbone_model="DenseNet121", backbone_options={"weights": None, "x": 1}))


def _write_report(folder, records, earlier=None, files=()):
    """export.json written into ``folder`` over an earlier one holding ``earlier`` and beside ``files``: its text."""
    folder.mkdir(exist_ok=True)
    for name in files:
        (folder / name).write_bytes(b"artifact")
    if earlier is not None:
        (folder / "export.json").write_text(json.dumps(earlier))
    path = export._write_report(RUN, SimpleNamespace(input_shape=(None, 300, 200, 3)), str(folder), records)
    assert path == str(folder / "export.json") and sorted(os.listdir(folder)) == sorted({"export.json", *files})
    return pathlib.Path(path).read_text()


def test_export_json_says_what_the_artifacts_take_and_give_and_where_they_come_from(tmp_path):
    records = [{"format": "keras", "file": "model.keras"}]
    text = _write_report(tmp_path / "served", records)
    assert text.startswith('{\n  "run": "/runs/r",\n  "checkpoint": ')  # indented for people to read
    assert json.loads(text) == {
        "run": "/runs/r", "checkpoint": "/runs/r/checkpoints/best/ckpt-3.npz", "classes": ["cat", "dog"],
        "input": {"name": "image", "dtype": "uint8", "shape": [None, 300, 200, 3]},
        "output": "float32 probabilities of the classes, in the order of 'classes'", "tolerance": export.TOLERANCE,
        "tensorflow": tf.__version__, "keras": keras.__version__, "backend": BACKEND, "artifacts": records}


def test_an_earlier_exports_records_stay_for_the_artifacts_still_there_and_not_written_again(tmp_path):
    earlier = {"artifacts": [{"file": "model.onnx", "from": "before"}, {"file": "model.keras", "from": "before"},
                             {"file": "model.tflite", "from": "before"}]}  # model.tflite was deleted since
    now = [{"file": "model.keras", "from": "now"}]
    text = _write_report(tmp_path / "served", now, earlier, files=["model.onnx", "model.keras"])
    assert json.loads(text)["artifacts"] == [{"file": "model.onnx", "from": "before"}, now[0]]


def test_an_earlier_export_json_without_artifacts_keeps_nothing(tmp_path):
    now = [{"file": "model.keras"}]
    assert json.loads(_write_report(tmp_path / "served", now, earlier={"run": "/runs/r"}))["artifacts"] == now


def test_probabilities_are_computed_at_inference_64_images_at_a_time_as_float32():
    calls = []

    def model(images, training):
        calls.append((len(images), training))
        return np.full((len(images), 2), 0.5, np.float64)

    probabilities = export._probabilities(model, np.zeros((130, 4, 4, 3), np.uint8))
    assert calls == [(64, False), (64, False), (2, False)]
    assert probabilities.shape == (130, 2) and probabilities.dtype == np.float32


def _jobs(monkeypatch, formats, quantize):
    """export._jobs over 100 numbered validation images; and the counts of images asked for."""
    images, asked = np.arange(100, dtype=np.float32).reshape(100, 1), []
    monkeypatch.setattr(export, "_validation_images", lambda run, count: asked.append(count) or images[:count])
    monkeypatch.setattr(export, "_probabilities", lambda model, batch: batch * 10)
    built = SimpleNamespace(model=None, stages=lambda x, training: x + 0.5, backbone=lambda x, training: x * 3)
    return export._jobs(RUN, built, formats, quantize), images, asked


def test_float_artifacts_are_compared_on_the_first_64_validation_images_the_backbone_on_what_it_receives(
        monkeypatch):
    jobs, images, asked = _jobs(monkeypatch, ["keras", "backbone"], None)
    assert asked == [export.COMPARED_IMAGES] and [job[:2] for job in jobs] == [("keras", None), ("backbone", None)]
    first = images[:64]
    assert np.array_equal(jobs[0][2][0], first) and np.array_equal(jobs[0][2][1], first * 10)
    assert np.array_equal(jobs[1][2][0], first + 0.5) and np.array_equal(jobs[1][2][1], (first + 0.5) * 3)


def test_a_quantized_artifact_is_compared_on_the_whole_validation_split_the_float_ones_on_64(monkeypatch):
    jobs, images, asked = _jobs(monkeypatch, ["keras"], "dynamic-int8")
    assert asked == [None] and [job[:2] for job in jobs] == [("keras", None), ("tflite", "dynamic-int8")]
    assert len(jobs[0][2][0]) == 64 and np.array_equal(jobs[1][2][0], images)
    assert np.array_equal(jobs[1][2][1], images * 10)


def test_the_validation_images_are_the_splits_first_ones_as_uint8(small_run):
    from resizer_plugin.zoo.finished_run import open_run

    run = open_run(str(small_run))
    every, first = export._validation_images(run), export._validation_images(run, 10)
    assert every.shape == (24, 48, 48, 3) and every.dtype == np.uint8
    assert np.array_equal(first, every[:10])


def test_a_check_that_fails_says_why_in_the_childs_words_and_writes_only_in_its_work_folder(tmp_path, monkeypatch):
    here, workdir = tmp_path / "cwd", tmp_path / "work"
    here.mkdir(), workdir.mkdir()
    monkeypatch.chdir(here)
    missing = str(tmp_path / "no_such_model.keras")
    with pytest.raises(export.ExportError, match=r"no_such_model\.keras: reloading it in a fresh process failed:\n"
                                                 r"(  .*\n)*  .*no_such_model\.keras"):
        export._check("keras", missing, np.zeros((2, 8, 8, 3), np.uint8), [], str(workdir))
    assert list(here.iterdir()) == [] and (workdir / "images.npy").is_file()


def _missing_tool(monkeypatch, fmt, tool):
    original = ExportFormat.missing_tools
    monkeypatch.setattr(ExportFormat, "missing_tools", lambda self: [tool] if self.name == fmt else original(self))


def test_a_quantized_export_needs_the_tflite_tools_though_its_formats_do_not(monkeypatch):
    _missing_tool(monkeypatch, "tflite", "a_tflite_converter")
    assert export.parse_formats("keras") == ["keras"]
    with pytest.raises(export.ExportError, match=r"--format keras: needs a_tflite_converter, not installed"):
        export.parse_formats("keras", quantize="dynamic-int8")


def test_the_backbone_format_is_refused_only_for_a_family_without_a_weights_option():
    takes = SimpleNamespace(backbone=SimpleNamespace(name="keras_applications", options={"weights": None}))
    export.check_backbone_format(takes, ["backbone"])
    refuses = SimpleNamespace(backbone=SimpleNamespace(name="small_cnn", options={"filters": None}))
    with pytest.raises(export.ExportError, match="--format backbone: the small_cnn backbone family takes no weights"):
        export.check_backbone_format(refuses, ["backbone"])


def test_each_artifact_gets_its_file_name_quantization_and_plugins_and_the_refused_are_returned(tmp_path, monkeypatch):
    """export_run with the writing and checking of each artifact replaced by a record of what it was given."""
    built = SimpleNamespace(model=SimpleNamespace(input_shape=(None, 8, 8, 3)), backbone_input=(4, 4, 3))
    monkeypatch.setattr(export, "serving_model", lambda run: built)
    monkeypatch.setattr(export, "_jobs", lambda run, b, formats, quantize: [(f, None, "ref") for f in formats] + [
        ("tflite", quantize, "all")])
    monkeypatch.setattr(export, "_plugins", lambda recipe: ["zoo.stages:resize"])
    given, refusal = [], export.ExportError("model.onnx: refused")

    def export_one(fmt, b, target, reference, plugins, workdir, quantization):
        given.append((fmt, os.path.basename(target), quantization, plugins if fmt != "backbone" else json.loads(
            pathlib.Path(plugins[0]).read_text())))
        if fmt == "onnx":
            raise refusal
        return {"file": os.path.basename(target)}

    monkeypatch.setattr(export, "export_one", export_one)
    shown = []
    report, records, refused = export.export_run(RUN, ["onnx", "backbone"], str(tmp_path / "out"), "float16",
                                                 shown.append)
    backbone = {"family": "keras_applications", "model": "DenseNet121", "options": {"x": 1}, "input": [4, 4, 3]}
    assert given == [("onnx", "model.onnx", None, ["zoo.stages:resize"]), ("backbone", "backbone.weights.h5", None,
                                                                          backbone),
                     ("tflite", "model_float16.tflite", "float16", ["zoo.stages:resize"])]
    assert refused == [refusal] and shown == [refusal] + records
    assert records == [{"file": "backbone.weights.h5"}, {"file": "model_float16.tflite"}]
    assert json.loads(pathlib.Path(report).read_text())["artifacts"] == records


def test_a_format_is_written_over_nothing_with_the_work_folder_and_quantization_it_is_given(tmp_path, monkeypatch):
    given = []
    monkeypatch.setitem(export.BY_NAME, "tflite", export.BY_NAME["tflite"]._replace(
        write=lambda built, path, workdir, quantize: given.append((built, os.path.exists(path), workdir, quantize))))
    (tmp_path / "model.tflite").write_bytes(b"an earlier, torn write")
    export._write("tflite", "BUILT", str(tmp_path / "model.tflite"), "WORK", "float16")
    assert given == [("BUILT", False, "WORK", "float16")]
