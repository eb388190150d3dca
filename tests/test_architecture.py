"""The architecture's rules hold: import doors (import-linter), short functions, a host that names no plugin."""
import ast
import configparser
import os
import re
import shutil
import subprocess
import sys

import pytest

from .builders import ROOT

PACKAGE = ROOT / "resizer_plugin"
LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")
MAX_FUNCTION_LINES = 40


def _lint_imports(root):
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([LINT_IMPORTS, str(root / ".importlinter")], cwd=str(root), env=env,
                          capture_output=True, text=True)


def test_lint_imports_keeps_every_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "7 kept, 0 broken" in result.stdout


PLANTED = [
    ("zoo/training/run.py", "from resizer_plugin.datasets import tfds", "The host (zoo) knows only contracts"),
    ("zoo/training/model.py", "from resizer_plugin.layers import LearnableResizer",
     "The host (zoo) knows only contracts"),
    ("datasets/tfds.py", "from resizer_plugin.zoo.training import pipeline", "Plugins import the contract"),
    ("backbones/small_cnn.py", "from resizer_plugin.datasets import photo_crops", "Plugins never import each other"),
    ("runtimes/local/__init__.py", "from resizer_plugin.runtimes import ascend", "Plugins never import each other"),
    ("layers/resize.py", "from resizer_plugin.zoo import contract", "The layers are pure Keras"),
    ("compat/__init__.py", "from resizer_plugin import stages", "compat, the one door to Keras"),
    ("testing/conformance.py", "from resizer_plugin.zoo.training import run", "The conformance kit depends on"),
    ("zoo/training/run.py", "from resizer_plugin.zoo.cli import common", "The host's rooms stack"),
    ("zoo/export/exporter.py", "from resizer_plugin.zoo.compare import runner", "The host's rooms stack"),
]


@pytest.mark.parametrize("module, line, contract", PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_violation_breaks_its_contract(tmp_path, module, line, contract):
    shutil.copytree(str(PACKAGE), str(tmp_path / "resizer_plugin"), ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(str(ROOT / ".importlinter"), str(tmp_path / ".importlinter"))
    with open(str(tmp_path / "resizer_plugin" / module), "a") as handle:
        handle.write("\n{}  # planted violation\n".format(line))
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout[-3000:]
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken and "(l.{})".format(_line_count(tmp_path / "resizer_plugin" / module)) in broken, broken


def _line_count(path):
    return len(path.read_text().splitlines())


def _contract(name):
    config = configparser.ConfigParser()
    config.read(str(ROOT / ".importlinter"))
    section = config["importlinter:contract:{}".format(name)]
    return {key: section[key].split() for key in section}


def _modules(folder):
    """The modules and sub-packages of a folder of the package."""
    found = [p.stem for p in (PACKAGE / folder).glob("*.py") if p.stem != "__init__"]
    found += [p.name for p in (PACKAGE / folder).iterdir() if (p / "__init__.py").is_file()]
    return sorted("resizer_plugin.{}.{}".format(folder, name) for name in found)


def test_the_contracts_list_every_host_and_plugin_module():
    """A new module must be placed in the contracts: the lists are checked against the files."""
    host_machinery = [m for m in _modules("zoo") if m != "resizer_plugin.zoo.contract"]
    assert _contract("plugins-use-the-contract")["forbidden_modules"] == host_machinery + ["resizer_plugin.testing"]
    config = "resizer_plugin.zoo.config"
    kit_may_not = set(host_machinery) - {config} | {config + ".recipe", config + ".schema"}
    assert set(_contract("testing")["forbidden_modules"]) >= kit_may_not
    assert _contract("rooms")["layers"] == ["cli", "compare", "|", "evaluate", "|", "export", "|", "predict",
                                           "finished_run", "training", "pictures", "config", "contract"]
    rooms = {m.rsplit(".", 1)[1] for m in _modules("zoo")}
    assert rooms == set(_contract("rooms")["layers"]) - {"|"}
    plugins = ["resizer_plugin.stages"] + _modules("datasets") + _modules("backbones") + _modules("runtimes")
    assert sorted(_contract("plugins-are-independent")["modules"]) == sorted(plugins)


def _functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.relative_to(ROOT), node


def test_no_function_is_longer_than_40_lines():
    long = ["{}:{} {} ({} lines)".format(path, node.lineno, node.name, node.end_lineno - node.lineno + 1)
            for path, node in _functions() if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long


def _plugin_names():
    """Names of the stages, runtimes, dataset sources, backbone families and preparers this package registers
    (setup.py)."""
    setup = (ROOT / "setup.py").read_text()
    names = []
    for group in ("zoo.stages", "zoo.runtimes", "zoo.datasets", "zoo.backbones", "zoo.preparers"):
        block = re.search(r'"{}": \[(.*?)\]'.format(re.escape(group)), setup, re.S).group(1)
        names += re.findall(r'"([\w.]+) = ', block)
    return names + ["npu", "npu_device", "CANN"]


#: stage names that are also plain words (the bilinear resize a picture shows): named only as a whole string
PLAIN_WORDS = {"rescale", "resize"}


def _names_in(text, names):
    """The names ``text`` holds: as a word (a compound one spelt with spaces too: "learnable resizer"), or, for
    the plain words, as the whole text."""
    def spellings(name):
        return {name, name.replace("_", " ")}
    return [name for name in names if text == name or (name not in PLAIN_WORDS and any(re.search(
        r"(?<![\w.]){}(?!\w)".format(re.escape(spelt)), text, re.I) for spelt in spellings(name)))]


def test_the_host_names_no_plugin():
    """Strings (docstrings included) of zoo/ name no stage, runtime, dataset, backbone or preparer, except the
    schema's default runtime."""
    names = _plugin_names()
    assert {"learnable_resizer", "random_flip", "resize", "ascend", "tfds", "small_cnn", "keras.applications",
            "cats_vs_dogs"} <= set(names)
    found = []
    for path in sorted((PACKAGE / "zoo").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += ["{}:{} {!r}".format(path.name, node.lineno, name) for name in _names_in(node.value, names)]
    assert found == ["schema.py:{} 'auto'".format(_schema_default_line())], found
    assert _names_in("a learnable resizer", names) and _names_in("resize", names)  # what the rule catches
    assert not _names_in("the bilinear resize", names)


def _schema_default_line():
    text = (PACKAGE / "zoo" / "config" / "schema.py").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(text) if '"device": Option(text(), "auto"' in line)
