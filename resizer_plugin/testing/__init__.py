"""The stage conformance kit (see :mod:`resizer_plugin.testing.conformance`); loaded lazily, like TensorFlow."""
_PUBLIC = ("CHECKS", "ConformanceError", "check_stage", "checks_for", "parametrize_with_checks", "resolve_stage")

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        from . import conformance

        return getattr(conformance, name)
    raise AttributeError("module 'resizer_plugin.testing' has no attribute {!r}".format(name))
