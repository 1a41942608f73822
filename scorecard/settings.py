"""Every environment variable the project reads: one table, one parser per type.

Each row (:class:`Setting`) names the variable, its type, default, unit and meaning; units
are in the names (``_BYTES``, ``_S``, ``_MS``). Code reads a variable only through its row
(:meth:`Setting.read`), so a value means the same wherever it is used and a bad one is one
:class:`SettingsError` naming the variable (exit 2). The service reads all of its rows once
at start-up into the frozen :class:`api.settings.Settings`; a command reads a row where it
uses it. ``scorecard settings`` prints the table with the values in effect, and the README's
table is rendered from it (``tests/test_settings.py`` fails when they drift).

Standard library only: the scoring API imports it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scorecard.errors import UsageError

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
TYPES = ("text", "path", "integer", "number", "boolean", "size")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
UNUSABLE = "unusable: "  # what current() shows instead of a value it cannot read
_SIZE = re.compile(r"(\d[\d_]*)\s*([KMGT]?)(i?B)?", re.IGNORECASE)


class SettingsError(UsageError):
    """An environment variable holds an unusable value."""


@dataclass(frozen=True)
class Setting:
    """One environment variable.

    Attributes:
        name: the variable.
        type: one of :data:`TYPES`; ``size`` is a number of bytes, written ``1048576``,
            ``1_048_576``, ``512MiB`` or ``8G``.
        default: the value when the variable is unset or empty (``None``: none, the
            meaning says what happens then).
        unit: of the value (``bytes``, ``s``, ``ms``, ``points``), else empty.
        meaning: what it controls, and who reads it.
        secret: its value is never printed.
    """

    name: str
    type: str
    default: Any
    unit: str
    meaning: str
    secret: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown type {self.type!r}")

    def read(self, env: Mapping[str, str] | None = None) -> Any:
        """The value in ``env`` (default ``os.environ``), or the default when unset/empty."""
        raw = (os.environ if env is None else env).get(self.name, "").strip()
        return self.default if not raw else self.parse(raw)

    def parse(self, raw: str) -> Any:
        """``raw`` as this setting's type; :class:`SettingsError` naming it otherwise."""
        if self.type in ("text", "path"):
            return raw
        if self.type == "boolean":
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise SettingsError(f"{self.name}: {raw!r} is not a boolean (use 1/0, true/false)")
        if self.type == "integer":
            try:
                return int(raw.replace("_", ""))
            except ValueError:
                raise SettingsError(f"{self.name}: {raw!r} is not an integer") from None
        if self.type == "size":
            m = _SIZE.fullmatch(raw)
            if not m:
                raise SettingsError(f"{self.name}: {raw!r} is not a size (e.g. 8GiB, 512MiB "
                                    "or bytes)")
            power = " KMGT".index(m.group(2).upper() or " ")
            return int(m.group(1).replace("_", "")) << (10 * power)
        unit = {"s": "seconds", "ms": "milliseconds"}.get(self.unit, self.unit)
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{self.name}: {raw!r} is not a number of {unit}") from None
        if not math.isfinite(value):
            raise SettingsError(f"{self.name}: {raw!r} is not a finite number of {unit}")
        return value

    def show(self, value: Any) -> str:
        """``value`` as one writes it (sizes in binary units when whole)."""
        if value is None:
            return "unset"
        if self.type == "boolean":
            return "1" if value else "0"
        if self.type == "size":
            for suffix, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
                if value >= size and value % size == 0:
                    return f"{value // size}{suffix}"
            return str(value)
        if self.type == "number":
            return f"{value:g}"
        return str(value)


# ---------------------------------------------------------------------- the table

# The service (api.settings.Settings).
ARTIFACT = Setting(
    "SCORECARD_ARTIFACT", "path", None, "",
    "card the service serves (`scorecard serve` sets it from `--artifact`); unset: the "
    "repository's `reports/scorecard.json`")
API_KEY = Setting(
    "SCORECARD_API_KEY", "text", None, "",
    "when set, `/v1/*` needs the header `X-API-Key` with this value (401 otherwise); "
    "`monitor --metrics URL` sends it", secret=True)
MAX_BATCH = Setting(
    "SCORECARD_MAX_BATCH", "integer", 10_000, "applicants",
    "most applicants in one `/v1/score/batch` call (more: 422)")
# Room for a batch of the largest size in compact JSON.
MAX_BODY_BYTES = Setting(
    "SCORECARD_MAX_BODY_BYTES", "size", 32 * MIB, "bytes",
    "largest request body, batch included (larger: 413)")
ALLOW_MISSING = Setting(
    "SCORECARD_ALLOW_MISSING", "boolean", True, "",
    "1: any feature may be null or absent and scores in the card's missing bin; 0: the API "
    "is exactly as strict as the file contract")
# Generous for a real client (headers are one packet; 32 MiB at 10 Mbit/s is ~27 s), short
# enough that a slowloris client cannot hold connections for long.
HEADER_TIMEOUT_S = Setting(
    "SCORECARD_HEADER_TIMEOUT_S", "number", 10.0, "s",
    "most seconds from a new connection (or the previous response) to the end of the "
    "request's headers; a slower client is disconnected")
