"""The run folder's rule: a folder holding a run (metrics.json or a checkpoint) is never written over, a start that
failed before its first checkpoint is taken over, a folder of other files is no run's; and a refused --resume
leaves every file of the run it refused as it was."""
import hashlib
import os
import shutil

import pytest

from resizer_plugin.zoo.training.run_dir import OutputDirError, RunDirectory, check_output_dir

from .builders import small_recipe, write_recipe, zoo_run

#: what a start that failed inside its first epoch leaves (no checkpoint, no metrics.json)
FAILED_START = [".lock", "recipe.yaml", "train.log", "history.csv", "checkpoints/best/",
                "checkpoints/ckpt-1.npz.partial", "logs/train/events.out.tfevents.1.host.2.v2",
                "pictures/stages_before.png"]


def _lay_out(root, entries):
    """Make ``entries`` under ``root``: a path ending in / is a folder, any other a small file."""
    for entry in entries:
        path = root / entry
        if entry.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
    return RunDirectory(str(root))


@pytest.mark.parametrize("entries", [["metrics.json"], ["checkpoints/ckpt-2.npz"], ["checkpoints/steps/ckpt-7.npz"],
                                     ["checkpoints/best/ckpt-1.npz"], ["checkpoints/ckpt-1.index"],
                                     FAILED_START + ["checkpoints/ckpt-1.npz"]],
                         ids=["metrics", "epoch", "steps", "best", "tensorflow", "failed-start-with-checkpoint"])
def test_a_folder_with_metrics_or_any_checkpoint_holds_a_run(tmp_path, entries):
    """Fails where the rule looks at metrics.json alone: each folder but the first has no metrics.json."""
    run_dir = _lay_out(tmp_path / "run", entries)
    with pytest.raises(OutputDirError, match=r"already holds a run \(.*(metrics\.json|ckpt-)"):
        check_output_dir(run_dir, resume=False)
    assert check_output_dir(run_dir, resume=True) == []


def test_what_a_failed_start_left_is_taken_over(tmp_path):
    run_dir = _lay_out(tmp_path / "run", FAILED_START + ["logs/validation/", "pictures/"])
    for resume in (False, True):
        assert check_output_dir(run_dir, resume) == ["checkpoints", "history.csv", "logs", "pictures", "recipe.yaml",
                                                     "train.log"]


def test_the_folders_other_processes_of_the_launch_write_are_left_to_them(tmp_path):
    """A worker's folder inside the chief's (what it holds is no user's file) is not the chief's to judge; the same
    name deeper down is."""
    run_dir = _lay_out(tmp_path / "run", FAILED_START + ["worker-1/notes.txt"])
    assert "worker-1" not in check_output_dir(run_dir, False, siblings=["worker-1"])
    _lay_out(tmp_path / "run", ["checkpoints/worker-1/notes.txt"])
    with pytest.raises(OutputDirError, match=r"holds what no run start makes \(checkpoints/worker-1/notes.txt"):
        check_output_dir(run_dir, False, siblings=["worker-1"])


def test_a_held_folder_is_refused_naming_its_holder(tmp_path):
    import fcntl

    run_dir = _lay_out(tmp_path / "run", ["recipe.yaml"])
    held = run_dir.lock()
    with pytest.raises(OutputDirError, match=r"is being written by zoo-run \(pid {}\): one run, one writer".format(
            os.getpid())):
        run_dir.lock()
    held.release()
    with open(tmp_path / "run" / ".lock", "w") as handle:  # held by a process that named nothing
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(OutputDirError, match="is being written by another process"):
            run_dir.lock()


def test_a_run_folder_holds_the_files_outputs_md_names_where_it_names_them(tmp_path):
    run_dir = RunDirectory(str(tmp_path))
    where = {name: os.path.relpath(getattr(run_dir, name), str(tmp_path)) for name in (
        "log", "recipe", "history", "checkpoints", "best_checkpoints", "step_checkpoints", "tensorboard", "metrics",
        "evaluation", "export", "pictures", "training_curves", "confusion_matrix")}
    assert where == {"log": "train.log", "recipe": "recipe.yaml", "history": "history.csv",
                     "checkpoints": "checkpoints", "best_checkpoints": "checkpoints/best",
                     "step_checkpoints": "checkpoints/steps", "tensorboard": "logs", "metrics": "metrics.json",
                     "evaluation": "eval.json", "export": "export", "pictures": "pictures",
                     "training_curves": "pictures/training_curves.png",
                     "confusion_matrix": "pictures/confusion_matrix.png"}


