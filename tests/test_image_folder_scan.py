"""The image_folder source's scan: headers only, cached beside the data or in the user's cache, one scan per launch;
a file that fails only at decode skipped and counted in training (issue 37)."""
import ctypes
import fcntl
import io
import json
import logging
import os
import subprocess
import sys
import time

import pytest

from resizer_plugin import folder_scan
from resizer_plugin.datasets import image_folder as image_folder_module
from resizer_plugin.datasets.image_folder import image_folder
from resizer_plugin.folder_scan import CACHE_NAME, FORMAT_VERSION, scan_folder, user_cache_file
from resizer_plugin.zoo.contract import DataError

from .builders import ROOT, small_recipe, write_recipe, zoo_run
from .fixtures import BAD_FILES, write_image_folder

CLASSES = ["Cat", "Dog"]
#: write_image_folder's files (4 photos a class): 8 photos, grayscale JPEG, RGBA PNG, GIF, the truncated JPEG, the
#: empty file and the text file; the header check skips the last two
FILES, HEADER_SKIPS = 14, {"empty": 1, "not an image": 1}


@pytest.fixture
def pets(tmp_path):
    return write_image_folder(tmp_path / "pets", per_class=4)


@pytest.fixture
def scan_log(caplog, monkeypatch):
    """The scan's log lines, whatever an in-process CLI run set on the package's logger before."""
    monkeypatch.setattr(logging.getLogger("resizer_plugin"), "propagate", True)
    caplog.set_level(logging.INFO, logger="resizer_plugin.folder_scan")
    return caplog


def _scan(folder, log=None):
    """scan_folder of the two classes, and the scan's log lines (cleared after)."""
    scan = scan_folder(folder, CLASSES)
    lines = [record.getMessage() for record in log.records] if log is not None else []
    if log is not None:
        log.clear()
    return scan, lines


def _counts(scan):
    return {reason: len(paths) for reason, paths in scan.skipped.items()}


def test_the_second_start_uses_the_cache(pets, scan_log):
    first, lines = _scan(pets, scan_log)
    cache = os.path.join(pets, CACHE_NAME)
    assert _counts(first) == HEADER_SKIPS and first.examined == FILES and len(first.paths) == FILES - 2
    assert any(": checked " in line for line in lines) and lines[-1] == "scan cache: written " + cache
    second, lines = _scan(pets, scan_log)
    assert lines == ["scan cache: used " + cache]
    assert second.paths == first.paths and second.labels.tolist() == first.labels.tolist()
    assert second.skipped == first.skipped and second.labels.dtype == "int64"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_first_scan_shows_its_progress_on_a_terminal_and_logs_one_line(pets, scan_log, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _, lines = _scan(pets, scan_log)
    shown = terminal.getvalue()
    assert shown.startswith("\rscan of {}: {} of {} files, ".format(pets, FILES, FILES)) and shown.endswith(" left \n")
    assert len([line for line in lines if line.startswith("scan of {}: checked {} files in ".format(pets, FILES))]) == 1
    assert _scan(pets, scan_log)[1] == ["scan cache: used " + os.path.join(pets, CACHE_NAME)]
    assert terminal.getvalue() == shown  # no progress for a start that reads the cache


def _add(folder):
    with open(os.path.join(folder, "Dog", "added.jpg"), "w") as handle:
        handle.write("not a photo")
    return {"not an image": 2}, FILES + 1


def _change(folder):
    path = os.path.join(folder, "Cat", "0.jpg")
    status = os.stat(path)
    with open(path, "w") as handle:  # a photo replaced by text, then given back its size and modification time: no
        handle.write("x" * status.st_size)  # cache keyed by the size alone or the time alone would notice
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1))
    return {"not an image": 2}, FILES


def _remove(folder):
    os.remove(os.path.join(folder, "Dog", "notes.jpg"))
    return {"not an image": 0}, FILES - 1


@pytest.mark.parametrize("edit", [_add, _change, _remove], ids=["added", "changed", "removed"])
def test_the_cache_is_ignored_after_a_file_is_added_changed_or_removed(pets, scan_log, edit):
    _scan(pets, scan_log)
    counts, examined = edit(pets)
    scan, lines = _scan(pets, scan_log)
    cache = os.path.join(pets, CACHE_NAME)
    assert lines[0] == "scan cache: ignored {}: the files changed since it was written".format(cache)
    assert lines[-1] == "scan cache: written " + cache
    expected = {reason: count for reason, count in dict(HEADER_SKIPS, **counts).items() if count}
    assert _counts(scan) == expected and scan.examined == examined
    assert _scan(pets, scan_log)[1] == ["scan cache: used " + cache]


