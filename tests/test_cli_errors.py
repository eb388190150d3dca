"""Malformed recipes and bad flags: one paragraph naming file, key and value; exit status 2; no traceback."""
import pytest
import yaml


from .builders import zoo_run

GOOD = {
    "name": "t",
    "data": {"source": "photo_crops", "image_size": [32, 32], "batch_size": 4},
    "model": {"stages": [{"type": "rescale"}, {"type": "learnable_resizer", "target_size": [16, 16]}],
              "backbone": {"type": "small_cnn", "blocks": 1}},
    "train": {"epochs": 1},
}


def _run(tmp_path, recipe, *args):
    path = tmp_path / "recipe.yaml"
    path.write_text(recipe if isinstance(recipe, str) else yaml.safe_dump(recipe))
    return zoo_run(*[str(path)] + list(args)), str(path)


def _with(change):
    import copy

    recipe = copy.deepcopy(GOOD)
    change(recipe)
    return recipe


CASES = [
    ("bad YAML", "name: t\ndata: {source: tfds\n", None, "not valid YAML at line"),
    ("not a mapping", "- just\n- a list\n", None, "a recipe is a YAML mapping"),
    ("unknown top-level key", _with(lambda r: r.update(trian={"epochs": 1})), "trian", "unknown key"),
    ("unknown nested key", _with(lambda r: r["train"].update(optimizer={"lr": 0.1})), "train.optimizer.lr",
     "unknown key"),
    ("wrong type", _with(lambda r: r["data"].update(batch_size="64")), "data.batch_size", "must be an integer"),
    ("negative batch size", _with(lambda r: r["data"].update(batch_size=-4)), "data.batch_size",
     "between 1 and 65536 (got -4)"),
    ("missing required key", _with(lambda r: r.pop("name")), "name", "is required"),
    ("unknown stage", _with(lambda r: r["model"]["stages"].append({"type": "learnable_resizr"})),
     "model.stages[2].type", "unknown stage 'learnable_resizr'"),
    ("bad stage option", _with(lambda r: r["model"]["stages"][1].update(filters=0)), "model.stages[1].filters",
     "between 1 and 256 (got 0)"),
    ("stage without type", _with(lambda r: r["model"]["stages"].append("resize")), "model.stages[2]",
     "mapping with a 'type'"),
    ("unknown backbone family", _with(lambda r: r["model"].update(backbone={"type": "timm/resnet50"})),
     "model.backbone.type", "unknown backbone 'timm'"),
    ("unknown backbone model", _with(lambda r: r["model"].update(backbone={"type": "keras.applications/DenseNet12"})),
     "model.backbone.type", "has no model 'DenseNet12'"),
    ("unknown dataset source", _with(lambda r: r["data"].update(source="tfds2")), "data.source",
     "unknown dataset 'tfds2'"),
    ("split syntax error", _with(lambda r: r["data"].update(source="tfds", train_split="train[:40]%")),
     "data.train_split", "is not a split"),
    ("missing data dir", _with(lambda r: r["data"].update(source="tfds", data_dir="/nonexistent/tfds")),
     "data.data_dir", "/nonexistent/tfds"),
    ("unknown runtime", _with(lambda r: r.update(runtime={"device": "tpu"})), "runtime.device", "unknown runtime"),
    ("bad runtime option", _with(lambda r: r.update(runtime={"device": "cpu", "precision": "fp16"})),
     "runtime.precision", "must be one of"),
    ("label smoothing with sparse loss",
     _with(lambda r: r["train"].update(loss={"type": "sparse_categorical_crossentropy", "label_smoothing": 0.1})),
     "train.loss.label_smoothing", "categorical_crossentropy"),
    ("step checkpoints every 0 steps", _with(lambda r: r["train"].update(checkpoint_every_steps=0)),
     "train.checkpoint_every_steps", ">= 1 (got 0)"),
    ("dropout out of range", _with(lambda r: r["model"].update(head={"dropout": 1.5})), "model.head.dropout",
     "between 0 and 0.99"),
]


@pytest.mark.parametrize("label, recipe, key, phrase", CASES, ids=[c[0] for c in CASES])
def test_malformed_recipe_exits_2_with_one_paragraph(tmp_path, label, recipe, key, phrase):
    result, path = _run(tmp_path, recipe)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("zoo-run: error: {}: ".format(path))
    if key:
        assert ": {}: ".format(key) in message
    assert phrase in message
    assert "Traceback" not in result.output and message.count("\n\n") == 0


