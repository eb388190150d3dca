"""The Ascend runtime against a faithful double of npu_device: every port flag reaches its attribute, in order."""
import json
import math
import os
import sys

import pytest
import tensorflow as tf
import yaml

from resizer_plugin.runtimes import ascend as ascend_runtime
from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.cli import train as cli
from resizer_plugin.zoo.config.recipe import RecipeError, load_recipe

from .builders import latest_checkpoint, small_recipe, zoo_run
from .npu_device_double import make_npu_device, settings
from .test_ascend_port import port_awk

#: the small recipe at 32x32 with the recipe's default optimizer and runtime (auto: ascend, where npu_device imports)
RECIPE = small_recipe({"name": "npu", "seed": 3, "data.image_size": [32, 32], "data.batch_size": 4,
                       "data.train_examples": 5, "data.val_examples": 2,
                       "model.stages": [{"type": "rescale"},
                                        {"type": "learnable_resizer", "target_size": [16, 16], "filters": 4}],
                       "model.backbone": {"type": "small_cnn", "filters": 4, "blocks": 1},
                       "train.steps_per_epoch": 2, "train.log_steps": 1, "train.optimizer": None, "runtime": None})


@pytest.fixture
def npu(monkeypatch):
    double = make_npu_device()
    monkeypatch.setitem(sys.modules, "npu_device", double)
    return double


@pytest.fixture
def recipe_file(tmp_path):
    path = tmp_path / "npu.yaml"
    path.write_text(yaml.safe_dump(RECIPE))
    return str(path)


def _start(recipe_file, *flags):
    """Parse zoo-run's flags as the CLI does, load the recipe, start its runtime."""
    params = cli.main.make_context("zoo-run", [recipe_file] + list(flags)).params
    port = {flag.name: params[flag.name] for flag in ascend_runtime.PORT_FLAGS}
    recipe = load_recipe(recipe_file, cli.recipe_overrides(params["overrides"], None, params["device"], port))
    return recipe, recipe.runtime.start(recipe.runtime_options)


@pytest.fixture
def files(tmp_path):
    mixlist, fusion = tmp_path / "mixlist.json", tmp_path / "fusion_off.cfg"
    mixlist.write_text(json.dumps({"black-list": {"to-add": ["Conv2D"]}}))
    fusion.write_text("{}")
    return str(mixlist), str(fusion)


def test_precision_mode_flag_with_the_ports_value(npu, recipe_file):
    recipe, session = _start(recipe_file, "--precision_mode=allow_mix_precision")
    assert recipe.runtime.name == "ascend" and settings(npu)["precision_mode"] == "allow_mix_precision"
    assert session.static_shapes and session.output_subdir() == "0"


def test_over_dump_flags(npu, recipe_file, tmp_path):
    _start(recipe_file, "--over_dump=True", "--over_dump_path={}".format(tmp_path))
    assert settings(npu) == {"precision_mode": "allow_mix_precision", "dump_config.enable_dump_debug": True,
                             "dump_config.dump_path": str(tmp_path), "dump_config.dump_debug_mode": "all"}


def test_data_dump_flags(npu, recipe_file, tmp_path):
    _start(recipe_file, "--data_dump_flag=True", "--data_dump_step=0|5|10", "--data_dump_path", str(tmp_path))
    got = settings(npu)
    assert got["dump_config.enable_dump"] is True and got["dump_config.dump_step"] == "0|5|10"
    assert got["dump_config.dump_path"] == str(tmp_path) and got["dump_config.dump_mode"] == "all"


def test_data_dump_defaults_are_the_ports(npu, recipe_file, tmp_path):
    _start(recipe_file, "--data_dump_flag=True", "--data_dump_path", str(tmp_path))
    got = settings(npu)
    assert got["dump_config.dump_step"] == "10" and got["dump_config.dump_mode"] == "all"


def test_profiling_flags_set_the_ports_profiling_options(npu, recipe_file, tmp_path):
    _start(recipe_file, "--profiling=True", "--profiling_dump_path={}".format(tmp_path))
    got = settings(npu)
    assert got["profiling_config.enable_profiling"] is True
    assert json.loads(got["profiling_config.profiling_options"]) == {
        "output": str(tmp_path), "training_trace": "on", "task_trace": "on", "aicpu": "on",
        "aic_metrics": "PipeUtilization", "fp_point": "", "bp_point": ""}


