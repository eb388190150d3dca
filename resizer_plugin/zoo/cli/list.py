"""``zoo list`` (and ``zoo-run --list``): the installed plugins of every group, their options, flags and origins,
and the installed recipes."""
import click

__all__ = ["list_command", "list_plugins", "list_recipes"]


def _print_plugin(name, plugin, origin):
    click.echo("  {:<20} {}  [{}]".format(name, plugin.description, origin))
    for model in getattr(plugin, "models", ()):
        click.echo("      {}/{}".format(name, model))
    if getattr(plugin, "source_help", None):
        click.echo("      SOURCE: {}".format(plugin.source_help))
    for key, option in getattr(plugin, "options", {}).items():
        default = "required" if option.required else "default {!r}".format(option.default)
        bounds = "; {}".format(option.bounds) if option.bounds else ""
        click.echo("      {}: {} ({}{})".format(key, option.help, default, bounds))
    for flag in getattr(plugin, "launch_flags", lambda: ())():
        click.echo("      {} -> {}: {}".format(flag.flag, flag.key or "(switch)", flag.help))


def list_recipes():
    """Print the installed recipes, their description and distribution; one that cannot be used as BROKEN with
    why, and where several packages ship one name, which one is used."""
    from ..config.catalog import GROUP, installed_recipes

    click.echo("recipes ({}):".format(GROUP))
    for name, shipped in installed_recipes().items():
        for rank, recipe in enumerate(shipped):
            origin = recipe.distribution + ("; not used: {}'s wins".format(shipped[0].distribution) if rank else "")
            if recipe.problem:
                click.echo("  {:<26} BROKEN: {} [{}]".format(name, recipe.problem, origin))
            else:
                click.echo("  {:<26} {}  [{}]".format(name, recipe.description, origin))


def list_plugins():
    """Print the installed stages, backbones, runtimes, datasets and preparers, their options and origins (a plugin
    that fails to load as BROKEN with its error), then the recipes."""
    from ..config.registry import REGISTRIES, PluginError

    for group, registry in REGISTRIES.items():
        click.echo("{}s ({}):".format(registry.kind, group))
        for name, entries in registry.entries().items():
            origin = "; ".join("{} ({})".format(e.distribution, e.value) for e in entries)
            try:
                plugin = registry.load(name)
            except PluginError as error:
                click.echo("  {:<20} BROKEN: {}".format(name, error))
                continue
            _print_plugin(name, plugin, origin)
            for message in registry.deprecations(name):
                click.echo("      DEPRECATED: {}".format(message))
    list_recipes()


@click.command("list")
def list_command():
    """List the installed stages, backbones, runtimes, datasets, preparers and recipes, their options and
    origins."""
    list_plugins()
