"""The ``zoo`` command (``train``, ``eval``, ``predict``, ``list``) and ``zoo-run`` (= ``zoo train``): recipe YAML ->
data pipeline -> stages + backbone -> training -> checkpoints, logs, metrics, pictures; then a run measured again.

Bad input (recipe, overrides, data, output directory, run directory) exits with status 2 and one paragraph naming
the file, the key and the value; a failure during training exits 1 and says where the log and the last checkpoint
are.
"""
import os
import sys
import traceback

import click

__all__ = ["main", "zoo"]

USAGE_ERROR = 2


def _fail(message, code=USAGE_ERROR):
    context = click.get_current_context(silent=True)
    name = context.find_root().command.name if context is not None else "zoo-run"
    click.echo("{}: error: {}".format(name, message), err=True)
    sys.exit(code)


def _list_plugins():
    from . import registry

    for group, kind in registry.GROUPS.items():
        click.echo("{}s ({}):".format(kind, group))
        reg = registry.Registry(group)
        for name, entries in reg.entries().items():
            origin = "; ".join("{} ({})".format(e.distribution, e.value) for e in entries)
            try:
                plugin = getattr(registry, group.split(".")[1]).load(name)
            except registry.PluginError as error:
                click.echo("  {:<20} BROKEN: {}".format(name, error))
                continue
            click.echo("  {:<20} {}  [{}]".format(name, plugin.description, origin))
            for model in getattr(plugin, "models", ()):
                click.echo("      {}/{}".format(name, model))
            for key, option in plugin.options.items():
                default = "required" if option.required else "default {!r}".format(option.default)
                click.echo("      {}: {} ({})".format(key, option.help, default))
            for flag in getattr(plugin, "launch_flags", lambda: ())():
                click.echo("      {} -> {}: {}".format(flag.flag, flag.key or "(switch)", flag.help))


def _data_problem(error):
    """A DataError as one line, with the recipe key at fault when it has one."""
    return "data.{}: {}".format(error.key, error) if error.key else str(error)


def _describe_data(recipe):
    from .contract import DataError

    try:
        return recipe.dataset.describe(recipe.dataset_options), None
    except DataError as error:
        return None, _data_problem(error)


def _print_data_and_stages(recipe, info):
    data = recipe.data
    click.echo("data        {} {}: train {!r}, val {!r}; images {}x{}, batch {}".format(
        data.source, info.location if info else "(NOT FOUND)", recipe.dataset_options["train_split"],
        recipe.dataset_options["val_split"], data.image_size[0], data.image_size[1], data.batch_size))
    click.echo("classes     {}".format(", ".join(info.class_names) if info else "unknown (assumed 2)"))
    spec = recipe.input_spec
    for stage, options in recipe.stages:
        _, spec = stage(options, spec)
        click.echo("stage       {:<18} -> {}x{}x{}  {}".format(stage.name, spec.height, spec.width, spec.channels,
                                                              _short(options)))


def _dry_run(recipe):
    from .model import build_model, count_parameters

    info, problem = _describe_data(recipe)
    built = build_model(recipe, len(info.class_names) if info else 2)
    click.echo("recipe      {} ({})".format(recipe.name, recipe.source))
    _print_data_and_stages(recipe, info)
    click.echo("backbone    {}{} {}".format(recipe.backbone.name, "/" + recipe.backbone_model if recipe.backbone_model
                                            else "", _short(recipe.backbone_options)))
    click.echo("parameters  {:,} ({:,} trainable)".format(*count_parameters(built.model)))
    train = recipe.train
    click.echo("train       {} epochs, {} lr {}, {} (label smoothing {})".format(
        train.epochs, train.optimizer.type, train.optimizer.learning_rate, train.loss.type,
        train.loss.label_smoothing))
    click.echo("runtime     {} {}".format(recipe.runtime.name, _short(recipe.runtime_options)))
    click.echo("output      {}".format(recipe.output.dir))
    if problem:
        _fail("{}: {}".format(recipe.source, problem))


