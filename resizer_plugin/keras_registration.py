"""``import resizer_plugin`` is enough for Keras to load a model holding its layers, without importing Keras itself.

Keras finds a saved layer's class among the classes registered with it, and this package's layers register when
``resizer_plugin.layers`` is imported. Importing it eagerly would make every ``import resizer_plugin`` (the pytest
plugin's among them) pay for Keras. So: when Keras is already loaded, the layers register at once; otherwise they
register right after the first import of Keras (or tf-keras) completes, once no framework module is still importing.
"""
import importlib
import sys

__all__ = ["register_layers_with_keras"]

#: the modules whose import may bring Keras in; the layers register once one of the Keras is loaded and none of
#: these is still importing (TensorFlow 2.6 imports Keras from inside its own import)
_FRAMEWORKS = ("keras", "tf_keras", "tensorflow")
_KERAS = ("keras", "tf_keras")


def _importing(name):
    module = sys.modules.get(name)
    return module is not None and getattr(getattr(module, "__spec__", None), "_initializing", False)


def _keras_loaded(just_run=None):
    """Whether a Keras is loaded and no framework module still importing (``just_run``: the module whose code has
    just run, which importlib still marks as importing)."""
    return any(name in sys.modules for name in _KERAS) and not any(
        _importing(name) for name in _FRAMEWORKS if name != just_run)


#: this package's modules the layers import: while one of them is still importing (it imported TensorFlow, which
#: brought Keras in) the layers cannot be imported yet; compat registers them once its own code has run
_OURS = ("resizer_plugin.compat", "resizer_plugin.layers")


def _register_if_settled(just_run):
    if _keras_loaded(just_run) and not any(_importing(name) for name in _OURS):
        _stop_watching()
        importlib.import_module("resizer_plugin.layers")


def compat_loaded():
    """Called by ``resizer_plugin.compat`` once its code has run: register the layers if Keras loaded while it was
    importing (the layers need compat's names, which all exist now)."""
    if _WATCHER in sys.meta_path and _keras_loaded():
        _stop_watching()
        importlib.import_module("resizer_plugin.layers")


class _AfterKerasImport:
    """A finder that finds nothing itself: it lets the other finders find a framework module, and has its loader
    register the layers once the module has run."""

    def find_spec(self, name, path=None, target=None):
        if name not in _FRAMEWORKS:
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    return _registering_after(spec)
        return None


def _registering_after(spec):
    run_module = spec.loader.exec_module

    def run_then_register(module):
        run_module(module)
        _register_if_settled(spec.name)

    spec.loader.exec_module = run_then_register
    return spec


_WATCHER = _AfterKerasImport()


def _stop_watching():
    if _WATCHER in sys.meta_path:
        sys.meta_path.remove(_WATCHER)


def register_layers_with_keras():
    """Register the layers with Keras now when it is loaded, else right after it loads."""
    if _keras_loaded():
        importlib.import_module("resizer_plugin.layers")
    elif _WATCHER not in sys.meta_path:
        sys.meta_path.insert(0, _WATCHER)