def _torn(text):
    return text[:len(text) // 2]


def _other_version(text):
    return json.dumps(dict(json.loads(text), version=FORMAT_VERSION + 1))


def _foreign(text):
    return json.dumps({"images": ["Cat/0.jpg"], "key": json.loads(text)["key"]})


@pytest.mark.parametrize("spoil, why", [(_torn, "torn or not JSON"), (_other_version, "format version 2, not 1"),
                                        (_foreign, "not a folder scan cache")], ids=["torn", "version", "foreign"])
def test_a_torn_or_foreign_cache_is_ignored_and_rewritten(pets, scan_log, spoil, why):
    _scan(pets, scan_log)
    cache = os.path.join(pets, CACHE_NAME)
    with open(cache) as handle:
        good = handle.read()
    with open(cache, "w") as handle:
        handle.write(spoil(good))
    scan, lines = _scan(pets, scan_log)
    assert lines[0] == "scan cache: ignored {}: {}".format(cache, why)
    assert lines[-1] == "scan cache: written " + cache and _counts(scan) == HEADER_SKIPS
    with open(cache) as handle:
        assert json.load(handle) == json.loads(good)


def _without_write_permission():
    """In the child: give up the capabilities that let root write anywhere (as root, the permission bits alone stop
    nothing); as another user, nothing to give up (prctl fails, harmlessly)."""
    libc = ctypes.CDLL(None)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP: gone from the bounding set, so from the exec'd child


_SCAN_AND_LOG = ("import logging, sys\nlogging.basicConfig(level=logging.INFO, format='%(message)s')\n"
                 "from resizer_plugin.folder_scan import scan_folder\nscan_folder(sys.argv[1], ['Cat', 'Dog'])\n")


def _scan_in_a_child(folder, env):
    result = subprocess.run([sys.executable, "-c", _SCAN_AND_LOG, folder], capture_output=True, text=True, cwd=ROOT,
                            env=env, preexec_fn=_without_write_permission)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def test_a_read_only_data_folder_uses_the_user_cache(pets, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    user_cache, env = user_cache_file(pets), dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    assert user_cache.startswith(str(tmp_path / "xdg" / "resizer-plugin") + os.sep)
    os.chmod(pets, 0o555)
    try:
        first = _scan_in_a_child(pets, env)
        second = _scan_in_a_child(pets, env)
    finally:
        os.chmod(pets, 0o755)
    assert "scan cache: written " + user_cache in first and "scan cache: used " + user_cache in second
    assert sorted(os.listdir(pets)) == CLASSES  # nothing written beside the data


_SLOW_SCAN = """
import logging, os, sys, time
from resizer_plugin import folder_scan
logging.basicConfig(level=logging.INFO, format="%(message)s")
checked = folder_scan._check
def slow(paths, refused):  # the check takes a second: the two processes overlap
    time.sleep(1.0)
    return checked(paths, refused)
folder_scan._check = slow
open(sys.argv[2] + ".ready." + str(os.getpid()), "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.01)
folder_scan.scan_folder(sys.argv[1], ["Cat", "Dog"])
"""


def test_two_processes_of_one_launch_scan_once(pets, tmp_path):
    """Both start their scan at once (a file starts them); one checks the files and writes the cache while the
    other waits for its lock, then reads the cache."""
    flag = str(tmp_path / "start")
    processes = [subprocess.Popen([sys.executable, "-c", _SLOW_SCAN, pets, flag], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    deadline = time.time() + 120
    while len([name for name in os.listdir(str(tmp_path)) if name.startswith("start.ready.")]) < 2:
        assert time.time() < deadline and all(p.poll() is None for p in processes), "the processes did not start"
        time.sleep(0.05)
    open(flag + ".go", "w").close()
    logs = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], logs
    scanned = [log for log in logs if "scan cache: written" in log]
    read = [log for log in logs if "scan cache: used" in log]
    assert len(scanned) == 1 and len(read) == 1, logs
    assert "waiting for the process that holds" in read[0] and ": checked " not in read[0]


def test_a_large_folder_is_checked_over_a_pool_of_processes_alike(pets, monkeypatch):
    inline, _ = _scan(pets)
    os.remove(os.path.join(pets, CACHE_NAME))
    monkeypatch.setattr(folder_scan, "INLINE_BELOW", 0)
    monkeypatch.setattr(folder_scan, "_cores", lambda: 2)
    monkeypatch.setattr(folder_scan, "_CHUNK", 3)  # several chunks, their order kept
    pooled, _ = _scan(pets)
    assert pooled.paths == inline.paths and pooled.skipped == inline.skipped
    assert pooled.labels.tolist() == inline.labels.tolist()


def test_a_process_that_waits_too_long_for_the_scan_of_another_says_for_what(pets, monkeypatch):
    lock = os.path.join(pets, CACHE_NAME + ".lock")
    monkeypatch.setattr(folder_scan, "LOCK_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(image_folder_module, "_SCANS", {})
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(DataError, match="waited 0.3 s for {}, held by another process scanning {}".format(
                lock, pets)) as info:
            image_folder.load(image_folder.validate({"data_dir": pets}), "train", None)
    assert info.value.key == "data_dir"


def test_a_file_that_fails_only_at_decode_is_skipped_and_counted_in_training(pets, tmp_path):
    """The truncated JPEG passes the header check; training meets it (every file is read: whole-split epochs),
    skips it, counts it with the scan's skips in the log and metrics.json, and trains its epoch to the end."""
    recipe = small_recipe({"data.source": "image_folder", "data.data_dir": pets, "data.train_examples": None,
                           "data.val_examples": None, "data.batch_size": 4, "data.image_size": [32, 32],
                           "model.stages": [{"type": "rescale"}]})
    out = tmp_path / "run"
    result = zoo_run(write_recipe(tmp_path, recipe), "--output-dir", out)
    assert result.exit_code == 0, result.output + result.stderr
    assert "skipped 2 of {} files (1 empty, 1 not an image)".format(FILES) in result.stderr
    assert "skipped 3 of {} files (1 corrupt or truncated, 1 empty, 1 not an image)".format(FILES) in result.stderr
    with open(str(out / "metrics.json")) as handle:
        metrics = json.load(handle)
    assert metrics["skipped_files"] == BAD_FILES and metrics["epochs"] == 1