def _short(options):
    return ", ".join("{}={}".format(k, v) for k, v in options.items())


_CLICK_TYPES = {bool: click.BOOL, int: click.INT, str: click.STRING}
#: the host's own options, which no runtime flag may take
_HOST_FLAGS = ("--set", "--data-dir", "--output-dir", "--device", "--resume", "--dry-run", "--list", "--help", "-h")


def runtime_flags():
    """``(runtime, LaunchFlag)`` of every installed runtime that loads; a flag already taken is left out."""
    from . import registry

    loaded, _ = registry.runtimes.load_all()
    taken, flags = set(_HOST_FLAGS), []
    for runtime in loaded.values():
        for flag in runtime.launch_flags():
            if flag.flag not in taken:
                taken.add(flag.flag)
                flags.append((runtime, flag))
    return flags


def _runtime_flag_options(function):
    for runtime, flag in reversed(runtime_flags()):
        function = click.option(flag.flag, flag.name, type=_CLICK_TYPES[flag.type], default=None,
                                help="({}) {}".format(runtime.name, flag.help))(function)
    return function


def _flag_overrides(flag_values):
    """(overrides, the runtime the given flags select or None), from every runtime's launch flags."""
    by_runtime = {}
    for runtime, flag in runtime_flags():
        by_runtime.setdefault(runtime.name, (runtime, {}))[1][flag.name] = flag_values.get(flag.name)
    overrides, selected = [], None
    for runtime, values in by_runtime.values():
        try:
            pairs = runtime.flag_overrides(values)
        except ValueError as error:
            _fail(str(error))
        overrides += [pair for pair in pairs if pair[0] != "runtime.device"]
        selected = selected or next((value for key, value in pairs if key == "runtime.device"), None)
    return overrides, selected


def recipe_overrides(overrides, output_dir, device, flag_values):
    """The overrides the flags stand for, applied in this order: runtime flags, --set, --output-dir, and
    --device (or the runtime that a given runtime flag selects)."""
    extra, selected = _flag_overrides(flag_values)
    extra += list(overrides)
    if output_dir:
        extra.append(("output.dir", output_dir))
    if device or selected:
        extra.append(("runtime.device", device or selected))
    return extra


