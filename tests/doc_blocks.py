"""The code blocks of README.md and docs/*.md run as tests, through Sybil (the root conftest.py hands it those files).

- ``python`` blocks run in one namespace per page (Sybil's PythonCodeBlockParser; a block that starts with ``>>>``
  is a doctest, its printed output compared).
- ``bash`` blocks run command by command with bash, in page order, with this Python's ``bin`` first on ``PATH``.
  A comment line right under a command (no blank line between) is that command's documented output; a comment
  line that goes on from the one above starts with two spaces (``#  ...``). Each documented line must come out of
  the command, in order (other lines may come between: logs), compared with :func:`comparable`: runs of spaces
  are one, and figures measured on another day (decimals, sizes in KB, speeds, differences) match any figure;
  counts, names and file names must be equal. A command must exit 0, or not 0 where its documented output shows
  ``zoo: error:`` (or ``zoo-run: error:``).
- Every page runs in a scratch folder of its own, the working directory of its Python and shell blocks alike.
- A page's own example package: a Python block whose first line is ``# path/to/module.py`` is also written to that
  file, and a ``toml`` block whose first line is ``# pyproject.toml`` registers its entry points from the page's
  folder (a ``.dist-info`` there, on ``sys.path`` and ``PYTHONPATH`` for the blocks after it), as ``pip install``
  of that package would.
- A block that cannot run here carries ``<!-- skip: next "why: ..." -->`` right above it (Sybil's SkipParser);
  ``SKIPPED_BLOCKS`` in tests/test_docs.py lists every one.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

from sybil import Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

try:
    import tomllib
except ImportError:  # Python < 3.11: pytest's own dependency
    import tomli as tomllib

__all__ = ["DocumentFolder", "SYBIL", "collect", "comparable", "shell_commands"]

ROOT = Path(__file__).resolve().parent.parent
#: the longest one documented command may take (the slowest, a quickstart run with its export, takes under a minute)
COMMAND_TIMEOUT = 600
_ERROR_LINE = re.compile(r"^(zoo|zoo-run): error:", re.M)
#: figures that differ from one day or machine to the next, each replaced by one word before comparing
_FIGURES = [
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|\d*\.\d+(?:e[-+]?\d+)?%?|\d+e[-+]?\d+"), "<figure>"),  # 0.953, 1,643
    (re.compile(r"\b\d+ KB\b"), "<figure> KB"),  # a file's size
    (re.compile(r"(max \|diff\|) \d+\b"), r"\1 <figure>"),  # an exported model's largest difference
    (re.compile(r"(images/s|,) \d+ \(batch"), r"\1 <figure> (batch"),  # a speed
]


def comparable(line):
    """``line`` as the comparison sees it: runs of white space made one space, figures made ``<figure>``."""
    line = " ".join(line.split())
    for pattern, replacement in _FIGURES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def shell_commands(source):
    """``(command, documented output lines)`` of each command of a shell block, in order; a command continued
    with a trailing backslash is one command."""
    commands, continued, output_open = [], None, False
    for line in source.splitlines():
        if continued is not None:
            continued += "\n" + line
            if not line.endswith("\\"):
                commands.append((continued, []))
                continued, output_open = None, True
            continue
        text = line.strip()
        if not text:
            output_open = False
        elif text.startswith("#"):
            if output_open:  # right under a command: what it prints
                shown = text[2:] if text.startswith("# ") else text[1:]
                output = commands[-1][1]
                if shown.startswith(" ") and output:
                    output[-1] += shown
                else:
                    output.append(shown)
        elif line.endswith("\\"):
            continued = line
        else:
            commands.append((line, []))
            output_open = True
    return commands


class DocumentFolder:
    """A page's scratch folder, and what its blocks added to the import path."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.import_paths = []

    def install_path(self, path):
        """Put ``path`` on this process's ``sys.path`` and the shell blocks' ``PYTHONPATH`` from now on."""
        path = str(path)
        if path not in self.import_paths:
            self.import_paths.append(path)
            sys.path.insert(0, path)

    def environment(self):
        """A user's shell here: this Python's bin first on PATH, no trace of the pytest running the page."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up lines, which no page shows
        if self.import_paths:
            env["PYTHONPATH"] = os.pathsep.join(self.import_paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return env

    def close(self):
        """Take the page's import paths and the modules imported from its folder out of this process."""
        for path in self.import_paths:
            while path in sys.path:
                sys.path.remove(path)
        inside = str(self.folder) + os.sep
        for name, module in list(sys.modules.items()):
            files = [getattr(module, "__file__", None) or ""] + list(getattr(module, "__path__", None) or [])
            if any(str(path).startswith(inside) for path in files):  # a module, or a namespace package
                del sys.modules[name]


