"""The public API is a promise: it changes only with its snapshot (tests/api/current.json) and a CHANGELOG.md entry
under Unreleased naming what changed since the last release (tests/api/released-0.2.0.json)."""
import json
import os
import re
import subprocess
import sys

import pytest

from resizer_plugin import __version__
from resizer_plugin.testing import CHECKS, TRAIT_CHECKS
from resizer_plugin.zoo.contract import Stage

from . import public_api
from .builders import ROOT, small_recipe, write_recipe

CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
REGENERATE = "python -m tests.public_api --write, and name the change in CHANGELOG.md under [Unreleased]"


def _snapshot(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_public_api_is_its_snapshot():
    changed = public_api.differences(public_api.public_api(), _snapshot(public_api.CURRENT))
    assert not changed, "the public API changed: {}; if on purpose: {}".format(changed, REGENERATE)


def test_every_change_since_the_last_release_is_in_the_changelog():
    changed = public_api.differences(_snapshot(public_api.CURRENT), _snapshot(public_api.RELEASED))
    missing = public_api.unmentioned(changed, CHANGELOG)
    assert not missing, "CHANGELOG.md's Unreleased section names none of: {}".format(
        ["{} ({})".format(key, public_api.mention(key)) for key in missing])


def test_a_planted_signature_change_fails_until_the_changelog_names_it(monkeypatch):
    def changed_init(self, name, *, build, options, trainable, description="", augmentation=False, extra=None):
        """A planted change: one more keyword."""

    monkeypatch.setattr(Stage, "__init__", changed_init)
    snapshot = _snapshot(public_api.CURRENT)
    changed = public_api.differences(dict(snapshot, **public_api.python_api()), snapshot)
    assert changed == ["resizer_plugin.zoo.contract.Stage"]
    without = CHANGELOG.replace("`Stage`", "Stage")
    assert public_api.unmentioned(changed, without) == changed
    assert public_api.unmentioned(changed, without.replace("## [Unreleased]", "## [Unreleased]\n- `Stage`: x")) == []


def test_a_removed_cli_option_or_recipe_key_is_a_difference_named_by_its_option_or_key():
    live = public_api.public_api()
    for key in ("zoo train --resume", "recipe: train.epochs"):
        assert key in live
        assert public_api.differences({k: v for k, v in live.items() if k != key}, live) == [key]
    assert public_api.mention("zoo train --resume") == "--resume"
    assert public_api.mention("recipe: train.epochs") == "`train.epochs`"


def test_the_changelog_keeps_a_changelog_with_this_version_on_top():
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", CHANGELOG, re.M)
    assert CHANGELOG.startswith("# Changelog") and "## [Unreleased]" in CHANGELOG
    assert releases[0][0] == __version__ and [version for version, _ in releases][-1] == "0.1.0"
    assert [date for _, date in releases] == sorted((date for _, date in releases), reverse=True)


#: the docs' gain stage as 0.1 documented it: every argument after the name by position
GAIN_0_1 = '''
from resizer_plugin.compat import keras
from resizer_plugin.zoo.contract import Option, Stage, number

def _build(options, spec):
    return keras.layers.Rescaling(options["gain"]), spec

gain = Stage("gain", _build, {"gain": Option(number(min=0), 2.0, "multiplier")}, False)
'''


def _install_gain_0_1(folder):
    """A distribution 'gain-stage 0.1' on ``folder`` (to go on PYTHONPATH) registering the 0.1-form gain stage."""
    dist_info = folder / "gain_stage-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: gain-stage\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[zoo.stages]\ngain = gain_stage_0_1:gain\n")
    (folder / "gain_stage_0_1.py").write_text(GAIN_0_1)
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]), TF_CPP_MIN_LOG_LEVEL="2")


@pytest.mark.slow
def test_a_stage_package_in_the_0_1_form_loads_with_a_warning_trains_and_passes_the_kit(tmp_path):
    env = _install_gain_0_1(tmp_path)
    listed = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", "--list"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "BROKEN" not in listed.stdout, listed.stdout + listed.stderr
    assert "DEPRECATED: stage 'gain' from gain-stage 0.1: Stage('gain', ...) with arguments by position is the " \
           "0.1 form" in listed.stdout and "write Stage(name, build=build, options=options, trainable=trainable)" \
           in listed.stdout, listed.stdout
    recipe = small_recipe({"model.stages": [{"type": "rescale"}, {"type": "gain", "gain": 0.5},
                                            {"type": "resize", "target_size": [24, 24]}]})
    trained = subprocess.run([sys.executable, "-m", "resizer_plugin.zoo.cli", write_recipe(tmp_path, recipe),
                              "--output-dir", str(tmp_path / "run")], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=600)
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"] == 1
    kit = subprocess.run([sys.executable, "-m", "pytest", "--zoo-stage", "gain", "-q", "-p", "no:cacheprovider"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    checks = len(CHECKS) - len(TRAIT_CHECKS["augmentation"])  # gain is no augmentation
    assert kit.returncode == 0 and re.search(r"^{} passed".format(checks), kit.stdout, re.M), kit.stdout[-3000:]
