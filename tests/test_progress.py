"""The files meter of a scan and a prepare: a line rewritten on a terminal at most four times a second and at the
end, nothing elsewhere, and the summary line the caller logs."""
import io

from resizer_plugin import progress
from resizer_plugin.progress import FileMeter


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _clock(monkeypatch, *times):
    ticks = iter(times)
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(ticks))


def test_on_a_terminal_the_line_is_rewritten_at_most_four_times_a_second_and_at_the_end(monkeypatch):
    terminal = _Terminal()
    _clock(monkeypatch, 100.0, 101.0, 101.1, 101.3, 101.4, 102.0)
    meter = FileMeter("scan of x", io.StringIO(), terminal)  # the first stream is no terminal: the second shows it
    for done in (10, 11, 20, 40):
        meter(done, 40)
    assert terminal.getvalue() == ("\rscan of x: 10 of 40 files, 10 files/s, 3 s left "
                                   "\rscan of x: 20 of 40 files, 15 files/s, 1 s left "
                                   "\rscan of x: 40 of 40 files, 29 files/s, 0 s left ")  # the end, though soon after
    assert meter.close("checked") == "checked 40 files in 2.0 s (20 files/s)"
    assert terminal.getvalue().endswith(" left \n")


def test_elsewhere_nothing_is_shown_and_the_summary_remains(monkeypatch):
    stream = io.StringIO()
    _clock(monkeypatch, 0.0, 1.0, 2.0, 2.5)
    meter = FileMeter("[zoo] prepare x", stream)
    meter(1000, 2500)
    meter(2500, 2500)
    assert meter.close("read") == "read 2,500 files in 2.5 s (1,000 files/s)" and stream.getvalue() == ""


def test_a_meter_that_counted_nothing_says_so_and_leaves_the_terminal_as_it_was(monkeypatch):
    terminal = _Terminal()
    _clock(monkeypatch, 0.0, 0.5)
    meter = FileMeter("x", terminal)
    assert meter.close("checked") == "checked 0 files in 0.5 s (0 files/s)" and meter.done is None
    assert terminal.getvalue() == ""
