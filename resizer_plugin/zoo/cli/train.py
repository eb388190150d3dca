"""``zoo-run RECIPE`` (= ``zoo train``): validate the recipe, then train or dry-run it (or list the plugins).

Bad input (recipe, overrides, data, output directory) exits with status 2 and one paragraph naming the file, the
key and the value; a failure during training exits 1 and says where the log and the last checkpoint are.
"""
import traceback

import click

from .common import describe_data, fail, recipe_file_or_fail
from .list import list_plugins

__all__ = ["main", "recipe_overrides", "runtime_flags"]


def _print_data_and_stages(recipe, info, built):
    from ..training.model import count_parameters

    data = recipe.data
    click.echo("data        {} {}: train {!r}, val {!r}; images {}x{}, batch {}".format(
        data.source, info.location if info else "(NOT FOUND)", recipe.dataset_options["train_split"],
        recipe.dataset_options["val_split"], data.image_size[0], data.image_size[1], data.batch_size))
    click.echo("classes     {}".format(", ".join(info.class_names) if info else "unknown (assumed 2)"))
    for (stage, options), layer, spec in zip(recipe.stages, built.stage_layers, built.stage_outputs):
        trainable = count_parameters(layer)[1]
        click.echo("stage       {:<18} -> {}x{}x{}  {}{}".format(
            stage.name, spec.height, spec.width, spec.channels, _short(options),
            "  ({:,} trainable parameters)".format(trainable) if trainable else ""))


def _dry_run(recipe):
    from ..training.model import ModelError, build_model, count_parameters

    info, problem = describe_data(recipe)
    try:
        built = build_model(recipe, len(info.class_names) if info else 2)
    except ModelError as error:
        fail(str(error))
    click.echo("recipe      {} ({})".format(recipe.name, recipe.source))
    _print_data_and_stages(recipe, info, built)
    click.echo("backbone    {}{} {}".format(recipe.backbone.name, "/" + recipe.backbone_model if recipe.backbone_model
                                            else "", _short(recipe.backbone_options)))
    click.echo("parameters  {:,} ({:,} trainable)".format(*count_parameters(built.model)))
    train = recipe.train
    click.echo("train       {} epochs, {} lr {}, {} (label smoothing {})".format(
        train.epochs, train.optimizer.type, train.optimizer.learning_rate, train.loss.type,
        train.loss.label_smoothing))
    click.echo("runtime     {} {}".format(recipe.runtime.name, _short(recipe.runtime.plan(recipe.runtime_options))))
    click.echo("output      {}".format(recipe.output.dir))
    if problem:
        fail("{}: {}".format(recipe.source, problem))


def _short(options):
    return ", ".join("{}={}".format(k, v) for k, v in options.items())


_CLICK_TYPES = {bool: click.BOOL, int: click.INT, str: click.STRING}


def runtime_flags(taken=()):
    """``(runtime, LaunchFlag)`` of every installed runtime that loads, leaving out a flag in ``taken`` (the host's
    own options) or already taken by a runtime before it."""
    from ..config import registry

    loaded, _ = registry.runtimes.load_all()
    taken, flags = set(taken), []
    for runtime in loaded.values():
        for flag in runtime.launch_flags():
            if flag.flag not in taken:
                taken.add(flag.flag)
                flags.append((runtime, flag))
    return flags


def _option_names(command):
    names = {name for param in command.params for name in param.opts + param.secondary_opts}
    return names | set(command.context_settings.get("help_option_names", ["--help"]))


def _with_runtime_flags(command):
    """``command`` given every runtime's launch flags as options (those its own options do not take); the flags it
    got are its ``runtime_flags``."""
    command.runtime_flags = runtime_flags(_option_names(command))
    for runtime, flag in command.runtime_flags:
        command.params.append(click.Option([flag.flag, flag.name], type=_CLICK_TYPES[flag.type], default=None,
                                           help="({}) {}".format(runtime.name, flag.help)))
    return command