BODY_TIMEOUT_S = Setting(
    "SCORECARD_BODY_TIMEOUT_S", "number", 30.0, "s",
    "most seconds from the request's headers to the end of its body (then 408)")
# By Little's law an admitted request waits for the unit running when it arrives, the units
# admitted before it and its own, so limit = budget / measured time per unit - 1. A unit
# of work is measured while serving (scripts/load_test.py prints it); the budget is half of
# what an accepted request may take end to end under overload, the other half for the
# network, the client and the measurement's lag. The cap bounds the limit for cheap units.
LATENCY_BUDGET_MS = Setting(
    "SCORECARD_LATENCY_BUDGET_MS", "number", 25.0, "ms",
    "time an admitted scoring request may spend in its worker: the in-flight limit is this "
    "over the measured time per unit of work, beyond it 503 at once; 0: a fixed limit, "
    "`SCORECARD_MAX_IN_FLIGHT`")
MAX_IN_FLIGHT = Setting(
    "SCORECARD_MAX_IN_FLIGHT", "integer", 32, "units",
    "most units of scoring work one worker admits at once, whatever the measurement; 0: no "
    "limit, nothing is shed")
# Why a tenth: api.overload's "Paced refusals" (a refused request costs a good part of a
# score, so refusals answered at once are what a flood takes from the goodput).
REFUSAL_RATIO = Setting(
    "SCORECARD_REFUSAL_RATIO", "number", 0.1, "refusals per completed request",
    "refusals a worker answers at once per scoring request it completes; under a flood the "
    "other refused requests wait their turn (at most the 1 s of `Retry-After`), so refusing "
    "costs a bounded share of the CPU; 0: every refusal at once")
PROBE_PORT = Setting(
    "SCORECARD_PROBE_PORT", "integer", None, "",
    "a second TCP port on which a small process beside each worker answers `/health` and "
    "`/ready` only, so probes never queue behind a flood of API connections (the load "
    "balancer's health check; both fail there when the worker's event loop stalls for 5 s); "
    "unset: the probes are on the API port only")
CUTOFF = Setting(
    "SCORECARD_CUTOFF", "text", None, "",
    "decision policy of the service and `scorecard explain`: a score (`600`), a pd "
    "(`pd:0.05`) or a grade (`grade:E`) to accept at or better; unset: no policy, every "
    "`decision` is null")
REFER_BAND = Setting(
    "SCORECARD_REFER_BAND", "integer", 0, "points",
    "points below the cut-off that are referred, not declined")
AUTOMATED_DECLINES = Setting(
    "SCORECARD_AUTOMATED_DECLINES", "boolean", True, "",
    "`off` (0): nothing is declined automatically: every decline of the card is referred to "
    "a person instead (the answer says `refer`; the decision log keeps the card's decision "
    "and why it was referred); `on` (1): the policy declines")
REVIEWER_KEYS = Setting(
    "SCORECARD_REVIEWER_KEYS", "text", None, "",
    "comma-separated `name=key` pairs: the keys (header `X-API-Key`) of the oversight "
    "routes, `/v1/decisions` (the referral queue, overrides), each naming its reviewer; "
    "never the scoring key (403 there); unset: those routes refuse everyone", secret=True)
REASON_METHOD = Setting(
    "SCORECARD_REASON_METHOD", "text", "max", "",
    "what reasons are measured against: `max` (the best bin), `cutoff` (the average "
    "applicant at the cut-off) or `average` (the average applicant)")
DECISION_LOG = Setting(
    "SCORECARD_DECISION_LOG", "text", None, "",
    "where every answer is recorded before it leaves: `sqlite:///relative.db`, "
    "`sqlite:////absolute.db` or `postgresql://...`; unset: no log")
# Long enough for a database failover's first retry, short enough that a client (and the
# load balancer, through /ready) learns of a stuck log within seconds.
DECISION_LOG_DEADLINE_MS = Setting(
    "SCORECARD_DECISION_LOG_DEADLINE_MS", "number", 2000.0, "ms",
    "most time an answer waits for its record's commit; then 503 and `/ready` unready")
DECISION_LOG_REQUIRED = Setting(
    "SCORECARD_DECISION_LOG_REQUIRED", "boolean", True, "",
    "1 (fail closed): no record, no answer (503); 0: answer anyway, counted in `/metrics` "
    "(`scorecard_decisions_unlogged_total`)")
DECISION_LOG_HASHED = Setting(
    "SCORECARD_DECISION_LOG_HASHED", "text", None, "",
    "comma-separated columns (personal data, never features) the log keeps only as a salted "
    "hash")
DECISION_LOG_SALT = Setting(
    "SCORECARD_DECISION_LOG_SALT", "text", None, "",
    "the secret salt of those hashes (required with them; the same for every worker)",
    secret=True)