def test_auto_tune_flag(npu, recipe_file):
    recipe, _ = _start(recipe_file, "--auto_tune=True")
    assert recipe.runtime.name == "ascend" and settings(npu)["auto_tune_mode"] == "RL,GA"


@pytest.mark.parametrize("precision, flags, mode", [
    (None, [], "allow_mix_precision"),                    # the port's launch scripts pass this
    ("float32", [], "force_fp32"),
    ("mixed", [], "allow_mix_precision"),
    ("float32", ["--precision_mode=allow_fp32_to_fp16"], "allow_fp32_to_fp16"),  # precision_mode wins
])
def test_the_recipe_wide_precision_key_maps_to_a_precision_mode(npu, tmp_path, precision, flags, mode):
    recipe = dict(RECIPE, runtime={"device": "ascend"} if precision is None else {"device": "ascend",
                                                                                 "precision": precision})
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(recipe))
    loaded, _ = _start(str(path), *flags)
    assert loaded.runtime_options["precision_mode"] == mode and settings(npu)["precision_mode"] == mode


def test_profiling_options_from_the_recipe_pass_through(npu, recipe_file):
    _start(recipe_file, "--device", "ascend", "--set", "runtime.profiling=true",
           "--set", 'runtime.profiling_options={"output": "/p", "task_trace": "on"}')
    assert json.loads(settings(npu)["profiling_config.profiling_options"]) == {"output": "/p", "task_trace": "on"}


def test_mixlist_flags(npu, recipe_file, files):
    _start(recipe_file, "--precision_mode=allow_mix_precision", "--use_mixlist=True", "--mixlist_file", files[0])
    assert settings(npu)["modify_mixlist"] == files[0]


def test_mixlist_file_is_ignored_without_use_mixlist(npu, recipe_file, files):
    _start(recipe_file, "--precision_mode=allow_mix_precision", "--use_mixlist=False", "--mixlist_file", files[0])
    assert "modify_mixlist" not in settings(npu)


def test_fusion_off_flags(npu, recipe_file, files):
    _start(recipe_file, "--fusion_off_flag=True", "--fusion_off_file", files[1])
    assert settings(npu)["fusion_switch_file"] == files[1]


def test_compiler_cache_and_memory_options(npu, recipe_file, tmp_path):
    _start(recipe_file, "--device", "ascend", "--set", "runtime.op_compiler_cache_mode=enable",
           "--set", "runtime.op_compiler_cache_dir={}".format(tmp_path),
           "--set", "runtime.graph_memory_max_size=21474836480", "--set", "runtime.variable_memory_max_size=1000")
    got = settings(npu)
    assert got["op_compiler_cache_mode"] == "enable" and got["op_compiler_cache_dir"] == str(tmp_path)
    assert got["graph_memory_max_size"] == "21474836480" and got["variable_memory_max_size"] == "1000"


def test_generic_port_flags_set_recipe_keys(npu, recipe_file, tmp_path):
    recipe, session = _start(recipe_file, "--static=1", "--log_steps=7", "--epoch=3", "--batch_size=8",
                             "--precision_mode=force_fp32")
    config = recipe.config
    assert recipe.runtime_options["static_shapes"] is True and session.static_shapes
    assert config["train"]["log_steps"] == 7
    assert config["train"]["epochs"] == 3 and config["data"]["batch_size"] == 8
    port = {flag.name: None for flag in ascend_runtime.PORT_FLAGS}
    port["data_path"] = str(tmp_path)
    assert cli.recipe_overrides((), None, None, port) == [("data.data_dir", str(tmp_path))]


def test_every_option_is_set_before_the_device_opens(npu, recipe_file, tmp_path, files):
    _start(recipe_file, "--precision_mode=allow_mix_precision", "--over_dump=True", "--data_dump_flag=True",
           "--over_dump_path", str(tmp_path), "--profiling=True", "--profiling_dump_path", str(tmp_path),
           "--use_mixlist=True", "--mixlist_file", files[0], "--fusion_off_flag=True", "--fusion_off_file", files[1])
    kinds = [event[0] for event in npu.events]
    assert kinds.index("open") == len(kinds) - 2 and kinds[-1] == "as_default" and npu.events[-2] == ("open", 0, 1, 0)
    assert kinds.count("set") == 12


#: written out, not read from the code under test: the modes that compute in float16
FLOAT16 = {"allow_fp32_to_fp16", "force_fp16", "allow_mix_precision", "cube_fp16in_fp32out", "allow_mix_precision_fp16"}


