"""The README and docs/ stay true: the first commands, every recipe key, plugin option, conformance check, port flag
and module is documented; links resolve; tables are whole."""
import os
import re

import pytest

from resizer_plugin.runtimes.ascend import PORT_FLAGS
from resizer_plugin.testing.conformance import CHECKS
from resizer_plugin.zoo.config import registry
from resizer_plugin.zoo.config.schema import schema_reference

from .builders import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
PAGES = dict(DOCS, **{"README.md": README})


def test_opens_with_the_install_and_run_and_the_test_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()
    assert first_block[0].startswith('pip install -e ".[examples]" && zoo-run quickstart')
    assert first_block[1].startswith('pip install -e ".[test]" && pytest')
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet -e ".[test]"' in ci and "\nlint-imports\n" in ci
    test_command = first_block[1].split("&&")[1].split("#")[0].strip()
    assert re.search(r"^{}( \|\| |$)".format(re.escape(test_command)), ci, re.M)  # as it is: no subset, no options


def test_readme_fits_on_a_screen_and_links_every_doc():
    assert len(README.splitlines()) <= 200
    for name in DOCS:
        assert "(docs/{}".format(name) in README, name


@pytest.mark.parametrize("key", [row[0] for row in schema_reference()])
def test_every_recipe_key_is_documented(key):
    assert "| `{}` |".format(key) in DOCS["recipes.md"]


@pytest.mark.parametrize("group, page", [("datasets", "recipes.md"), ("backbones", "recipes.md"),
                                         ("stages", "stages-and-conformance.md"), ("runtimes", "runtimes.md")])
def test_every_plugin_and_option_is_documented(group, page):
    plugins, errors = getattr(registry, group).load_all()
    assert not errors
    text = DOCS[page] + (DOCS["recipes.md"] if group == "runtimes" else "")
    for name, plugin in plugins.items():
        assert "`{}`".format(name) in text, name
        for option in plugin.options:
            assert "`{}`".format(option) in text or "`runtime.{}`".format(option) in text, (name, option)


def test_the_entry_point_listing_shows_every_registered_stage():
    listed = re.search(r"group='zoo.stages'\)\)\)\"\n((?:# .*\n)+)", DOCS["stages-and-conformance.md"]).group(1)
    names, errors = registry.stages.load_all()
    assert not errors and re.findall(r"'(\w+)'", listed) == sorted(names)


def test_every_conformance_check_is_documented():
    for check in CHECKS:
        assert "| `{}` |".format(check.__name__) in DOCS["stages-and-conformance.md"], check.__name__


def test_every_port_flag_is_in_the_migration_table():
    table = DOCS["runtimes.md"].split("## Migrating from the Ascend ModelZoo port")[1]
    for flag in PORT_FLAGS:
        assert "`{}".format(flag.flag) in table, flag.flag


def test_every_module_is_in_the_architecture_rooms():
    rooms = DOCS["architecture.md"]
    for path in sorted((ROOT / "resizer_plugin").rglob("*.py")):
        if path.name != "__init__.py" or path.parent.name == "resizer_plugin":
            assert path.name in rooms, path.relative_to(ROOT)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_relative_links_resolve(page):
    base = ROOT if page == "README.md" else ROOT / "docs"
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", PAGES[page]):
        assert (base / target).exists(), (page, target)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_tables_are_whole(page):
    """Every table row sits in a table that starts with a header and a separator, with as many cells as it."""
    lines = PAGES[page].splitlines()
    in_code, columns = False, None
    for number, line in enumerate(lines, 1):
        in_code = in_code != line.startswith("```")
        if in_code or not line.startswith("|"):
            columns = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line)) - 1
        if columns is None:
            assert number < len(lines) and re.match(r"^\|(\s*:?-+:?\s*\|)+$", lines[number]), (page, number, line)
            columns = cells
        assert cells == columns, (page, number, line)


@pytest.mark.parametrize("name, heading", [("keras2", "## Keras 2\n"), ("tf2.6", "### TensorFlow 2.6 and tf.keras 2"),
                                           ("jax", "## Keras 3 on JAX")])
def test_each_second_pass_is_described_as_it_runs(name, heading):
    from .passes import PASSES

    spec = PASSES[name]
    section = " ".join(DOCS["runtimes.md"].split(heading)[1].split("\n## ")[0].split())
    for path in spec.tests:
        assert os.path.basename(path) in section, path
    assert "Exactly {} tests skip".format(sum(spec.skips.values())) in section
    for reason, count in spec.skips.items():
        assert "{} ({}".format(reason, count) in section, reason


_NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
            .split())


def _counts():
    """(page, phrase with {} for the number, the count the code gives) of each count the prose states."""
    from resizer_plugin.zoo.export.formats import FORMATS

    stages, _ = registry.stages.load_all()
    augmentations = [name for name, stage in stages.items() if stage.augmentation]
    serving = [f for f in FORMATS if f.name != "backbone"]  # the artifacts that take images and give probabilities
    return [("README.md", "its {} stages", len(stages)), ("README.md", "{} augmentations", len(augmentations)),
            ("README.md", "{} small named checks", len(CHECKS)),
            ("stages-and-conformance.md", "registers its {} through", len(stages)),
            ("stages-and-conformance.md", "{} small functions", len(CHECKS)),
            ("runtimes.md", "all {} formats", len(serving)), ("after-training.md", "all {} formats", len(serving))]


@pytest.mark.parametrize("page, phrase, count", _counts())
def test_counts_in_the_prose_come_from_the_code(page, phrase, count):
    text = " ".join(PAGES[page].split())
    assert phrase.format(_NUMBERS[count]) in text, (page, phrase, count)
    stated = re.findall(re.escape(phrase).replace(re.escape("{}"), r"(\w+)"), text)
    assert all(word == _NUMBERS[count] for word in stated if word in _NUMBERS), stated  # no other count besides