def test_a_folder_that_cannot_be_made_or_written_is_said_so_naming_it(tmp_path, monkeypatch):
    from resizer_plugin.zoo.training.run_dir import make_folder

    (tmp_path / "afile").write_text("x")
    assert make_folder(str(tmp_path / "afile" / "sub")) == "{} is a file, not a folder".format(tmp_path / "afile")
    long_name = str(tmp_path / ("x" * 300))
    assert make_folder(long_name) == "cannot make {}: File name too long".format(long_name)
    assert make_folder(str(tmp_path / "fine")) is None
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK)  # as if not root, on a read-only disk
    assert make_folder(str(tmp_path / "fine")) == "{} is not writable".format(tmp_path / "fine")


def test_a_lock_let_go_after_a_run_names_its_last_holder(tmp_path):
    run_dir = _lay_out(tmp_path / "run", ["recipe.yaml"])
    run_dir.lock().release()
    assert (tmp_path / "run" / ".lock").read_text() == "zoo-run (pid {})".format(os.getpid())
    run_dir.lock().release(refused=True)  # a refused command puts back what the file said
    assert (tmp_path / "run" / ".lock").read_text() == "zoo-run (pid {})".format(os.getpid())


def test_the_recipe_is_written_in_its_own_key_order_and_pictures_go_to_pictures(tmp_path):
    run_dir = RunDirectory(str(tmp_path / "run"))
    run_dir.create({"name": "r", "seed": 1, "data": {"source": "s"}})
    assert (tmp_path / "run" / "recipe.yaml").read_text() == "name: r\nseed: 1\ndata:\n  source: s\n"
    assert run_dir.stages_picture("after") == str(tmp_path / "run" / "pictures" / "stages_after.png")


@pytest.mark.parametrize("entries", [["notes.txt"], ["data/"], ["pictures/holiday.jpg"],
                                     ["checkpoints/model.weights.h5"], FAILED_START + ["README.md"]])
def test_a_folder_of_other_files_is_no_runs_with_or_without_resume(tmp_path, entries):
    run_dir = _lay_out(tmp_path / "mine", entries)
    for resume in (False, True):
        with pytest.raises(OutputDirError, match="holds what no run start makes"):
            check_output_dir(run_dir, resume)