def _configure_tensorflow():
    """Environment TensorFlow reads once, when it loads: so before anything imports it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's oneDNN CPU kernels trained resizer + DenseNet-121 1.4-1.8x faster on an AVX2 CPU, where
    # TensorFlow leaves them off (it turns them on itself with AVX-512); TF_ENABLE_ONEDNN_OPTS=0 keeps its own.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def _load(recipe_file, overrides, data_dir):
    from .recipe import RecipeError, load_recipe

    try:
        return load_recipe(recipe_file, overrides, data_dir=data_dir)
    except RecipeError as error:
        _fail(str(error))


def _train(recipe, resume):
    """Train with the errors a user can fix as one line (exit 2), and a crash reported with its log (exit 1)."""
    from .contract import DataError, OptionError
    from .logs import log_file
    from .registry import PluginError
    from .run_dir import OutputDirError
    from .train import start_run, train

    _, problem = _describe_data(recipe)
    if problem:
        _fail("{}: {}".format(recipe.source, problem))
    out, run_log = recipe.output.dir, None
    try:
        session, run_dir = start_run(recipe, out, resume)
        with log_file(run_dir.log) as run_log:
            train(recipe, session, run_dir, resume=resume)
    except (OutputDirError, PluginError, OptionError) as error:
        _fail(str(error))
    except DataError as error:
        _fail("{}: {}".format(recipe.source, error))
    except KeyboardInterrupt:
        _fail("interrupted; completed epochs are checkpointed in {}: rerun with --resume".format(out), 130)
    except Exception as error:  # report, keep the checkpoints, point at the log
        _report_crash(error, run_log, out)


def _report_crash(error, run_log, out):
    where = "the traceback follows"
    if run_log:
        with open(run_log, "a") as handle:
            handle.write(traceback.format_exc())
        where = "the traceback is in {}".format(run_log)
    else:
        click.echo(traceback.format_exc(), err=True)
    _fail("training failed: {}: {}\n  {}; completed epochs are checkpointed in {} (rerun with --resume)".format(
        type(error).__name__, error, where, out), 1)


@click.command("zoo-run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("recipe", required=False, type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="override a recipe value (YAML-typed), e.g. --set train.epochs=1; repeatable")
@click.option("--data-dir", help="sets data.data_dir (where the dataset lies)")
@click.option("--output-dir", help="sets output.dir (default runs/<name>)")
@click.option("--device", help="sets runtime.device (zoo-run --list shows the runtimes)")
@click.option("--resume", is_flag=True, help="continue the run in the output directory from its last checkpoint")
@click.option("--dry-run", is_flag=True, help="validate, build the model, print the plan and parameter count")
@click.option("--list", "list_plugins", is_flag=True, help="list stages, backbones, runtimes, datasets and origins")
@_runtime_flag_options
def main(recipe, overrides, data_dir, output_dir, device, resume, dry_run, list_plugins, **flag_values):
    """Train the model a RECIPE (YAML) describes.

    Runtimes may add launch flags (a port's flags, accepted as they are; see the runtime's docs); they set the
    matching recipe keys, and a flag that belongs to one runtime only selects it.
    """
    _configure_tensorflow()
    from .logs import setup_console

    setup_console()
    if list_plugins:
        _list_plugins()
        return
    if not recipe:
        _fail("give a RECIPE file (or --list); see zoo-run --help")
    parsed = _load(recipe, recipe_overrides(overrides, output_dir, device, flag_values), data_dir)
    if dry_run:
        _dry_run(parsed)
    else:
        _train(parsed, resume)


@click.group("zoo", context_settings={"help_option_names": ["-h", "--help"]})
def zoo():
    """Train a model a recipe describes, then measure it: zoo COMMAND --help for each."""
    _configure_tensorflow()
    from .logs import setup_console

    setup_console()


zoo.add_command(main, name="train")


@zoo.command("list")
def list_command():
    """List the installed stages, backbones, runtimes and datasets, their options and origins."""
    _list_plugins()


def _open_run(run_dir, checkpoint, data_dir):
    from .checkpoints import CheckpointError
    from .contract import DataError, OptionError
    from .finished_run import RunError, open_run
    from .recipe import RecipeError
    from .registry import PluginError

    try:
        return open_run(run_dir, checkpoint, data_dir)
    except (RunError, RecipeError, CheckpointError, PluginError, OptionError) as error:
        _fail(str(error))
    except DataError as error:
        _fail("{}: {}".format(run_dir, _data_problem(error)))


def _print_report(report):
    click.echo("run         {} (checkpoint {}), split {!r}, {} examples".format(
        report["run"], report["checkpoint"], report["split"], report["examples"]))
    click.echo("loss        {:.4f}\naccuracy    {:.4f}".format(report["loss"], report["accuracy"]))
    if "top_5_accuracy" in report:
        click.echo("top-5       {:.4f}".format(report["top_5_accuracy"]))
    click.echo("{:<20} {:>9} {:>9} {:>9} {:>8}".format("class", "precision", "recall", "f1", "support"))
    for name, row in report["per_class"].items():
        click.echo("{:<20} {:>9.4f} {:>9.4f} {:>9.4f} {:>8}".format(name, row["precision"], row["recall"], row["f1"],
                                                                   row["support"]))


def _save_report(run, report, json_file):
    import json

    from . import pictures

    paths = [os.path.join(run.run_dir.root, "eval.json")] + ([json_file] if json_file else [])
    for path in paths:
        with open(path, "w") as handle:
            json.dump(report, handle, indent=2)
    picture = pictures.confusion_matrix(report["confusion_matrix"], report["classes"],
                                        run.run_dir.picture("confusion_matrix.png"),
                                        title="{} on {}".format("/".join(report["checkpoint"].rsplit("/", 2)[-2:]),
                                                                report["split"]))
    click.echo("wrote {} and {}".format(", ".join(paths), picture))


@zoo.command("eval")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--checkpoint", default="best", show_default=True, help="best, last, or an epoch number")
@click.option("--split", help="split to evaluate, TensorFlow Datasets' slicing syntax (default: the run's val_split)")
@click.option("--data-dir", help="where the dataset lies now, if not where it lay for training")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="also write the report here")
def eval_command(run_dir, checkpoint, split, data_dir, json_file):
    """Measure the model of RUN_DIR (a folder zoo-run wrote) on a split: loss, accuracy, per-class precision,
    recall and F1, confusion matrix (eval.json and pictures/confusion_matrix.png in RUN_DIR)."""
    from .contract import DataError, SplitError, split as split_option
    from .evaluate import evaluate

    try:
        split = split_option()(split) if split is not None else None
    except (SplitError, TypeError) as error:
        _fail("--split {!r}: {}".format(split, error))
    run = _open_run(run_dir, checkpoint, data_dir)
    try:
        report = evaluate(run, split)
    except (SplitError, DataError) as error:
        _fail("{}: {}".format(run_dir, error))
    _print_report(report)
    _save_report(run, report, json_file)


def _print_predictions(predictions):
    width = max([len(path) for path, _ in predictions.rows] + [4])
    click.echo("{:<{}}  {}".format("file", width, "prediction (class probability, best first)"))
    for path, top in predictions.rows:
        click.echo("{:<{}}  {}".format(path, width, "  ".join("{} {:.3f}".format(c, p) for c, p in top)))
    for path, reason in predictions.skipped:
        click.echo("skipped {}: {}".format(path, reason), err=True)


def _save_predictions(predictions, json_file, picture):
    import json

    from . import pictures

    if json_file:
        rows = [{"file": path, "top": [{"class": c, "probability": p} for c, p in top]}
                for path, top in predictions.rows]
        with open(json_file, "w") as handle:
            json.dump({"predictions": rows, "skipped": [{"file": f, "reason": r} for f, r in predictions.skipped]},
                      handle, indent=2)
    if picture and predictions.rows:
        captions = ["{}\n{} {:.2f}".format(os.path.basename(path), *top[0]) for path, top in predictions.rows]
        pictures.contact_sheet(predictions.images, captions, picture)


@zoo.command("predict")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("paths", nargs=-1, required=True)
@click.option("--top-k", default=3, show_default=True, type=click.IntRange(min=1), help="classes shown per image")
@click.option("--checkpoint", default="best", show_default=True, help="best, last, or an epoch number")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="also write the predictions here")
@click.option("--picture", type=click.Path(dir_okay=False), help="draw the images with their predictions here")
def predict_command(run_dir, paths, top_k, checkpoint, json_file, picture):
    """Classify image files (or every file in folders) with the model of RUN_DIR, each resized as the recipe's
    pipeline resizes images. Files that are not images are listed and skipped: exit status 1 when any were,
    2 when none could be classified."""
    from .predict import collect_files, predict

    files, missing = collect_files(paths)
    if missing:
        _fail("no such file or folder: {}".format(", ".join(missing)))
    run = _open_run(run_dir, checkpoint, None)
    predictions = predict(run, files, min(top_k, len(run.class_names)))
    _print_predictions(predictions)
    _save_predictions(predictions, json_file, picture)
    if predictions.skipped:
        _fail("{} of {} files skipped (not images TensorFlow decodes)".format(len(predictions.skipped), len(files)),
              1 if predictions.rows else USAGE_ERROR)


if __name__ == "__main__":
    main()