REGISTRY = Setting(
    "SCORECARD_REGISTRY", "text", None, "",
    "card registry (a folder or `s3://bucket/prefix`): the service serves its champion "
    "and scores its challengers in shadow, following promotions; `scorecard registry` "
    "uses it as `--store`; unset: the service serves `SCORECARD_ARTIFACT`")
# Short enough that a promotion is live within seconds, long enough that polling costs
# nothing (one small object read per worker).
REGISTRY_POLL_S = Setting(
    "SCORECARD_REGISTRY_POLL_S", "number", 5.0, "s",
    "how often each worker re-reads the registry's live pointer")
# The registry's S3 store (scorecard.registry.store) reads AWS's own variables.
AWS_REGION = Setting(
    "AWS_REGION", "text", "us-east-1", "",
    "the region of an `s3://` registry's bucket")
AWS_ENDPOINT_URL = Setting(
    "AWS_ENDPOINT_URL", "text", None, "",
    "another S3 endpoint for an `s3://` registry (an emulator); unset: AWS's, in "
    "`AWS_REGION`")
AWS_ACCESS_KEY_ID = Setting(
    "AWS_ACCESS_KEY_ID", "text", None, "",
    "credentials of an `s3://` registry, with the two below; unset: the ECS task role's")
AWS_SECRET_ACCESS_KEY = Setting(
    "AWS_SECRET_ACCESS_KEY", "text", None, "", "the secret of `AWS_ACCESS_KEY_ID`",
    secret=True)
AWS_SESSION_TOKEN = Setting(
    "AWS_SESSION_TOKEN", "text", None, "", "the session token of temporary credentials",
    secret=True)
AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = Setting(
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "text", None, "",
    "set by ECS: where the task role's credentials are served")
PROMETHEUS_MULTIPROC_DIR = Setting(
    "PROMETHEUS_MULTIPROC_DIR", "path", None, "",
    "empty writable folder where several workers share their metrics (prometheus_client's "
    "multiprocess mode); `scorecard serve --workers N` makes one when unset")

# The commands.
# Reading a CSV in memory holds its bytes, its text and a frame of strings (~10x the file):
# above 2 GiB use `scorecard score --engine duckdb`, which streams.
MAX_INPUT_BYTES = Setting(
    "SCORECARD_MAX_INPUT_BYTES", "size", 2 * GIB, "bytes",
    "largest data file a command reads into memory (streaming readers have no limit)")
# A real card is a few hundred KiB; the API caps request bodies at 32 MiB.
MAX_ARTIFACT_BYTES = Setting(
    "SCORECARD_MAX_ARTIFACT_BYTES", "size", 64 * MIB, "bytes",
    "largest card artifact a command reads (`serve` checks the card it starts with)")
STREAM_ABOVE_BYTES = Setting(
    "SCORECARD_STREAM_ABOVE_BYTES", "size", 512 * MIB, "bytes",
    "files larger than this are never read whole: `predict` and `validate` report what the "
    "stream finds instead of the whole-file report")
REVIEWER = Setting(
    "SCORECARD_REVIEWER", "text", None, "",
    "who signs the workbench's edits (`scorecard review --reviewer`); unset: `USER`")
USER = Setting(
    "USER", "text", None, "",
    "the login name (set by the shell): signs the workbench's edits when "
    "`SCORECARD_REVIEWER` is unset")

SETTINGS: tuple[Setting, ...] = (
    ARTIFACT, API_KEY, MAX_BATCH, MAX_BODY_BYTES, ALLOW_MISSING, HEADER_TIMEOUT_S,
    BODY_TIMEOUT_S, LATENCY_BUDGET_MS, MAX_IN_FLIGHT, REFUSAL_RATIO, PROBE_PORT, CUTOFF, REFER_BAND,
    AUTOMATED_DECLINES, REVIEWER_KEYS, REASON_METHOD, DECISION_LOG, DECISION_LOG_DEADLINE_MS,
    DECISION_LOG_REQUIRED, DECISION_LOG_HASHED, DECISION_LOG_SALT, REGISTRY, REGISTRY_POLL_S,
    AWS_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, PROMETHEUS_MULTIPROC_DIR, MAX_INPUT_BYTES,
    MAX_ARTIFACT_BYTES, STREAM_ABOVE_BYTES, REVIEWER, USER)


def markdown_table() -> str:
    """The table as Markdown: what the README shows and ``scorecard settings --markdown``
    prints."""
    lines = ["| variable | type | default | unit | meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | {s.type} | {s.show(s.default)} | {s.unit} "
                     f"| {s.meaning} |")
    return "\n".join(lines) + "\n"


def current(env: Mapping[str, str] | None = None) -> list[tuple[Setting, str, str]]:
    """Every row with the value in effect as written and where it comes from (``set`` or
    ``default``), or the row's error message when its value is unusable."""
    env = os.environ if env is None else env
    out = []
    for s in SETTINGS:
        given = bool(env.get(s.name, "").strip())
        try:
            value = "(hidden)" if s.secret and given else s.show(s.read(env))
        except SettingsError as exc:
            value = f"{UNUSABLE}{exc}"
        out.append((s, value, "set" if given else "default"))
    return out
