"""The public API as text, one entry per thing users build on: each name of ``resizer_plugin.__all__``,
``resizer_plugin.zoo.contract.__all__`` and ``resizer_plugin.testing.__all__`` with its signature (a class: its
constructor and public methods), every CLI command with its options, every recipe key with its default, and the
entry-point groups. ``tests/test_public_api.py`` holds the live API to ``tests/api/current.json``.

    python -m tests.public_api --write        # after a deliberate change, with its CHANGELOG entry under Unreleased

``tests/api/released-0.2.0.json`` was written from the last 0.2.0 commit's code (``git worktree add /tmp/v ef4b65a``,
then ``PYTHONPATH=/tmp/v python tests/public_api.py --write tests/api/released-0.2.0.json``), its entry points as 0.2.0
registered them (no ``zoo.preparers`` group yet). Write it anew at each release.
"""
import argparse
import inspect
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "api"
CURRENT = SNAPSHOTS / "current.json"
#: the snapshot of the last release: what differs from it must be named in CHANGELOG.md's Unreleased section
RELEASED = SNAPSHOTS / "released-0.2.0.json"
MODULES = ("resizer_plugin", "resizer_plugin.zoo.contract", "resizer_plugin.testing")
GROUPS = ("zoo.stages", "zoo.backbones", "zoo.runtimes", "zoo.datasets", "zoo.preparers", "zoo.recipes", "pytest11")


def _signature(obj):
    try:
        return re.sub(r" at 0x[0-9a-f]+", "", str(inspect.signature(obj)))  # a default's address changes every run
    except (TypeError, ValueError):
        return "(no signature)"


def _describe_class(cls):
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return {"fields": list(cls._fields)}
    members = {}
    for name, member in sorted(vars(cls).items()):
        if name in ("__init__", "__call__") or (not name.startswith("_") and callable(member)):
            members[name] = _signature(member)
        elif not name.startswith("_") and isinstance(member, property):
            members[name] = "property"
    return {"bases": [base.__name__ for base in cls.__bases__], "members": members}


def _describe(obj):
    if inspect.isclass(obj):
        return _describe_class(obj)
    if callable(obj):
        return _signature(obj)
    return type(obj).__name__


def python_api():
    """``module.name`` -> its description, for every public name of :data:`MODULES`."""
    import importlib

    api = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            api["{}.{}".format(module_name, name)] = _describe(getattr(module, name))
    return api


def _command_options(command, path):
    import click

    entries = {}
    for param in command.params:
        kind = "argument" if isinstance(param, click.Argument) else "option"
        entries["{} {}".format(path, " ".join(param.opts))] = "{} {}{}".format(
            kind, param.type.name, " (required)" if param.required else "")
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        entries.update(_command_options(sub, "{} {}".format(path, name)))
    entries.setdefault(path, "command")
    return entries


def cli_api():
    """``zoo VERB --option`` -> what it takes, for every command of ``zoo`` (``zoo train`` is ``zoo-run``)."""
    from resizer_plugin.zoo.cli.group import zoo

    return _command_options(zoo, "zoo")


def recipe_api():
    """``recipe: dotted.key`` -> its default, for every host key of the recipe schema."""
    from resizer_plugin.zoo.config.schema import schema_reference

    return {"recipe: {}".format(key): repr(default) for key, default, _ in schema_reference()}


def entry_point_api():
    """``entry points: group`` -> the names this package registers in it."""
    from importlib.metadata import entry_points

    return {"entry points: {}".format(group): sorted(e.name for e in entry_points(group=group)
                                                     if e.value.startswith("resizer_plugin"))
            for group in GROUPS}


def public_api():
    """Every entry of the public API, sorted by key."""
    api = dict(python_api(), **cli_api(), **recipe_api(), **entry_point_api())
    return dict(sorted(api.items()))


def differences(live, snapshot):
    """The keys whose entry differs between two API snapshots (added, removed or changed)."""
    return sorted(key for key in set(live) | set(snapshot) if live.get(key) != snapshot.get(key))


def unreleased_section(changelog):
    """The text of CHANGELOG.md's ``## [Unreleased]`` section."""
    return changelog.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0] if "## [Unreleased]" in changelog else ""


def unmentioned(keys, changelog):
    """The keys among ``keys`` that CHANGELOG.md's Unreleased section does not name (see :func:`mention`)."""
    section = unreleased_section(changelog)
    return [key for key in keys if mention(key).lower() not in section.lower()]


def mention(key):
    """What CHANGELOG.md must name for a change to ``key``: the Python name, the recipe key or the entry-point
    group in backquotes; the CLI's option, argument or command as it is written (any case: ``SOURCE``)."""
    if key.startswith(("recipe: ", "entry points: ")):
        return "`{}`".format(key.split(": ", 1)[1])
    if key.startswith("zoo "):
        return key.split()[-1]
    return "`{}`".format(key.rsplit(".", 1)[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=pathlib.Path, nargs="?", const=CURRENT, metavar="FILE",
                        help="write the snapshot (default: {})".format(CURRENT.relative_to(ROOT)))
    args = parser.parse_args(argv)
    text = json.dumps(public_api(), indent=1, sort_keys=True) + "\n"
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