@pytest.mark.parametrize("mode", ascend_runtime.PRECISION_MODES)
@pytest.mark.parametrize("scaling", ["off", "auto", "on"])
def test_loss_scaling_only_when_asked(npu, recipe_file, mode, scaling):
    """The port trains without loss scaling: off by default; auto scales the float16 modes; on scales any mode."""
    from resizer_plugin.compat import keras

    flags = ["--precision_mode={}".format(mode)] + ([] if scaling == "off" else ["--set",
                                                                                "runtime.loss_scaling=" + scaling])
    recipe, session = _start(recipe_file, *flags)
    assert settings(npu)["precision_mode"] == mode and recipe.runtime_options["loss_scaling"] == scaling
    inner = keras.optimizers.SGD(0.01)
    optimizer = session.wrap_optimizer(inner)
    scaled = [e for e in npu.events if e[0] == "NpuLossScaleOptimizer"]
    expected = scaling == "on" or (scaling == "auto" and mode in FLOAT16)
    assert bool(scaled) == expected and (optimizer is not inner) == expected
    if expected:
        assert scaled == [("NpuLossScaleOptimizer", True, None, None)]
        assert isinstance(optimizer, (keras.optimizers.LossScaleOptimizer if hasattr(keras.optimizers,
                          "LossScaleOptimizer") else keras.mixed_precision.LossScaleOptimizer))


def test_loss_scale_settings_reach_the_npu_optimizer(npu, recipe_file):
    from resizer_plugin.compat import keras

    _, session = _start(recipe_file, "--set", "runtime.loss_scaling=on", "--set", "runtime.initial_scale=1024",
                        "--set", "runtime.growth_steps=500")
    session.wrap_optimizer(keras.optimizers.SGD(0.01))
    assert ("NpuLossScaleOptimizer", True, 1024.0, 500) in npu.events


@pytest.mark.parametrize("flags, key, phrase", [
    (["--precision_mode=fp16"], "runtime.precision_mode", "must be one of"),
    (["--precision_mode=force_fp32", "--use_mixlist=True", "--mixlist_file=MIX"], "runtime.mixlist_file",
     "applies to the mixed precision modes"),
    (["--precision_mode=allow_mix_precision", "--use_mixlist=True", "--mixlist_file=/no/such/mixlist.json"],
     "runtime.mixlist_file", "does not exist"),
    (["--over_dump=True"], "runtime.dump_path", "is required"),
    (["--profiling=True"], "runtime.profiling_options", "needs profiling_options or profiling_path"),
    (["--device", "ascend", "--set", "runtime.profiling_options='output: not json'"], "runtime.profiling_options",
     "Expecting"),
])
def test_bad_ascend_options_fail_before_the_device_opens(npu, recipe_file, files, flags, key, phrase):
    flags = [f.replace("MIX", files[0]) for f in flags]
    with pytest.raises(RecipeError) as info:
        _start(recipe_file, *flags)
    assert info.value.key == key and phrase in str(info.value)
    assert npu.events == []


def test_dump_paths_that_disagree_are_an_error(recipe_file, npu):
    result = zoo_run(recipe_file, "--over_dump_path=/a", "--data_dump_path=/b", "--dry-run")
    assert result.exit_code == 2 and "one dump_path" in result.stderr


def test_without_npu_device_the_error_says_it_ships_with_cann(recipe_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "npu_device", None)  # import fails, as where CANN is not installed
    result = zoo_run(recipe_file, "--precision_mode=allow_mix_precision", "--dry-run")
    assert result.exit_code == 2
    assert "runtime.device: ascend is not available here" in result.stderr and "CANN toolkit" in result.stderr
    assert "Traceback" not in result.output


def _installed_runtime(name):
    return registry.runtimes.load(name) if name in registry.runtimes.names() else None


def test_auto_picks_ascend_where_npu_device_imports(npu):
    assert registry.runtimes.load("auto").resolve(_installed_runtime).name == "ascend"


def test_auto_picks_cpu_here_without_npu_device(monkeypatch):
    monkeypatch.setitem(sys.modules, "npu_device", None)
    assert registry.runtimes.load("auto").resolve(_installed_runtime).name == "cpu"


