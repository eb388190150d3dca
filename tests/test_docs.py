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


#: every code block of the pages that the docs' tests (Sybil, conftest.py) leave out, with why: a block that could run
#: here runs; a new entry is a decision made here, in review
SKIPPED_BLOCKS = sorted([
    ("README.md", "why: pip install of the project, and the whole test suite"),
    ("README.md", "why: Microsoft's PetImages (a download), and hours of DenseNet-121 training"),
    ("README.md", "why: a 17-minute study"),
    ("compare.md", "why: cats_vs_dogs (a download) in /data/tensorflow_datasets, and days of DenseNet-121 training"),
    ("compare.md", "why: a 17-minute study"),
    ("compare.md", "why: a 46-minute study"),
    ("compare.md", "why: a 24-minute study"),
    ("compare.md", "why: the shared photos, and 20 to 25 minutes of DenseNet-121 training per run"),
    ("compare.md", "why: the shared photos, and about 8 hours of DenseNet-121 training"),
    ("mutation.md", "why: hours of CPU (2 cores), and the mutation extra"),
    ("performance.md", "why: minutes of DenseNet-121 steps, from the checkout (tests/test_benchmarks.py runs each at "
                       "a tiny size)"),
    ("performance.md", "why: cats_vs_dogs (a download) in DIR"),
    ("performance.md", "why: a GPU"),
    ("recipes.md", "why: Microsoft's PetImages (a download), and cats_vs_dogs made from it in "
                   "/data/tensorflow_datasets"),
    ("recipes.md", "why: Microsoft's PetImages (a download)"),
    ("recipes.md", "why: a download"),
    ("runtimes.md", "why: a launch on two hosts"),
    ("runtimes.md", "why: a launch on two hosts"),
    ("runtimes.md", "why: an Ascend NPU, and cats_vs_dogs (a download) in /data/tensorflow_datasets"),
    ("runtimes.md", "why: TensorFlow 2.6.5 in a Python 3.9 venv, from PyPI (.ci/tf2_6 does it in CI)"),
    ("runtimes.md", "why: pip install of the project"),
])
#: the blocks the tests run that a reader does not see: README's first command without its install
INVISIBLE_BLOCKS = [("README.md", "zoo-run quickstart")]


def test_the_blocks_that_cannot_run_here_are_few_listed_and_say_why():
    markers = [(page, marker) for page, text in PAGES.items() for marker in re.findall(r"<!--\s*skip:.*", text)]
    skipped = [(page, reason) for page, text in PAGES.items()
               for reason in re.findall(r'^<!-- skip: next "(why: [^"]+)" -->\n```(?:bash|python)\n', text, re.M)]
    assert len(skipped) == len(markers), markers  # each marker is that form, right above a block the tests run
    assert sorted(skipped) == SKIPPED_BLOCKS and len(SKIPPED_BLOCKS) <= 21
    invisible = [(page, block.split("#")[0].strip()) for page, text in PAGES.items()
                 for block in re.findall(r"<!-- invisible-code-block: \w+\n(.*?)-->", text, re.S)]
    assert invisible == INVISIBLE_BLOCKS


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_code_block_says_its_language_so_that_none_escapes_the_tests(page):
    """bash and python blocks run (conftest.py); text (outputs, usage, diagrams), yaml and toml are read."""
    fences = re.findall(r"^```(.*)$", PAGES[page], re.M)
    openings = fences[::2]
    assert all(fence in ("bash", "python", "text", "yaml", "toml") for fence in openings), openings
    assert all(fence == "" for fence in fences[1::2]), fences


def test_the_readmes_warm_start_figures_are_those_recipes_md_measured():
    row = next(line for line in README.splitlines() if line.startswith("| warm start:"))
    section = " ".join(DOCS["recipes.md"].split("### A warm start from your own run")[1].split())
    warm, random = re.search(r"validation accuracy (0\.\d+) \(chance 0\.25\); from random weights (0\.\d+)",
                             row).groups()
    assert "the warm start at {} after 5 epochs".format(warm) in section
    assert re.search(r"from random weights without the frozen epoch \([^)]*\) ends at {}".format(re.escape(random)),
                     section)


def test_a_commands_documented_output_is_the_comment_lines_right_under_it_figures_aside():
    from .doc_blocks import comparable, shell_commands

    block = "# what it does\nzoo eval runs/q\n# run  x,\n#  y\n\n# a note, no output\nzoo-run a \\\n  --b\n# out\n"
    assert shell_commands(block) == [("zoo eval runs/q", ["run  x, y"]), ("zoo-run a \\\n  --b", ["out"])]
    assert comparable("onnx  model.onnx  150 KB  max |diff| 0 on 64 images;  images/s 1,754 (batch 1), 22 (batch 16)"
                      ) == "onnx model.onnx <figure> KB max |diff| <figure> on 64 images; images/s <figure> (batch 1), " \
                           "<figure> (batch 16)"
    assert comparable("best/ckpt-3.npz, 96 examples, loss 0.3943, 2.4e-07, 100.0%") == \
        "best/ckpt-3.npz, 96 examples, loss <figure>, <figure>, <figure>"  # counts and file names stay


def test_the_mutation_runs_table_is_its_committed_results():
    """docs/mutation.md's results table holds docs/results/mutation/'s figures, group by group, and every mutant
    left alive there has its reason in the results file."""
    import json

    results = json.loads(next((ROOT / "docs" / "results" / "mutation").glob("*.json")).read_text())["groups"]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in DOCS["mutation.md"].splitlines()
            if line.startswith("| ") and re.match(r"^\| [a-z ]+ \| \d", line)]
    columns = ["mutants", "killed", "survived", "timeout", "no tests", "killed by the tests added after"]
    assert {row[0]: [int(cell.replace(",", "")) for cell in row[1:7]] + [int(row[7])] for row in rows} == {
        name: [group[column] for column in columns] + [len(group["left"])] for name, group in results.items()}
    assert all(reason for group in results.values() for reason in group["left"].values())