def _hashes(folder):
    """{path relative to ``folder``: sha256 of its bytes} of every file under it."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """(recipe file, folder) of a finished 1-epoch run of the small recipe."""
    folder = tmp_path_factory.mktemp("finished")
    recipe = write_recipe(folder, small_recipe(), "small.yaml")
    result = zoo_run(recipe, "--output-dir", folder / "run")
    assert result.exit_code == 0, result.output
    return recipe, folder / "run"


def _plant_model_only(run):
    shutil.copy(str(run / "checkpoints" / "best" / "ckpt-1.npz"), str(run / "checkpoints" / "ckpt-2.npz"))


def _plant_hdf5(run):
    (run / "checkpoints" / "ckpt-2.npz").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(1016))


def _data_dir_gone(tmp_path):
    """The recipe with its data in an image folder that is no longer there."""
    return write_recipe(tmp_path, small_recipe({"data.source": "image_folder", "data.data_dir": str(tmp_path / "gone"),
                                                "data.train_examples": None, "data.val_examples": None}), "gone.yaml")


@pytest.mark.parametrize("plant, recipe_for, args, phrase", [
    (None, None, ["--set", "model.stages.1.filters=6"], "does not fit this model"),
    (None, None, ["--set", "data.batch_size=64", "--set", "data.drop_remainder=true"], "fewer than one batch of 64"),
    (None, _data_dir_gone, [], "data.data_dir"),
    (_plant_model_only, None, [], "ckpt-2.npz: no training checkpoint"),
    (_plant_hdf5, None, [], "ckpt-2.npz: no training checkpoint"),
], ids=["model-differs", "split-smaller-than-a-batch", "data-dir-gone", "model-only-checkpoint", "hdf5-weights"])
def test_a_refused_resume_leaves_every_file_of_the_run_as_it_was(finished, tmp_path, plant, recipe_for, args,
                                                                 phrase):
    """Every file is compared, .lock included (it names its holder while held and gets back what it said). The run
    as a kill between a history row and its checkpoint leaves it, with a partial checkpoint file: a refused resume
    must neither trim the history nor remove the partial file, rewrite recipe.yaml nor append to the log."""
    recipe, run = finished[0], tmp_path / "run"
    shutil.copytree(str(finished[1]), str(run))
    with open(str(run / "history.csv"), "a") as handle:
        handle.write("1,0.5,0.003,1.0,9.0,0.5,1.0\n")  # epoch 2's row; its checkpoint never written
    (run / "checkpoints" / "ckpt-2.npz.partial").write_bytes(b"half a checkpoint")
    (run / ".lock").write_text("zoo-run (pid 1)")  # the process that trained was another than this one
    if plant:
        plant(run)
    before = _hashes(run)
    result = zoo_run(recipe_for(tmp_path) if recipe_for else recipe, "--output-dir", run, "--resume", *args)
    assert result.exit_code == 2 and phrase in result.stderr, result.output
    assert "Traceback" not in result.output
    assert _hashes(run) == before


def test_a_model_only_checkpoint_names_the_warm_start_key(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(str(finished[1]), str(run))
    _plant_model_only(run)
    result = zoo_run(finished[0], "--output-dir", run, "--resume")
    error = result.stderr.strip().splitlines()[-1]
    assert result.exit_code == 2 and error.startswith("zoo-run: error: ") and "KeyError" not in result.output
    assert "move it out of" in error and "zoo export RUN --format backbone" in error \
        and "model.backbone.weights" in error


def test_an_interrupted_run_without_metrics_is_refused_without_resume(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(str(finished[1]), str(run))
    (run / "metrics.json").unlink()
    before = _hashes(run)
    result = zoo_run(finished[0], "--output-dir", run)
    assert result.exit_code == 2 and "already holds a run (checkpoints/" in result.stderr, result.output
    assert "--resume" in result.stderr and _hashes(run) == before


@pytest.mark.parametrize("override, phrase", [
    ("data.batch_size=64", "fewer than one batch of 64"),
    ("model.backbone={type: keras.applications/MobileNetV2}", "model.backbone: "),  # 24x24 from the stages: too small
], ids=["split-smaller-than-a-batch", "backbone-cannot-be-built"])
def test_a_start_refused_before_training_does_not_block_the_corrected_rerun(tmp_path, override, phrase):
    recipe, out = write_recipe(tmp_path, small_recipe()), tmp_path / "run"
    refused = zoo_run(recipe, "--output-dir", out, "--set", override, "--set", "data.drop_remainder=true")
    assert refused.exit_code == 2 and phrase in refused.stderr and "Traceback" not in refused.output
    assert "--resume" not in refused.stderr
    assert sorted(os.listdir(str(out))) == [".lock"]  # nothing but the lock, as empty as it was made
    assert (out / ".lock").read_text() == ""
    result = zoo_run(recipe, "--output-dir", out)
    assert result.exit_code == 0, result.output


def test_a_start_that_crashed_before_its_first_checkpoint_is_taken_over(tmp_path, monkeypatch):
    from resizer_plugin.zoo.training.checkpoints import Checkpoints

    recipe, out = write_recipe(tmp_path, small_recipe()), tmp_path / "run"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Checkpoints, "save_epoch", disk_full)
    crashed = zoo_run(recipe, "--output-dir", out)
    assert crashed.exit_code == 1 and "No space left on device" in crashed.stderr
    assert {"recipe.yaml", "train.log", "history.csv", "pictures"} <= set(os.listdir(str(out)))
    monkeypatch.undo()
    result = zoo_run(recipe, "--output-dir", out)
    assert result.exit_code == 0, result.output
    log = (out / "train.log").read_text()
    assert "OSError: [Errno 28] No space left on device" in log  # the failed start's traceback, kept
    assert "taking over what a start that failed before its first checkpoint left (checkpoints, history.csv, logs, " \
           "pictures, recipe.yaml, train.log)" in log
