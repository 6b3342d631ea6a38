"""grader.progress: the progress bar of ``grade``."""

from __future__ import annotations

import io
import re
import types

from grader import progress
from grader.progress import ProgressBar

GRADED = types.SimpleNamespace(status="graded")
FAILED = types.SimpleNamespace(status="error")


def test_clock_shows_minutes_and_seconds_then_hours():
    """Does the clock read mm:ss under an hour, h:mm:ss above, and never go negative?"""
    assert progress._clock(42) == "00:42"
    assert progress._clock(3600 + 61) == "1:01:01"
    assert progress._clock(-5) == "00:00"


def test_a_plain_stream_gets_one_line_per_update_at_most_every_interval():
    """Off a terminal, are updates plain lines, throttled to one per interval, with the last one always written?"""
    out = io.StringIO()
    bar = ProgressBar(out, tty=False, interval=3600)
    bar.start(3)
    bar.done(GRADED)
    bar.done(FAILED)  # throttled: within the interval and not the last
    bar.done(GRADED)  # the last one is forced
    bar.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(ln.startswith("grade: [") for ln in lines)
    assert "\r" not in out.getvalue()
    assert " 0/3, 0 failed" in lines[0]
    assert " 3/3, 1 failed" in lines[1] and "ETA 00:00" in lines[1]


def test_skipped_submissions_count_as_done_but_not_as_graded():
    """Are unchanged (resumed) submissions shown as such, and left out of the rate and ETA?"""
    bar = ProgressBar(io.StringIO(), tty=False, width=10)
    bar.start(4, skipped=2)
    line = bar.line()
    assert line.startswith("[#####.....] 2/4 (2 unchanged), 0 failed, 0.0/min")
    assert line.endswith("ETA --:--")


def test_on_a_terminal_echo_clears_the_bar_and_redraws_it_below():
    """On a tty, does echo erase the bar line, print the text to its own stream, then redraw the bar?"""
    bar_stream, out = io.StringIO(), io.StringIO()
    bar = ProgressBar(bar_stream, tty=True)
    bar.start(2)
    before = bar_stream.getvalue()
    bar.echo("s001: graded", stream=out)
    assert out.getvalue() == "s001: graded\n"
    after = bar_stream.getvalue()[len(before) :]
    assert re.fullmatch(r"\r\x1b\[2K\r\x1b\[2K\[\.{28}\] 0/2, 0 failed, .*", after)
    bar.finish()
    assert bar_stream.getvalue().endswith("\n")