def test_every_port_flag_is_on_the_command_line_and_selects_nothing_else():
    params = {p.name for p in cli.main.params}
    assert {flag.name for flag in ascend_runtime.PORT_FLAGS} <= params
    assert [runtime.name for runtime, flag in cli.runtime_flags() if flag.selects] == ["ascend"] * sum(
        flag.selects for flag in ascend_runtime.PORT_FLAGS)


def test_the_ascend_runtime_runs_the_resizer_with_stock_ops(npu, recipe_file, monkeypatch):
    """Even on a host where the CPU forms would pay off (no GPU, oneDNN off), nothing switches them on."""
    from resizer_plugin.layers import conv_forms
    from resizer_plugin.runtimes import local

    monkeypatch.setattr(local, "cpu_conv_forms_pay_off", lambda: True)
    _, session = _start(recipe_file, "--precision_mode=allow_mix_precision")
    with session.computation_scope():
        assert conv_forms.active() == "stock"


def test_ascend_pipeline_has_static_shapes(npu, recipe_file):
    from resizer_plugin.zoo.training.pipeline import recipe_pipelines

    recipe, session = _start(recipe_file, "--precision_mode=allow_mix_precision", "--batch_size=3")
    info = recipe.dataset.describe(recipe.dataset_options)
    train_ds, val_ds, _ = recipe_pipelines(recipe, len(info.class_names), session)
    assert tuple(train_ds.element_spec[0].shape) == (3, 32, 32, 3)
    assert tuple(val_ds.element_spec[0].shape) == (3, 32, 32, 3)


def test_static_false_feeds_the_last_partial_batch(npu, recipe_file):
    from resizer_plugin.zoo.training.pipeline import recipe_pipelines

    recipe, session = _start(recipe_file, "--static=False", "--batch_size=3")
    assert not session.static_shapes and "dynamic shapes" in session.description
    train_ds = recipe_pipelines(recipe, 4, session).train
    assert tuple(train_ds.element_spec[0].shape) == (None, 32, 32, 3)


