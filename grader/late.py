"""The late policy: the rubric's ``late:`` block and the penalty it gives a submission time.

Format (a top-level block of the rubric)::

    late:
      deadline: "2026-03-28 23:59"          # local wall-clock time in ``timezone``
      timezone: Europe/Madrid               # an IANA zone (zoneinfo)
      grace: 15m                            # optional: forgiven lateness (s, m, h, d; default 0)
      penalty: 10                           # percent of the raw score per started ``per``
      per: day                              # day (local calendar days, DST-aware) or hour
      cap: 50                               # optional: the most percent taken (default 100)

or, instead of ``penalty``/``per``, a table (the first row whose ``until`` covers the
lateness applies; later than the last row: ``cap``, default 100 percent)::

      table:
        - {until: 1d, penalty: 10}
        - {until: 3d, penalty: 30}

Lateness is measured from the deadline once the grace period is exceeded (a
submission 20 minutes late with a 15-minute grace is 20 minutes late). A day
late means past the same wall-clock time on the next local day: across a
daylight-saving change that day lasts 23 or 25 hours. Hours are real elapsed
hours. The final score is ``raw * (1 - percent / 100)``.

Submission times come from ``grade --submitted-at FILE.csv`` (columns
``submission``, ``submitted_at``: ISO 8601; a time without an offset is read in
the policy's time zone) or, on Gradescope, from ``submission_metadata.json``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .i18n import _, ngettext

LATE_KEYS = {
    "deadline": True,
    "timezone": True,
    "grace": False,
    "penalty": False,
    "per": False,
    "cap": False,
    "table": False,
}
ROW_KEYS = {"until": True, "penalty": True}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The gradebook columns a late policy adds (after CONTRACT.md §5's, whose names never change).
COLUMNS = ("submitted_at", "late_penalty", "final_total")


class LateError(ValueError):
    """A bad submission time or --submitted-at file; the message names it."""


def parse_duration(text: Any) -> dt.timedelta | None:
    """``90`` (seconds), ``15m``, ``2h``, ``1d``, ``1d12h``; None when not a duration."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return dt.timedelta(seconds=float(text)) if text >= 0 else None
    s = str(text).strip().replace(" ", "")
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", s)
    if not parts or "".join(a + b for a, b in parts) != s:
        return None
    return dt.timedelta(seconds=sum(float(n) * UNITS[u] for n, u in parts))


@dataclasses.dataclass(frozen=True)
class LatePolicy:
    deadline: dt.datetime  # aware, in ``zone``
    zone: str
    grace: dt.timedelta = dt.timedelta(0)
    penalty: float = 0.0  # percent per unit
    per: str = "day"
    cap: float = 100.0
    table: tuple[tuple[dt.timedelta, float], ...] = ()

    def parse_time(self, text: str) -> dt.datetime:
        """An ISO 8601 time; without an offset it is local time in the policy's zone."""
        raw = str(text).strip()
        try:
            when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        except ValueError:
            raise LateError(
                _("submission time {time}: not an ISO 8601 time (e.g. 2026-03-28T23:59:00+01:00)").format(
                    time=repr(raw)
                )
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(self.zone))
        return when

    def units_late(self, when: dt.datetime) -> int:
        """Started days (local calendar) or hours after the deadline."""
        utc = dt.timezone.utc
        late = when.astimezone(utc) - self.deadline.astimezone(utc)
        if late <= dt.timedelta(0):
            return 0
        if self.per == "hour":
            return math.ceil(late / dt.timedelta(hours=1))
        n = 1
        # the deadline's wall-clock time n local days later (Python adds wall-clock time to an aware datetime)
        while (self.deadline + dt.timedelta(days=n)).astimezone(utc) < when.astimezone(utc):
            n += 1
        return n

    def assess(self, when: dt.datetime, raw: float) -> dict:
        """The late record of results.json's ``a2kit.late``: the numbers and how they were computed."""
        utc = dt.timezone.utc
        late = when.astimezone(utc) - self.deadline.astimezone(utc)
        local = when.astimezone(ZoneInfo(self.zone))
        deadline_text = f"{self.deadline:%Y-%m-%d %H:%M} {self.zone}"
        if late <= self.grace:
            percent, how = (
                0.0,
                (
                    _("on time")
                    if late <= dt.timedelta(0)
                    else _("{late} late, within the grace period of {grace}").format(
                        late=_fmt_delta(late), grace=_fmt_delta(self.grace)
                    )
                ),
            )
        elif self.table:
            percent = self.cap
            how = _("{late} late, past the last row of the table: {percent}%").format(
                late=_fmt_delta(late), percent=f"{self.cap:g}"
            )
            for until, p in self.table:
                if late <= until:
                    percent = min(p, self.cap)
                    how = _("{late} late, up to {until}: {percent}%").format(
                        late=_fmt_delta(late), until=_fmt_delta(until), percent=f"{percent:g}"
                    )
                    break
        else:
            units = self.units_late(when)
            percent = min(self.cap, units * self.penalty)
            if self.per == "hour":
                how = ngettext(
                    "{units} hour late x {penalty}% per hour", "{units} hours late x {penalty}% per hour", units
                )
            else:
                how = ngettext("{units} day late x {penalty}% per day", "{units} days late x {penalty}% per day", units)
            how = how.format(units=units, penalty=f"{self.penalty:g}")
            if units * self.penalty > self.cap:
                how = _("{how} (capped)").format(how=how)
            how += f": {percent:g}%"
        final = round(raw * (1 - percent / 100), 6)
        penalty = round(raw - final, 6)
        explanation = _(
            "Late policy: submitted {submitted}, deadline {deadline}; {how}; {raw} - {penalty} = {final}"
        ).format(
            submitted=f"{local:%Y-%m-%d %H:%M %Z}",
            deadline=deadline_text,
            how=how,
            raw=f"{raw:g}",
            penalty=f"{penalty:g}",
            final=f"{final:g}",
        )
        return {
            "submitted_at": when.astimezone(utc).isoformat(),
            "deadline": self.deadline.isoformat(),
            "percent": percent,
            "raw": raw,
            "penalty": penalty,
            "final": final,
            "explanation": explanation,
        }


