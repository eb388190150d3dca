"""The mutation run: mutmut over the modules that guard users, each group against its own fast tests.

In a scratch copy of the checkout's committed files; hours on two cores, so not part of CI (docs/mutation.md).

    python -m tests.mutation [GROUP ...] [--keep DIR] [--retest RESULTS_JSON] [--no-run]

Prints, per group, how many mutants were killed, survived, timed out or reached by no test, and lists the survivors
(``mutmut show NAME`` in the copy shows one); writes every mutant's verdict, group by group as each ends, to
DIR/results.json."""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from typing import NamedTuple, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Group(NamedTuple):
    """Modules that guard one thing, as mutmut's mutant-name patterns, and the tests that hold them."""
    name: str
    mutants: Tuple[str, ...]
    tests: Tuple[str, ...]


_RECIPE_TESTS = ("tests/test_option_ranges.py", "tests/test_option_validators.py", "tests/test_recipe_bounds.py",
                 "tests/test_generated_input.py", "tests/test_cli_errors.py", "tests/test_contract.py",
                 "tests/test_registry.py")
GROUPS = (
    Group("recipe schema", ("resizer_plugin.zoo.config.schema.*", "resizer_plugin.zoo.config.bounds.*",
                            "resizer_plugin.zoo.contract.options.*"), _RECIPE_TESTS),
    Group("run folder", ("resizer_plugin.zoo.training.run_dir.*",),
          ("tests/test_run_folder.py", "tests/test_output_paths.py", "tests/test_torn_checkpoints.py")),
    Group("precision choice", ("resizer_plugin.runtimes.local.x_auto_policy*",
                               "resizer_plugin.runtimes.local.xǁLocalRuntimeǁ_policy*",
                               "resizer_plugin.runtimes.local.xǁLocalRuntimeǁplan*",
                               "resizer_plugin.runtimes.local.xǁLocalRuntimeǁ_check_policy*"),
          ("tests/test_precision_auto.py", "tests/test_option_ranges.py")),
    Group("export check", ("resizer_plugin.zoo.export.exporter.*",),
          ("tests/test_export_check.py", "tests/test_export_run.py", "tests/test_zoo_export.py")),
    Group("checkpoints", ("resizer_plugin.zoo.training.checkpoints.*",),
          ("tests/test_checkpoint_files.py", "tests/test_torn_checkpoints.py", "tests/test_step_checkpoints.py",
           "tests/test_warm_start.py", "tests/test_run_folder.py")),
    Group("conformance kit", ("resizer_plugin.testing.conformance.*",), ("tests/test_conformance.py",)),
    Group("recipe reading", ("resizer_plugin.zoo.config.recipe.*",),
          _RECIPE_TESTS + ("tests/test_schedule.py", "tests/test_recipe_copy.py", "tests/test_recipe_reading.py")),
)
#: mutmut's exit codes in its .meta files, by what they mean (a negative one: the mutant's tests were killed by a
#: signal, the time limit's)
VERDICTS = {1: "killed", 0: "survived", 33: "no tests", None: "not run"}
#: the verdicts of every group run in a folder, by group (a retest writes its own folder's)
RESULTS = "results.json"
#: the mutmut setting that names the tests, which this script sets for each group
SELECTION = "pytest_add_cli_args_test_selection"


def copy_of_the_checkout(folder):
    """The committed files of the checkout, unpacked into ``folder`` (what is tested is what is committed)."""
    archive = subprocess.run(["git", "-C", ROOT, "archive", "HEAD"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)


def verdicts(folder, patterns):
    """Mutant name -> verdict, for the mutants matching ``patterns``, read from mutmut's .meta files."""
    from fnmatch import fnmatch

    found = {}
    for meta in glob.glob(os.path.join(folder, "mutants", "**", "*.meta"), recursive=True):
        with open(meta) as handle:
            codes = json.load(handle).get("exit_code_by_key", {})
        for name, code in codes.items():
            if any(fnmatch(name, pattern) for pattern in patterns):
                found[name] = VERDICTS[code] if code in VERDICTS else (
                    "timeout" if code < 0 else "error {}".format(code))
    return found


def run_group(folder, group, patterns):
    """Run mutmut over the mutants ``patterns`` names (a group's, or some of them) with the group's tests as the
    selection; their verdicts."""
    config = os.path.join(folder, "pyproject.toml")
    with open(config) as handle:  # without the line a run killed part way left
        base = "".join(line for line in handle if not line.startswith(SELECTION))
    with open(config, "w") as handle:  # [tool.mutmut] is the file's last table
        handle.write(base + "{} = {}\n".format(SELECTION, json.dumps(list(group.tests))))
    try:
        ran = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(os.cpu_count() or 1)]
                             + list(patterns), cwd=folder, stdout=subprocess.DEVNULL)
    finally:
        with open(config, "w") as handle:
            handle.write(base)
    if ran.returncode != 0:
        sys.exit("mutmut failed on the group {!r} (exit status {}); its output is above".format(group.name,
                                                                                             ran.returncode))
    return verdicts(folder, patterns)


def keep_result(folder, group, found):
    """Write ``group``'s verdicts into the folder's results file at once: mutmut forgets every other group's
    verdicts when the test selection changes, so a run stopped part way keeps the groups it finished."""
    path = os.path.join(folder, RESULTS)
    results = {}
    if os.path.isfile(path):
        with open(path) as handle:
            results = json.load(handle)
    results[group.name] = found
    with open(path + ".partial", "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    os.replace(path + ".partial", path)


def survivors_of(results_json):
    """Group name -> the mutants that survived, from an earlier run's results.json."""
    with open(results_json) as handle:
        results = json.load(handle)
    return {name: sorted(m for m, v in found.items() if v == "survived") for name, found in results.items()}


def report(group, found):
    """Print a group's counts and its survivors."""
    counts = Counter(found.values())
    print("{}: {} mutants, {}".format(group.name, len(found), ", ".join(
        "{} {}".format(counts[v], v) for v in ("killed", "survived", "timeout", "no tests", "not run"))))
    for name in sorted(n for n, v in found.items() if v == "survived"):
        print("  survived: " + name)
    sys.stdout.flush()


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help="groups to run (default: all): "
                        + ", ".join(repr(g.name) for g in GROUPS))
    parser.add_argument("--keep", help="the scratch folder to use and keep (a rerun there resumes)")
    parser.add_argument("--no-run", action="store_true",
                        help="run nothing: report what the --keep folder holds (a run stopped part way)")
    parser.add_argument("--retest", metavar="RESULTS_JSON",
                        help="run only the mutants that survived in an earlier run's results.json (after new tests)")
    args = parser.parse_args(argv)
    unknown = set(args.groups) - {g.name for g in GROUPS}
    if unknown:
        parser.error("no group {}".format(", ".join(sorted(unknown))))
    return args


def main(argv=None):
    args = _arguments(argv)
    folder = args.keep or tempfile.mkdtemp(prefix="mutation-")
    if not os.path.isfile(os.path.join(folder, "pyproject.toml")):
        os.makedirs(folder, exist_ok=True)
        copy_of_the_checkout(folder)
    only = survivors_of(args.retest) if args.retest else {}
    for group in GROUPS:
        if (args.groups and group.name not in args.groups) or (args.retest and not only.get(group.name)):
            continue
        patterns = only.get(group.name) or group.mutants
        found = verdicts(folder, patterns) if args.no_run else run_group(folder, group, patterns)
        report(group, found)
        keep_result(folder, group, found)
    print("results: {}".format(os.path.join(folder, RESULTS)))


if __name__ == "__main__":
    main()