def _flag_overrides(flag_values):
    """(overrides, the runtime the given flags select or None), from every runtime's launch flags."""
    by_runtime = {}
    for runtime, flag in main.runtime_flags:
        by_runtime.setdefault(runtime.name, (runtime, {}))[1][flag.name] = flag_values.get(flag.name)
    overrides, selected = [], None
    for runtime, values in by_runtime.values():
        try:
            pairs = runtime.flag_overrides(values)
        except ValueError as error:
            fail(str(error))
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


def _load(recipe_file, overrides, data_dir):
    from ..config.recipe import RecipeError, load_recipe

    try:
        return load_recipe(recipe_file_or_fail(recipe_file), overrides, data_dir=data_dir)
    except RecipeError as error:
        fail(str(error))


def _train(recipe, resume):
    """Train with the errors a user can fix as one line (exit 2), and a crash reported with its log (exit 1)."""
    from ..config.registry import PluginError
    from ..contract import DataError, OptionError
    from ..training.checkpoints import CheckpointError
    from ..training.model import ModelError
    from ..training.run import TrainingRun
    from ..training.run_dir import OutputDirError

    _, problem = describe_data(recipe)
    if problem:
        fail("{}: {}".format(recipe.source, problem))
    out, run = recipe.output.dir, None
    try:
        run = TrainingRun.start(recipe, out, resume)
        try:
            run.train()
        finally:
            run.release()
    except (OutputDirError, PluginError, OptionError, CheckpointError) as error:
        fail(str(error))
    except ModelError as error:
        after = ("completed epochs are checkpointed in {}: rerun with --resume".format(out) if run and run.accepted
                 else "nothing was trained; after fixing the recipe, run the same command again")
        fail("{}\n  {}".format(error, after))
    except DataError as error:
        fail("{}: {}".format(recipe.source, error))
    except KeyboardInterrupt:
        fail("interrupted; completed epochs are checkpointed in {}: rerun with --resume".format(out), 130)
    except Exception as error:  # report, keep the checkpoints, point at the log
        _report_crash(error, run.log.path if run and run.log.opened else None, out)


def _report_crash(error, run_log, out):
    """The traceback appended to the run's log (or, before the log is opened, printed), and one line, exit 1."""
    where = "the traceback follows"
    if run_log:
        with open(run_log, "a") as handle:
            handle.write(traceback.format_exc())
        where = "the traceback is in {}".format(run_log)
    else:
        click.echo(traceback.format_exc(), err=True)
    fail("training failed: {}: {}\n  {}; completed epochs are checkpointed in {} (rerun with --resume)".format(
        type(error).__name__, error, where, out), 1)


@click.command("zoo-run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("recipe", required=False)
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="override a recipe value (YAML-typed), e.g. --set train.epochs=1; repeatable")
@click.option("--data-dir", help="sets data.data_dir (where the dataset lies)")
@click.option("--output-dir", help="sets output.dir (default runs/<name>)")
@click.option("--device", help="sets runtime.device (zoo-run --list shows the runtimes)")
@click.option("--resume", is_flag=True, help="continue the run in the output directory from its last checkpoint")
@click.option("--dry-run", is_flag=True, help="validate, build the model, print the plan and parameter count")
@click.option("--list", "show_plugins", is_flag=True, help="list stages, backbones, runtimes, datasets and origins")
def main(recipe, overrides, data_dir, output_dir, device, resume, dry_run, show_plugins, **flag_values):
    """Train the model a RECIPE describes: a YAML file, or the name of an installed recipe (zoo list shows them;
    a file at that path wins).

    Runtimes may add launch flags (a port's flags, accepted as they are; see the runtime's docs); they set the
    matching recipe keys, and a flag that belongs to one runtime only selects it.
    """
    from ..training.logs import setup_console

    setup_console()
    if show_plugins:
        list_plugins()
        return
    if not recipe:
        fail("give a RECIPE, a file or an installed recipe's name (or --list); see zoo-run --help")
    parsed = _load(recipe, recipe_overrides(overrides, output_dir, device, flag_values), data_dir)
    if dry_run:
        _dry_run(parsed)
    else:
        _train(parsed, resume)


_with_runtime_flags(main)
