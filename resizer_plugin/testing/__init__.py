"""The stage conformance kit (see :mod:`resizer_plugin.testing.conformance`): each check a small function you can run
alone (``from resizer_plugin.testing import check_gradients``), all of a stage's with :func:`check_stage`, or from
pytest. Loaded lazily, like TensorFlow: importing this package costs nothing until a name is used."""
_PUBLIC = ("CHECKS", "TRAIT_CHECKS", "ConformanceError", "check_stage", "checks_for", "parametrize_with_checks",
           "resolve_stage",
           "check_builds_from_defaults", "check_output_spec", "check_config_round_trip", "check_keras_save_load",
           "check_gradients", "check_deterministic_inference", "check_mixed_precision", "check_compiled",
           "check_rejects_bad_config", "check_integer_options_have_a_range", "check_fit_step_in_front_of_backbone",
           "check_augmentation")

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        from . import conformance

        return getattr(conformance, name)
    raise AttributeError("module 'resizer_plugin.testing' has no attribute {!r}".format(name))
