"""pytest plugin (entry point ``pytest11``): run the conformance kit on stages with no test code.

    pytest --zoo-stage my_stage            # the stage's checks (those its traits call for) on my_stage
    pytest --zoo-stage all                 # on every stage in the zoo.stages group

Each (stage, check) becomes a test item ``zoo-conformance::my_stage::check_output_spec``. TensorFlow is only
imported when the option is given, so the plugin costs nothing in other test runs.
"""
import pytest


def pytest_addoption(parser):
    group = parser.getgroup("zoo", "zoo stage conformance")
    group.addoption("--zoo-stage", action="append", default=[], metavar="NAME",
                    help="run the conformance kit on the registered stage NAME ('all': every stage); repeatable")


class ConformanceItem(pytest.Item):
    """One conformance check on one stage."""

    def __init__(self, *, stage_name, check, **kwargs):
        super().__init__(**kwargs)
        self.stage_name, self.check = stage_name, check

    def runtest(self):
        self.check(self.stage_name)

    def repr_failure(self, excinfo, style=None):
        from .conformance import ConformanceError

        if isinstance(excinfo.value, ConformanceError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return "zoo-conformance", None, "{}::{}".format(self.stage_name, self.check.__name__)


def _requested_stages(config):
    names = config.getoption("zoo_stage")
    if "all" in names:
        from ..zoo.config import registry

        return registry.stages.names()
    return list(dict.fromkeys(names))


def _checks(name):
    """The checks of the stage ``name``; for one that does not load, the first check, which fails saying why."""
    from ..zoo.config.registry import PluginError
    from .conformance import CHECKS, checks_for

    try:
        return checks_for(name)
    except PluginError:
        return CHECKS[:1]


def pytest_collection_modifyitems(session, config, items):
    names = _requested_stages(config)
    if not names:
        return
    for name in names:
        for check in _checks(name):
            items.append(ConformanceItem.from_parent(
                session, name="zoo-conformance::{}::{}".format(name, check.__name__), stage_name=name, check=check))
