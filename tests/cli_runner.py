"""click's CliRunner as these tests read its results on every click they run with: ``result.stderr`` apart and
``result.output`` holding all the command printed. click >= 8.2 does so itself; older click (8.1 is the last for
Python 3.9, the Ascend stack's) mixes stderr into ``output`` unless told to keep it apart, and then leaves it out."""
import inspect

from click import testing

__all__ = ["CliRunner"]

_OLD_CLICK = "mix_stderr" in inspect.signature(testing.CliRunner.__init__).parameters


class _Result(testing.Result):
    @property
    def output(self):
        return self.stdout + self.stderr


class CliRunner(testing.CliRunner):
    """``click.testing.CliRunner`` whose results read the same on click 8.1 and 8.2+."""

    def __init__(self, **kwargs):
        if _OLD_CLICK:
            kwargs.setdefault("mix_stderr", False)
        super().__init__(**kwargs)

    def invoke(self, *args, **kwargs):
        result = super().invoke(*args, **kwargs)
        if _OLD_CLICK:
            result.__class__ = _Result
        return result
