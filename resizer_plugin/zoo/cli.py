"""zoo-run: recipe YAML -> data pipeline -> stages + backbone -> training -> checkpoints, logs, metrics, pictures.

Bad input (recipe, overrides, data, output directory) exits with status 2 and one paragraph naming the file,
the key and the value; a failure during training exits 1 and says where the log and the last checkpoint are.
"""
import logging
import os
import sys
import traceback

import click

__all__ = ["main"]

log = logging.getLogger("zoo")
USAGE_ERROR = 2


def _fail(message, code=USAGE_ERROR):
    click.echo("zoo-run: error: {}".format(message), err=True)
    sys.exit(code)


def _setup_logging(log_file=None):
    log.setLevel(logging.INFO)
    log.propagate = False
    for handler in list(log.handlers):
        log.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("[zoo] %(message)s"))
    log.addHandler(console)
    if log_file:
        handler = logging.FileHandler(log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        logging.getLogger("resizer_plugin").addHandler(handler)
    logging.getLogger("resizer_plugin").addHandler(console)


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


def _describe_data(recipe):
    from .contract import DataError

    try:
        return recipe.dataset.describe(recipe.dataset_options), None
    except DataError as error:
        return None, "data.{}: {}".format(error.key, error) if error.key else str(error)


def _dry_run(recipe):
    from .model import build_model, count_parameters

    info, problem = _describe_data(recipe)
    classes = len(info.class_names) if info else 2
    built = build_model(recipe, classes)
    config = recipe.config
    data = config["data"]
    click.echo("recipe      {} ({})".format(config["name"], recipe.source))
    click.echo("data        {} {}: train {!r}, val {!r}; images {}x{}, batch {}".format(
        data["source"], info.location if info else "(NOT FOUND)", data["train_split"], data["val_split"],
        data["image_size"][0], data["image_size"][1], data["batch_size"]))
    click.echo("classes     {}".format(", ".join(info.class_names) if info else "unknown (assumed 2)"))
    spec = recipe.input_spec
    for stage, options in recipe.stages:
        _, spec = stage(options, spec)
        click.echo("stage       {:<18} -> {}x{}x{}  {}".format(stage.name, spec.height, spec.width, spec.channels,
                                                              _short(options)))
    click.echo("backbone    {}{} {}".format(recipe.backbone.name, "/" + recipe.backbone_model if recipe.backbone_model
                                            else "", _short(recipe.backbone_options)))
    click.echo("parameters  {:,} ({:,} trainable)".format(*count_parameters(built.model)))
    train = config["train"]
    click.echo("train       {} epochs, {} lr {}, {} (label smoothing {})".format(
        train["epochs"], train["optimizer"]["type"], train["optimizer"]["learning_rate"], train["loss"]["type"],
        train["loss"]["label_smoothing"]))
    click.echo("runtime     {} {}".format(recipe.runtime.name, _short(recipe.runtime_options)))
    click.echo("output      {}".format(config["output"]["dir"]))
    if problem:
        _fail("{}: {}".format(recipe.source, problem))


#: The Ascend ModelZoo port's launch flags, accepted one to one:
#: (flag, recipe key or None for a switch that gates the next flag, click type, Ascend-only, help)
PORT_FLAGS = (
    ("--precision_mode", "runtime.precision_mode", str, True, "npu_device precision_mode"),
    ("--over_dump", "runtime.overflow_dump", click.BOOL, True, "overflow detection dump (True/False)"),
    ("--over_dump_path", "runtime.dump_path", str, True, "overflow dump folder"),
    ("--data_dump_flag", "runtime.dump", click.BOOL, True, "dump op data (True/False)"),
    ("--data_dump_step", "runtime.dump_step", str, True, "steps to dump, e.g. 0|5|10"),
    ("--data_dump_path", "runtime.dump_path", str, True, "data dump folder"),
    ("--profiling", "runtime.profiling", click.BOOL, True, "profile (True/False)"),
    ("--profiling_dump_path", "runtime.profiling_path", str, True, "profiling output folder"),
    ("--use_mixlist", None, click.BOOL, True, "apply --mixlist_file (True/False)"),
    ("--mixlist_file", "runtime.mixlist_file", str, True, "modify_mixlist JSON file"),
    ("--fusion_off_flag", None, click.BOOL, True, "apply --fusion_off_file (True/False)"),
    ("--fusion_off_file", "runtime.fusion_switch_file", str, True, "fusion switch JSON file"),
    ("--static", "data.drop_remainder", click.BOOL, False, "static shapes: drop the last partial batch"),
    ("--log_steps", "train.log_steps", click.INT, False, "throughput line every N steps"),
    ("--epoch", "train.epochs", click.INT, False, "epochs"),
    ("--batch_size", "data.batch_size", click.INT, False, "global batch size"),
    ("--data_path", "data.data_dir", str, False, "data folder"),
)
_GATED = {"mixlist_file": "use_mixlist", "fusion_off_file": "fusion_off_flag"}


def _port_flag_options(function):
    for flag, _, kind, _, text in reversed(PORT_FLAGS):
        function = click.option(flag, type=kind, default=None, help="(Ascend port) " + text)(function)
    return function


def _port_overrides(port):
    """(overrides, whether an Ascend-only flag was given) from the port's flags."""
    paths = {port[name] for name in ("over_dump_path", "data_dump_path") if port[name]}
    if len(paths) > 1:
        _fail("--over_dump_path and --data_dump_path differ ({}); npu_device has one dump_path".format(
            " vs ".join(sorted(paths))))
    overrides, ascend_only = [], False
    for flag, key, _, ascend, _ in PORT_FLAGS:
        name = flag.lstrip("-")
        if port[name] is None or key is None or (name in _GATED and not port[_GATED[name]]):
            continue
        overrides.append((key, port[name]))
        ascend_only = ascend_only or ascend
    return overrides, ascend_only


def recipe_overrides(overrides, output_dir, device, port):
    """The overrides the flags stand for, applied in this order: port flags, --set, --output-dir, --device."""
    extra, ascend_only = _port_overrides(port)
    extra += list(overrides)
    if output_dir:
        extra.append(("output.dir", output_dir))
    if device or ascend_only:
        extra.append(("runtime.device", device or "ascend"))
    return extra


def _short(options):
    return ", ".join("{}={}".format(k, v) for k, v in options.items())


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("recipe", required=False, type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="override a recipe value (YAML-typed), e.g. --set train.epochs=1; repeatable")
@click.option("--data-dir", help="sets data.data_dir (where the dataset lies)")
@click.option("--output-dir", help="sets output.dir (default runs/<name>)")
@click.option("--device", help="sets runtime.device: auto, cpu, gpu, ascend")
@click.option("--resume", is_flag=True, help="continue the run in the output directory from its last checkpoint")
@click.option("--dry-run", is_flag=True, help="validate, build the model, print the plan and parameter count")
@click.option("--list", "list_plugins", is_flag=True, help="list stages, backbones, runtimes, datasets and origins")
@_port_flag_options
def main(recipe, overrides, data_dir, output_dir, device, resume, dry_run, list_plugins, **port):
    """Train the model a RECIPE (YAML) describes.

    The Ascend ModelZoo port's flags (--precision_mode=allow_mix_precision --over_dump=True ...) are accepted
    as they are and set the matching recipe keys; an Ascend-only flag selects the ascend runtime.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's oneDNN CPU kernels trained resizer + DenseNet-121 1.4-1.8x faster on an AVX2 CPU, where TensorFlow
    # leaves them off (it turns them on itself with AVX-512); TF_ENABLE_ONEDNN_OPTS=0 keeps its own kernels.
    # Read once, when TensorFlow loads: so before anything imports it.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    _setup_logging()
    if list_plugins:
        _list_plugins()
        return
    if not recipe:
        _fail("give a RECIPE file (or --list); see zoo-run --help")
    from .contract import DataError, OptionError
    from .recipe import RecipeError, load_recipe
    from .registry import PluginError
    from .train import OutputDirError, check_output_dir, train

    try:
        parsed = load_recipe(recipe, recipe_overrides(overrides, output_dir, device, port), data_dir=data_dir)
    except RecipeError as error:
        _fail(str(error))
    if dry_run:
        _dry_run(parsed)
        return
    out = parsed.config["output"]["dir"]
    try:
        check_output_dir(out, resume)
        _, problem = _describe_data(parsed)
        if problem:
            _fail("{}: {}".format(recipe, problem))
        os.makedirs(out, exist_ok=True)
        _setup_logging(os.path.join(out, "train.log"))
        train(parsed, out, resume=resume)
    except (OutputDirError, PluginError, OptionError) as error:
        _fail(str(error))
    except DataError as error:
        _fail("{}: {}".format(recipe, error))
    except KeyboardInterrupt:
        _fail("interrupted; completed epochs are checkpointed in {}: rerun with --resume".format(out), 130)
    except Exception as error:  # report, keep the checkpoints, point at the log
        with open(os.path.join(out, "train.log"), "a") as handle:
            handle.write(traceback.format_exc())
        _fail("training failed: {}: {}\n  the traceback is in {}; completed epochs are checkpointed in {} "
              "(rerun with --resume)".format(type(error).__name__, error, os.path.join(out, "train.log"), out), 1)


if __name__ == "__main__":
    main()
