"""The README stays true: its first commands, the recipe keys and every plugin option it documents."""
import os
import re

import pytest

from resizer_plugin.zoo import registry
from resizer_plugin.zoo.schema import schema_reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def test_opens_with_the_install_and_run_and_the_test_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()
    assert first_block[0].startswith('pip install -e ".[examples]" && zoo-run recipes/quickstart.yaml')
    assert first_block[1].startswith('pip install -e ".[test]" && pytest')
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    assert 'pip install --quiet -e ".[test]"' in ci and "\npytest\n" in ci


@pytest.mark.parametrize("key", [row[0] for row in schema_reference()])
def test_every_recipe_key_is_documented(key):
    assert "| `{}` |".format(key) in README


@pytest.mark.parametrize("group", ["datasets", "backbones", "stages", "runtimes"])
def test_every_plugin_option_is_documented(group):
    plugins, errors = getattr(registry, group).load_all()
    assert not errors
    for name, plugin in plugins.items():
        assert "`{}`".format(name) in README, name
        for option in plugin.options:
            assert "`{}`".format(option) in README or "`runtime.{}`".format(option) in README, (name, option)
