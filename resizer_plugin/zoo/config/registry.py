"""Entry-point discovery for the zoo's plugin groups, with clear errors for broken or clashing plugins.

The host knows no stage, backbone, runtime or dataset by name: everything is found here, through installed
distributions' entry points. A plugin that fails to import is reported with its distribution and error and does
not hide the others; two distributions registering one name is an error naming both.
"""
import sys
import warnings
from typing import Dict, List, NamedTuple, Optional

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points as _entry_points  # novm: Python >= 3.10 here
else:  # the selectable entry_points() API needs the backport before 3.10
    from importlib_metadata import entry_points as _entry_points

from ..contract import (BackboneFamily, ContractDeprecationWarning, DatasetSource, Preparer, Runtime, Stage,
                        did_you_mean)

__all__ = ["GROUPS", "REGISTRIES", "Registry", "PluginError", "UnknownPluginError", "PluginLoadError",
           "DuplicatePluginError", "stages", "backbones", "runtimes", "datasets", "preparers"]

#: group name -> what one entry names, as the CLI and errors say it
GROUPS = {"zoo.stages": "stage", "zoo.backbones": "backbone", "zoo.runtimes": "runtime", "zoo.datasets": "dataset",
          "zoo.preparers": "preparer", "zoo.recipes": "recipe"}


class PluginError(LookupError):
    """Base of the registry's errors."""


class UnknownPluginError(PluginError):
    """No installed distribution registers the name."""


class PluginLoadError(PluginError):
    """The entry point exists but importing it failed, or it is not what the group expects."""


class DuplicatePluginError(PluginError):
    """Two distributions register the same name in one group."""


class PluginEntry(NamedTuple):
    """One registration: the name, the ``module:attr`` it points to and the distribution that declares it."""
    name: str
    value: str
    distribution: str
    entry_point: object


def _distribution_of(entry_point):
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return "<unknown distribution>"
    return "{} {}".format(dist.metadata["Name"] or dist.name, dist.version)


class Registry:
    """The plugins of one entry-point group. Discovery is done afresh on each call (cheap; sees new installs)."""

    def __init__(self, group: str, expected_type: Optional[type] = None):
        self.group = group
        self.kind = GROUPS.get(group, "plugin")
        self.expected_type = expected_type

    def entries(self) -> Dict[str, List[PluginEntry]]:
        """name -> registrations (more than one means a clash), ignoring repeats of the same distribution."""
        found: Dict[str, List[PluginEntry]] = {}
        for ep in _entry_points(group=self.group):
            entry = PluginEntry(ep.name, ep.value, _distribution_of(ep), ep)
            same = found.setdefault(ep.name, [])
            if not any(e.distribution == entry.distribution and e.value == entry.value for e in same):
                same.append(entry)
        return dict(sorted(found.items()))

    def names(self) -> List[str]:
        return list(self.entries())

    def entry(self, name: str) -> PluginEntry:
        """The single registration of ``name``; raises Unknown/Duplicate errors that list what is installed."""
        entries = self.entries()
        if name not in entries:
            known = ", ".join(entries) or "(none installed)"
            raise UnknownPluginError("unknown {} {!r}{}; installed in entry-point group {!r}: {}".format(
                self.kind, name, did_you_mean(name, entries), self.group, known))
        registrations = entries[name]
        if len(registrations) > 1:
            raise DuplicatePluginError("{} {!r} is registered by more than one distribution: {}; uninstall one".format(
                self.kind, name, "; ".join("{} ({})".format(e.distribution, e.value) for e in registrations)))
        return registrations[0]

    def load(self, name: str):
        """Import and return the object registered as ``name``."""
        entry = self.entry(name)
        try:
            obj = self._load_noting_deprecations(entry)
        except Exception as error:  # a plugin's import may fail in any way; report it, naming the plugin
            raise PluginLoadError("{} {!r} from {} ({}) failed to load: {}: {}".format(
                self.kind, name, entry.distribution, entry.value, type(error).__name__, error)) from error
        if self.expected_type is not None and not isinstance(obj, self.expected_type):
            raise PluginLoadError("{} {!r} from {} ({}) is a {}, not a {}".format(
                self.kind, name, entry.distribution, entry.value, type(obj).__name__, self.expected_type.__name__))
        return obj

    def _load_noting_deprecations(self, entry):
        """The entry's object; a ContractDeprecationWarning its import raises (a plugin written for an older
        contract) is kept for :meth:`deprecations`; every warning is passed on."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ContractDeprecationWarning)
            obj = entry.entry_point.load()
        for warning in caught:
            if issubclass(warning.category, ContractDeprecationWarning):
                message = "{} {!r} from {}: {}".format(self.kind, entry.name, entry.distribution, warning.message)
                _DEPRECATIONS.setdefault((self.group, entry.name), []).append(message)
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        return obj

    def deprecations(self, name: str) -> List[str]:
        """The deprecation warnings raised while the plugin ``name`` was loaded in this process, naming it."""
        return list(_DEPRECATIONS.get((self.group, name), ()))

    def load_all(self):
        """Load every plugin: ``(loaded: {name: obj}, errors: {name: PluginError})``; one failure spares the rest."""
        loaded, errors = {}, {}
        for name in self.entries():
            try:
                loaded[name] = self.load(name)
            except PluginError as error:
                errors[name] = error
        return loaded, errors


#: (group, name) -> the deprecation warnings loading that plugin raised (a module's import runs once per process)
_DEPRECATIONS: Dict[tuple, List[str]] = {}

stages = Registry("zoo.stages", expected_type=Stage)
runtimes = Registry("zoo.runtimes", expected_type=Runtime)
backbones = Registry("zoo.backbones", expected_type=BackboneFamily)
datasets = Registry("zoo.datasets", expected_type=DatasetSource)
preparers = Registry("zoo.preparers", expected_type=Preparer)
#: entry-point group -> its registry, each knowing the type its entries must be
REGISTRIES = {registry.group: registry for registry in (stages, backbones, runtimes, datasets, preparers)}