def _folder_of(example):
    return example.namespace["doc_folder"]


def run_shell_block(example):
    """Each command of the block, in the page's folder; a failure message, or None."""
    folder = _folder_of(example)
    for command, documented in shell_commands(example.parsed):
        try:
            result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=str(folder.folder),
                                    env=folder.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    universal_newlines=True, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "{}\ndid not end in {} s".format(command, COMMAND_TIMEOUT)
        expect_error = bool(_ERROR_LINE.search("\n".join(documented)))
        if (result.returncode != 0) != expect_error:
            return "{}\nexited with status {} ({}):\n{}".format(
                command, result.returncode, "the page shows an error" if expect_error else "expected 0",
                result.stdout[-4000:])
        missing = _missing_lines(documented, result.stdout)
        if missing:
            return "{}\nprinted\n{}\nbut not, in this order after what came before, the page's line\n{}".format(
                command, result.stdout[-4000:], missing)
    return None


def _missing_lines(documented, output):
    """The first documented line not found, in order, among the output's lines (compared as comparable())."""
    lines = iter(comparable(line) for line in output.splitlines())
    for line in documented:
        wanted = comparable(line)
        if not any(wanted == got for got in lines):
            return line
    return None


class PythonBlocks(PythonCodeBlockParser):
    """Sybil's Python blocks; one whose first line is ``# path/to/module.py`` is written to that file too."""

    def __call__(self, document):
        for region in super().__call__(document):
            first = region.parsed.split("\n", 1)[0] if isinstance(region.parsed, str) else ""  # not a doctest
            match = re.match(r"^# ([\w/]+\.py)$", first)
            if match:
                region.evaluator = _writing_to(match.group(1), region.evaluator)
            yield region


def _writing_to(path, evaluate):
    def write_then_evaluate(example):
        target = _folder_of(example).folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(example.parsed))
        return evaluate(example)

    write_then_evaluate.__name__ = "writing {}".format(path)
    return write_then_evaluate


class PyprojectBlocks(CodeBlockParser):
    """``toml`` blocks whose first line is ``# pyproject.toml``: their entry points registered from the page's
    folder, as installing the package would."""

    def __init__(self):
        super().__init__(language="toml", evaluator=install_pyproject)

    def __call__(self, document):
        for region in super().__call__(document):
            if str(region.parsed).startswith("# pyproject.toml\n"):
                yield region


def install_pyproject(example):
    """A ``NAME-0.dist-info`` in the page's folder with the block's entry points (NAME: ``project.name``, else the
    package the first entry point names), and the folder on the import path."""
    folder = _folder_of(example)
    project = tomllib.loads(str(example.parsed)).get("project", {})
    groups = project.get("entry-points", {})
    if not groups:
        return "a pyproject.toml block with no [project.entry-points.\"...\"] table"
    first_value = next(iter(next(iter(groups.values())).values()))
    name = project.get("name") or first_value.split(".")[0].split(":")[0]
    dist_info = folder.folder / "{}-0.dist-info".format(name.replace("-", "_"))
    dist_info.mkdir(exist_ok=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: {}\nVersion: 0\n".format(name))
    (dist_info / "entry_points.txt").write_text("".join(
        "[{}]\n{}\n".format(group, "".join("{} = {}\n".format(k, v) for k, v in entries.items()))
        for group, entries in groups.items()))
    folder.install_path(folder.folder)
    return None


#: the pages' parsers: skip markers, Python blocks (and doctests), shell blocks, an example package's pyproject.toml
SYBIL = Sybil(parsers=[SkipParser(), PythonBlocks(), CodeBlockParser(language="bash", evaluator=run_shell_block),
                       PyprojectBlocks()],
              patterns=["README.md", "docs/*.md"], path=str(ROOT), fixtures=["doc_folder"])
#: pytest_collect_file for the pages
collect = SYBIL.pytest()