def test_zoo_run_on_one_card_writes_to_the_device_folder(npu, recipe_file, tmp_path, monkeypatch):
    monkeypatch.setenv("ASCEND_DEVICE_ID", "3")
    out = tmp_path / "output"
    result = zoo_run(recipe_file, "--precision_mode=allow_mix_precision", "--over_dump=False",
                                           "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert os.listdir(str(out)) == ["3"]  # everything of the run in the device's folder, the log included
    metrics = json.loads((out / "3" / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["runtime"].startswith("ascend (device 3, rank 0 of 1")
    assert not [e for e in npu.events if e[0] == "NpuLossScaleOptimizer"]  # the port trains without it
    assert latest_checkpoint(out / "3" / "checkpoints")
    log = str(out / "3" / "train_3.log")
    assert float(port_awk(log, "TimeHistory", 4)) > 0
    assert float(port_awk(log, "val_loss", 9)) == pytest.approx(metrics["train_accuracy"], abs=1e-4)
    assert float(port_awk(log, "val_loss", 6)) == pytest.approx(metrics["train_loss"], abs=1e-4)


def test_zoo_run_trains_through_the_npu_loss_scale_optimizer(npu, recipe_file, tmp_path):
    """Compiled, built (its slots created before restoring) and trained as Keras 2 or 3 has it."""
    out = tmp_path / "output"
    result = zoo_run(recipe_file, "--precision_mode=allow_mix_precision", "--set",
                                           "runtime.loss_scaling=auto", "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert ("NpuLossScaleOptimizer", True, None, None) in npu.events
    assert math.isfinite(json.loads((out / "0" / "metrics.json").read_text())["train_loss"])


@pytest.fixture
def two_cards(tmp_path, monkeypatch):
    """The environment of card ``rank`` of a 2-card launch (device id 4 + rank), with a rank table."""
    table = tmp_path / "rank_table_2p.json"
    table.write_text('{"server_count": "1"}')

    def card(rank):
        for name, value in (("RANK_SIZE", "2"), ("RANK_ID", str(rank)), ("ASCEND_DEVICE_ID", str(4 + rank)),
                            ("RANK_TABLE_FILE", str(table))):
            monkeypatch.setenv(name, value)
    return card


@pytest.mark.parametrize("rank", [0, 1])
def test_two_cards_shard_before_batching_all_reduce_and_broadcast(npu, recipe_file, tmp_path, two_cards, rank):
    two_cards(rank)
    out = tmp_path / "output"
    result = zoo_run(recipe_file, "--precision_mode=allow_mix_precision", "--log_steps=1",
                                           "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert ("open", 4 + rank, 2, rank) in npu.events
    shards = [e for e in npu.events if e[0] == "shard_and_rebatch_dataset"]
    assert shards == [("shard_and_rebatch_dataset", 4, 3)] * 2  # global batch 4; (image, label) pairs, unbatched
    assert ("npu_distributed_keras_optimizer_wrapper",) in npu.events
    assert [e[:2] for e in npu.events if e[0] == "all_reduce"][:1] == [("all_reduce", "mean")]
    broadcast = [e for e in npu.events if e[0] == "broadcast"]
    assert len(broadcast) == 1 and broadcast[0][1] > 10 and broadcast[0][2] == 0
    run = out / str(4 + rank)
    log = (run / "train_{}.log".format(4 + rank)).read_text()
    assert "TimeHistory: " in log and os.path.isfile(str(run / "history.csv"))
    assert os.path.isfile(str(run / "metrics.json")) == (rank == 0)  # the chief's; pictures: every card's own
    assert sorted(os.listdir(str(run / "pictures"))) == ["stages_after.png", "stages_before.png",
                                                         "training_curves.png"]


def test_each_card_batches_its_shard_with_the_per_card_batch(npu, recipe_file, two_cards):
    from resizer_plugin.zoo.training.pipeline import recipe_pipelines

    two_cards(1)
    recipe, session = _start(recipe_file, "--precision_mode=allow_mix_precision", "--batch_size=4")
    pipelines = recipe_pipelines(recipe, 4, session)
    assert pipelines.batch_size == 2 and tuple(pipelines.train.element_spec[0].shape) == (2, 32, 32, 3)
    labels = [int(label) for _, label in recipe.dataset.load(recipe.dataset_options, "train", None)]
    shard = session.shard_dataset(recipe.dataset.load(recipe.dataset_options, "train", None), 4)[0]
    assert [int(label) for _, label in shard] == labels[1::2]  # card 1 of 2: every second example from the 2nd


def test_the_old_runtime_code_fails_on_the_real_sharding_contract(npu, two_cards):
    """What runtimes/ascend did before: hand the batched dataset to shard_and_rebatch_dataset and feed fit what
    came back. The adapter returns (dataset, per-card batch size), which fit refuses."""
    from resizer_plugin.compat import keras

    two_cards(1)
    npu.open().as_default()
    batched = tf.data.Dataset.from_tensor_slices((tf.zeros((8, 4)), tf.zeros((8,)))).batch(4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError):
        model.fit(npu.distribute.shard_and_rebatch_dataset(batched, 4), epochs=1, verbose=0)


def test_a_missing_rank_table_is_one_line_and_status_2(npu, recipe_file, two_cards, monkeypatch):
    two_cards(0)
    monkeypatch.delenv("RANK_TABLE_FILE")
    result = zoo_run(recipe_file, "--precision_mode=allow_mix_precision")
    assert result.exit_code == 2 and "RANK_SIZE=2 needs RANK_TABLE_FILE" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "open" not in [e[0] for e in npu.events]


def test_a_global_batch_that_does_not_divide_by_the_cards_names_both(npu, recipe_file, two_cards):
    two_cards(0)
    result = zoo_run(recipe_file, "--precision_mode=allow_mix_precision", "--batch_size=5")
    assert result.exit_code == 2
    assert "data.batch_size: the global batch of 5 does not divide by the 2 processes" in result.stderr


def test_the_double_refuses_what_npu_device_refuses(npu, monkeypatch):
    config = npu.global_options()
    with pytest.raises(ValueError, match="has no option precison_mode"):
        config.precison_mode = "force_fp32"
    with pytest.raises(ValueError, match="'fp16' not in optional list"):
        config.precision_mode = "fp16"
    monkeypatch.setenv("RANK_SIZE", "2")
    with pytest.raises(RuntimeError, match="RANK_TABLE_FILE"):
        npu.open()
    monkeypatch.setenv("RANK_SIZE", "1")
    npu.open()
    with pytest.raises(RuntimeError, match="set after npu_device.open"):
        config.precision_mode = "force_fp32"


def test_bad_rank_variables_are_a_clear_error(npu, recipe_file, monkeypatch):
    monkeypatch.setenv("RANK_SIZE", "two")
    with pytest.raises(RecipeError, match="RANK_SIZE='two' is not a whole number"):
        _start(recipe_file, "--precision_mode=allow_mix_precision")
