"""A meter for long walks over files (a folder's scan, a prepare): on a terminal, one line rewritten in place."""
import time

__all__ = ["FileMeter"]


class FileMeter:
    """Call ``meter(done, total)`` as files are read. Where one of ``streams`` is a terminal, the line "LABEL: done
    of total files, N files/s, N s left" is rewritten there at most four times a second and at the end (zoo's commands
    pass stderr through a line filter, so stdout is the terminal there, as for Keras' progress bar).
    :meth:`close` ends that line and returns the summary for the caller's log."""

    def __init__(self, label, *streams):
        self.label = label
        self.terminal = next((stream for stream in streams if stream is not None and stream.isatty()), None)
        self.start, self.shown, self.done = time.monotonic(), 0.0, None

    def __call__(self, done, total):
        now, self.done = time.monotonic(), done
        if self.terminal is None or (now - self.shown < 0.25 and done < total):
            return
        self.shown, rate = now, done / max(now - self.start, 1e-9)
        self.terminal.write("\r{}: {:,} of {:,} files, {:,.0f} files/s, {:.0f} s left ".format(
            self.label, done, total, rate, (total - done) / max(rate, 1e-9)))
        self.terminal.flush()

    def close(self, verb):
        """"VERB N files in S s (R files/s)"; ends the terminal's line. ``done`` stays None where none was counted."""
        if self.terminal is not None and self.shown:
            self.terminal.write("\n")
            self.terminal.flush()
        seconds, done = time.monotonic() - self.start, self.done or 0
        return "{} {:,} files in {:.1f} s ({:,.0f} files/s)".format(verb, done, seconds, done / max(seconds, 1e-9))
