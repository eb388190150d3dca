"""The export check fails where it must (outputs that are not finite, one probability off though the mean is not),
and every process the host starts dies with it, even by SIGKILL, taking its parent's temporary files along."""
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from resizer_plugin.zoo.export import exporter as export

from .builders import ROOT

LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
#: what the Keras model gives on 64 validation images of 4 classes
EXPECTED = np.full((64, 4), 0.25, np.float32)


def _export_one(tmp_path, monkeypatch, outputs, quantize=None):
    """export_one on an artifact written as a few bytes whose check in the fresh process gives ``outputs``."""
    monkeypatch.setattr(export, "_write", lambda fmt, built, path, *args: pathlib.Path(path).write_bytes(b"model"))
    monkeypatch.setattr(export, "_check", lambda *args: (outputs, {"batch_1": 1.0, "batch_16": 1.0}))
    reference = (np.zeros((64, 8, 8, 3), np.uint8), EXPECTED)
    return export.export_one("keras", None, str(tmp_path / "model.keras"), reference, [], str(tmp_path), quantize)


@pytest.mark.parametrize("quantize", [None, "dynamic-int8"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_outputs_that_are_not_finite_are_refused_and_removed(tmp_path, monkeypatch, quantize, bad):
    outputs = EXPECTED.copy()
    outputs[5, 2] = bad
    with pytest.raises(export.ExportError, match="refused and removed: its outputs differ from the Keras model's by "
                                                 "NaN or infinity on 64 validation images"):
        _export_one(tmp_path, monkeypatch, outputs, quantize)
    assert list(tmp_path.iterdir()) == []


def test_one_probability_off_is_refused_though_the_mean_difference_is_within_tolerance(tmp_path, monkeypatch):
    outputs = EXPECTED.copy()
    outputs[7, 1] += 0.001  # the mean difference, 0.001 / 256, is 4e-6
    with pytest.raises(export.ExportError, match=r"differ from the Keras model's by up to 0\.001 on 64 validation "
                                                 r"images \(allowed 0\.0001\)"):
        _export_one(tmp_path, monkeypatch, outputs)
    assert list(tmp_path.iterdir()) == []


def test_the_record_holds_the_largest_difference(tmp_path, monkeypatch):
    outputs = EXPECTED.copy()
    outputs[3, 0] -= 6e-5
    record = _export_one(tmp_path, monkeypatch, outputs)
    assert record["max_abs_difference"] == pytest.approx(6e-5, rel=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_the_artifact_is_written_and_checked_where_it_is_named_and_its_record_says_so(tmp_path, monkeypatch):
    """The converter and the fresh-process check get the format, the partial file beside the target, the reference
    images, the plugins and the work folder; the record names the target and holds what the check found."""
    calls = []
    monkeypatch.setattr(export, "_write", lambda *args: calls.append(("write",) + args) or pathlib.Path(
        args[2]).write_bytes(b"model"))
    monkeypatch.setattr(export, "_check", lambda *args: calls.append(("check",) + args) or (
        EXPECTED, {"batch_1": 2.0, "batch_16": 3.0}))
    images = np.zeros((64, 8, 8, 3), np.uint8)
    record = export.export_one("tflite", "BUILT", str(tmp_path / "model.tflite"), (images, EXPECTED), ["gain"],
                               str(tmp_path / "work"))
    partial = str(tmp_path / ".partial.model.tflite")
    assert calls[0] == ("write", "tflite", "BUILT", partial, str(tmp_path / "work"), None)
    assert calls[1][:3] == ("check", "tflite", partial) and calls[1][3] is images
    assert calls[1][4:] == (["gain"], str(tmp_path / "work"))
    assert record == {"format": "tflite", "file": "model.tflite", "bytes": 5, "max_abs_difference": 0.0,
                      "compared_images": 64, "images_per_second": {"batch_1": 2.0, "batch_16": 3.0}}


def test_a_quantized_artifact_is_kept_with_its_top1_agreement(tmp_path, monkeypatch):
    expected = EXPECTED.copy()
    expected[32:, 2] = 0.5  # the Keras model picks class 0 for the first 32 images, class 2 for the others
    outputs = expected.copy()
    outputs[:16, 3] = 0.9  # 16 of 64 images now pick class 3
    monkeypatch.setattr(export, "_check", lambda *args: (outputs, {}))
    asked = []
    monkeypatch.setattr(export, "_write", lambda fmt, built, path, workdir, quantize: asked.append(quantize) or
                        pathlib.Path(path).write_bytes(b"model"))
    record = export.export_one("keras", None, str(tmp_path / "model.keras"), (np.zeros((64, 8, 8, 3)), expected), [],
                               str(tmp_path), "dynamic-int8")
    assert asked == ["dynamic-int8"]
    assert record["quantization"] == "dynamic-int8" and record["top1_agreement"] == 0.75
    assert record["max_abs_difference"] == pytest.approx(0.65) and record["file"] == "model.keras"


def test_a_converter_that_fails_is_named_and_leaves_nothing(tmp_path, monkeypatch):
    def failing(fmt, built, path, *args):
        pathlib.Path(path).write_bytes(b"half")
        raise RuntimeError("boom")
    monkeypatch.setattr(export, "_write", failing)
    with pytest.raises(export.ExportError, match=r"model\.tflite: writing tflite failed: RuntimeError: boom"):
        export.export_one("tflite", None, str(tmp_path / "model.tflite"), (None, None), [], str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_folder_artifact_weighs_what_its_files_weigh(tmp_path):
    (tmp_path / "saved" / "variables").mkdir(parents=True)
    (tmp_path / "saved" / "saved_model.pb").write_bytes(b"x" * 10)
    (tmp_path / "saved" / "variables" / "v.data").write_bytes(b"x" * 32)
    assert export._size(str(tmp_path / "saved")) == 42
    assert export._size(str(tmp_path / "saved" / "saved_model.pb")) == 10


def test_a_difference_of_exactly_the_tolerance_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "_write", lambda fmt, built, path, *args: pathlib.Path(path).write_bytes(b"model"))
    expected = np.zeros((2, 2))
    outputs = expected.copy()
    outputs[1, 1] = export.TOLERANCE
    monkeypatch.setattr(export, "_check", lambda *args: (outputs, {}))
    record = export.export_one("keras", None, str(tmp_path / "m.keras"), (np.zeros((2, 4, 4, 3)), expected), [],
                               str(tmp_path))
    assert record["max_abs_difference"] == export.TOLERANCE


#: a child tied to its parent: it reports itself tied, then waits to be ended
_CHILD = """
import sys, time
from resizer_plugin.zoo.training.children import die_with_parent
die_with_parent()
open(sys.argv[1], "w").close()
time.sleep(300)
"""
#: a parent that starts the child, tied and with leftovers or not, writes its pid, then waits to be killed
_PARENT = """
import json, subprocess, sys, time
from resizer_plugin.zoo.training.children import child_environment
ready, leftovers = sys.argv[1], json.loads(sys.argv[2])
child = subprocess.Popen([sys.executable, "-c", {child!r}, ready], env=child_environment(leftovers))
open(ready + ".pid", "w").write(str(child.pid))
time.sleep(300)
""".format(child=_CHILD)


def _wait(condition, seconds, what):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, what
        time.sleep(0.1)


def _ended(pid):
    """Whether process ``pid`` is gone, or a zombie left for its new parent to reap."""
    try:
        with open("/proc/{}/stat".format(pid)) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _kill(pid):
    if not _ended(pid):
        os.kill(pid, signal.SIGKILL)


@LINUX_ONLY
@pytest.mark.parametrize("with_leftovers", [False, True])
def test_a_child_dies_with_its_parent_killed_by_sigkill_and_removes_the_leftovers(tmp_path, with_leftovers):
    leftovers = tmp_path / "work"
    (leftovers / "sub").mkdir(parents=True)
    (leftovers / "sub" / "images.npy").write_bytes(b"x")
    ready = tmp_path / "ready"
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(ready),
                               '["{}"]'.format(leftovers) if with_leftovers else "[]"], cwd=str(ROOT))
    _sigkill_the_parent_and_see_its_child_end(
        parent, lambda: ready.exists() and (tmp_path / "ready.pid").exists(),
        lambda: int((tmp_path / "ready.pid").read_text()), started_within=60, ended_within=20)
    assert leftovers.exists() != with_leftovers


def _sigkill_the_parent_and_see_its_child_end(parent, started, child_pid, started_within, ended_within):
    """Once ``started()``, SIGKILL ``parent`` and assert its child (``child_pid()``) ends within ``ended_within``
    seconds; neither outlives the test."""
    child = None
    try:
        _wait(started, started_within, "the child never started")
        child = child_pid()
        assert child, "the child could not be seen (the parent's exit status: {})".format(parent.poll())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        _wait(lambda: _ended(child), ended_within, "the child outlived its parent")
    finally:
        _kill(parent.pid)
        if child:
            _kill(child)


#: TensorFlow's own temporary files (AutoGraph's converted functions), which it removes at exit and a SIGKILL leaves
#: behind in any TensorFlow program
AUTOGRAPH = "__autograph_generated_file"


def _check_child(parent_pid):
    """The pid of the export check process ``parent_pid`` started, or None."""
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/{}/stat".format(entry)) as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/{}/cmdline".format(entry), "rb") as handle:
                command = handle.read()
        except (OSError, ValueError):
            continue
        if ppid == parent_pid and b"resizer_plugin.zoo.export.check" in command:
            return int(entry)
    return None


@LINUX_ONLY
@pytest.mark.slow
def test_a_killed_export_leaves_neither_its_check_process_nor_its_temporary_files(small_run, tmp_path):
    temporary, out = tmp_path / "tmp", tmp_path / "served"
    temporary.mkdir()
    command = [os.path.join(os.path.dirname(sys.executable), "zoo"), "export", str(small_run), "--format", "keras",
               "--output", str(out)]
    parent = subprocess.Popen(command, env=dict(os.environ, TMPDIR=str(temporary)), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    _sigkill_the_parent_and_see_its_child_end(
        parent, lambda: _check_child(parent.pid) or parent.poll() is not None, lambda: _check_child(parent.pid),
        started_within=300, ended_within=30)
    left = [p.name for p in temporary.iterdir() if not p.name.startswith(AUTOGRAPH)]
    assert left == [] and list(out.iterdir()) == []