def _fmt_delta(d: dt.timedelta) -> str:
    s = int(d.total_seconds())
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"] * bool(minutes)
    return " ".join(parts) or f"{int(d.total_seconds())}s"


def parse(v, node) -> LatePolicy:
    """The rubric's ``late:`` block (``v``: the rubric's validator, for FILE:LINE: key: reason errors)."""
    items = v.mapping(node, "late")
    v.keys(node, items, LATE_KEYS, "late")
    zone = str(v.scalar(items["timezone"][1], "late.timezone"))
    deadline = _deadline(v, items["deadline"][1], _zone(v, items["timezone"][1], zone))
    grace = _duration(v, items["grace"][1], "late.grace") if "grace" in items else dt.timedelta(0)
    cap = _percent(v, items["cap"][1], "late.cap") if "cap" in items else 100.0
    if "table" in items:
        for key in ("penalty", "per"):
            if key in items:
                raise v.fail(
                    items[key][0],
                    _("{where}: give either a table or penalty/per, not both").format(where=f"late.{key}"),
                )
        return LatePolicy(deadline, zone, grace, cap=cap, table=_table(v, items["table"][1]))
    if "penalty" not in items:
        raise v.fail(node, _("late: missing key 'penalty' (or a 'table')"))
    penalty = v.number(items["penalty"][1], "late.penalty")
    per = str(v.scalar(items["per"][1], "late.per")) if "per" in items else "day"
    if per not in ("day", "hour"):
        raise v.fail(items["per"][1], _("late.per: {per} is not day or hour").format(per=repr(per)))
    return LatePolicy(deadline, zone, grace, penalty, per, cap)


def _zone(v, node, zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise v.fail(
            node,
            _("late.timezone: unknown time zone {zone} (an IANA name such as Europe/Madrid)").format(zone=repr(zone)),
        ) from None


def _deadline(v, node, tz: ZoneInfo) -> dt.datetime:
    """``late.deadline``: a local date and time, in the block's time zone."""
    raw = v.scalar(node, "late.deadline")
    try:
        deadline = raw if isinstance(raw, dt.datetime) else dt.datetime.fromisoformat(str(raw))
    except ValueError:
        raise v.fail(
            node,
            _('late.deadline: {value} is not a date and time (e.g. "2026-03-28 23:59")').format(
                value=repr(node.value)
            ),
        ) from None
    if deadline.tzinfo is not None:
        raise v.fail(node, _("late.deadline: give the local time without an offset; the zone is late.timezone"))
    return deadline.replace(tzinfo=tz)


def _duration(v, node, where: str) -> dt.timedelta:
    d = parse_duration(v.scalar(node, where))
    if d is None:
        raise v.fail(
            node,
            _("{where}: {value} is not a duration (e.g. 90, 15m, 2h, 1d)").format(where=where, value=repr(node.value)),
        )
    return d


def _percent(v, node, where: str) -> float:
    p = v.number(node, where)
    if p > 100:
        raise v.fail(node, _("{where}: {percent} is more than 100 percent").format(where=where, percent=f"{p:g}"))
    return p


def _table(v, node) -> tuple[tuple[dt.timedelta, float], ...]:
    """``late.table``: rows of {until, penalty}, ``until`` growing."""
    if not hasattr(node, "value") or not isinstance(node.value, list) or not node.value:
        raise v.fail(node, _("late.table must be a non-empty list of {until, penalty}"))
    rows: list[tuple[dt.timedelta, float]] = []
    for i, row in enumerate(node.value):
        where = f"late.table[{i}]"
        items = v.mapping(row, where)
        v.keys(row, items, ROW_KEYS, where)
        until = _duration(v, items["until"][1], f"{where}.until")
        p = _percent(v, items["penalty"][1], f"{where}.penalty")
        if rows and until <= rows[-1][0]:
            raise v.fail(items["until"][1], _("{where}.until: the rows must grow").format(where=where))
        rows.append((until, p))
    return tuple(rows)


def read_submitted_at(path: Path, policy: LatePolicy | None) -> dict[str, dt.datetime]:
    """``--submitted-at FILE.csv``: submission id -> time (columns ``submission``, ``submitted_at``)."""
    if policy is None:
        raise LateError(_("{path}: --submitted-at needs a rubric with a late: block").format(path=path))
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LateError(_("{path}: cannot read ({error})").format(path=path, error=exc.strerror or exc)) from None
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"submission", "submitted_at"} <= set(reader.fieldnames):
        raise LateError(_("{path}: the header must hold the columns submission,submitted_at").format(path=path))
    out = {}
    for n, row in enumerate(reader, start=2):
        sid = (row.get("submission") or "").strip()
        if sid.lower().endswith(".zip"):
            sid = sid[:-4]
        try:
            out[sid] = policy.parse_time(row.get("submitted_at") or "")
        except LateError as exc:
            raise LateError(f"{path}:{n}: {exc}") from None
    return out


def gradebook_cells(late: dict | None, total: float) -> list[str]:
    """The cells of ``COLUMNS`` for a row: without a submission time, no penalty and the raw total."""
    if not late:
        return ["", "0", f"{total:g}"]
    return [late["submitted_at"], f"{late['penalty']:g}", f"{late['final']:g}"]