def test_missing_recipe_file(tmp_path):
    result = zoo_run(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "no such recipe file" in result.stderr


@pytest.mark.parametrize("override, phrase", [
    ("train.epochs=two", "train.epochs: must be an integer (got 'two')"),
    ("data.batch_size", "must be KEY.PATH=VALUE"),
    ("train.optimiser.type=adam", "train.optimiser: unknown key"),
    ("model.stages.5.filters=8", "no list item 5"),
    ("model.stages.2.filters=8", "--set model.stages.2: no list item 2 here"),  # one past the last of two
    ("train.epochs=[1", "--set train.epochs: value '[1' is not YAML: expected ',' or ']', but got '<stream end>'"),
    ("seed=99999999999999999999999", "seed: must be between 0 and 4294967295"),
    ("seed=-1", "seed: must be between 0 and 4294967295"),
    ("train.optimizer.learning_rate=.nan", "train.optimizer.learning_rate: must be a finite number"),
    ("train.optimizer.learning_rate=.inf", "train.optimizer.learning_rate: must be a finite number"),
    ("data.batch_size=1e20", "data.batch_size: must be an integer"),
    ("data.batch_size=100000", "data.batch_size: must be between 1 and 65536"),
    ("data.image_size=[100000, 100000]", "data.image_size: must be two integers [height, width] between 1 and 16384"),
    ("name=../../tmp/escape", "name: a run name is one folder name of letters, digits"),
    ("name=/tmp/escape", "e.g. 'tmp_escape'"),
    ("name=ünï_名前", "e.g. 'uni' (got 'ünï_名前')"),
    ("name=.", "name: a run name is one folder name"),
    ("name=..", "name: a run name is one folder name"),
    ("name=" + "x" * 300, "at most 100 characters"),
    ("train.metrics=5", "train.metrics: must be a list, e.g. [accuracy]"),
])
def test_bad_overrides(tmp_path, override, phrase, monkeypatch):
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)  # where ../../tmp/escape would land: tmp_path/tmp/escape
    result, _ = _run(tmp_path, GOOD, "--set", override)
    assert result.exit_code == 2 and phrase in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (here / "runs").exists() and not (tmp_path / "tmp").exists()


def _alias_bomb(levels, key):
    """A recipe whose ``key`` expands, through YAML aliases, to 9 ** levels strings, in about 500 bytes."""
    anchors = ["  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += ["  - &l{} [{}]".format(i, ", ".join(["*l{}".format(i - 1)] * 9)) for i in range(1, levels + 1)]
    return "anchors:\n{}\n{}: *l{}\n".format("\n".join(anchors), key, levels)


@pytest.mark.parametrize("text, phrase", [
    (_alias_bomb(8, "seed"), "more than 100,000 values once YAML's aliases are expanded"),
    (_alias_bomb(5, "seed"), "more than 100,000 values once YAML's aliases are expanded"),  # 531,441: still
    ("name: {}\n".format("x" * 5000), "name: a string of 5,000 characters, more than 4,096"),
    ("train:\n  metrics: [{}]\n".format(", ".join(["accuracy"] * 2000)), "train.metrics: a list of 2,000 items"),
    ("seed: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
])
def test_hostile_recipes_are_refused_in_one_short_line(tmp_path, text, phrase):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    result = zoo_run(str(path), "--dry-run")
    assert result.exit_code == 2 and phrase in result.stderr, result.stderr[:500]
    assert len(result.stderr) < 400 and "Traceback" not in result.stderr


def test_a_recipe_file_over_a_mebibyte_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# " + "x" * (1 << 20) + "\nname: huge\n")
    result = zoo_run(str(path), "--dry-run")
    assert result.exit_code == 2 and "bytes, more than a recipe may be (1,048,576)" in result.stderr


def test_overrides_are_typed_and_reach_the_plan(tmp_path):
    result, _ = _run(tmp_path, GOOD, "--dry-run", "--set", "train.epochs=3", "--set", "model.stages.1.filters=8",
                     "--set", "data.image_size=[40, 48]")
    assert result.exit_code == 0, result.output
    assert "3 epochs" in result.output and "filters=8" in result.output and "images 40x48" in result.output


def test_existing_output_dir_is_not_overwritten(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    result, _ = _run(tmp_path, GOOD, "--output-dir", str(out))
    assert result.exit_code == 2 and "already holds a run" in result.stderr and "--resume" in result.stderr
    assert (out / "metrics.json").read_text() == "{}"


def test_no_recipe_is_a_usage_error():
    result = zoo_run()
    assert result.exit_code == 2 and "give a RECIPE" in result.stderr


def test_list_shows_every_group_and_origin():
    result = zoo_run("--list")
    assert result.exit_code == 0
    for line in ("stages (zoo.stages):", "backbones (zoo.backbones):", "runtimes (zoo.runtimes):",
                 "datasets (zoo.datasets):", "keras.applications/DenseNet121", "resizer-plugin"):
        assert line in result.output
    assert "learnable_resizer    learnable resizer of Talebi & Milanfar" in result.output
