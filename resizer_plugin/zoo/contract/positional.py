"""The 0.1 calling forms of the contract constructors, still accepted with a DeprecationWarning.

0.1 took every constructor argument by position (``Stage("gain", _build, options={...}, trainable=False)``); 0.2 made
them keyword-only after the name. A plugin written for 0.1 keeps loading until 0.3: its positional arguments are
mapped to their 0.1 names, and a DeprecationWarning names the keyword form to write instead.
"""
import functools
import warnings

__all__ = ["ContractDeprecationWarning", "accepts_0_1_positional", "warn_0_1_form"]


class ContractDeprecationWarning(DeprecationWarning):
    """A plugin calls a contract in a form that is deprecated (``zoo list`` shows it beside the plugin)."""


def warn_0_1_form(call: str, keyword_form: str, stacklevel: int = 3):
    """Warn that ``call`` is a constructor's 0.1 form; ``keyword_form`` is the call to write instead."""
    warnings.warn("{} is the 0.1 form, deprecated and refused from 0.3 on; write {}".format(call, keyword_form),
                  ContractDeprecationWarning, stacklevel=stacklevel)


def accepts_0_1_positional(*names_0_1: str):
    """Decorate an ``__init__(self, name, *, ...)``: positional arguments after the name are taken as the keyword
    arguments ``names_0_1`` (their 0.1 order), with a DeprecationWarning. The signature shown stays the keyword form."""
    def decorate(init):
        @functools.wraps(init)
        def init_accepting_0_1(self, name, *positional, **keywords):
            if positional:
                _merge(type(self).__name__, names_0_1, positional, keywords)
                warn_0_1_form("{}({!r}, ...) with arguments by position".format(type(self).__name__, name), _keyword_form(
                    type(self).__name__, names_0_1[:len(positional)]))
            return init(self, name, **keywords)
        return init_accepting_0_1
    return decorate


def _merge(owner, names_0_1, positional, keywords):
    if len(positional) > len(names_0_1):
        raise TypeError("{}() takes at most {} arguments after the name, {} were given".format(
            owner, len(names_0_1), len(positional)))
    for key, value in zip(names_0_1, positional):
        if key in keywords:
            raise TypeError("{}() got multiple values for argument {!r}".format(owner, key))
        keywords[key] = value


def _keyword_form(owner, keys):
    return "{}(name, {})".format(owner, ", ".join("{0}={0}".format(key) for key in keys))
