"""Service settings, read from the environment once at start-up.

===============================  ==========================================================
``SCORECARD_ARTIFACT``           card to serve (default ``<repo>/reports/scorecard.json``)
``SCORECARD_API_KEY``            when set (non-empty), ``/v1/*`` needs header ``X-API-Key``
``SCORECARD_MAX_BATCH``          most applicants in one ``/v1/score/batch`` call (10000)
``SCORECARD_MAX_BODY_BYTES``     largest request body, batch included (32 MiB)
``SCORECARD_ALLOW_MISSING``      ``1`` (default): any feature may be null/absent and is
                                 scored in the card's missing bin; ``0``: features the
                                 contract requires must be present, exactly as in a file
``SCORECARD_HEADER_TIMEOUT_S``   most seconds from a new connection (or the end of the
                                 previous response) to the end of the request's headers
                                 (10); a slow-header client is then disconnected
``SCORECARD_BODY_TIMEOUT_S``     most seconds from the request's headers to the end of its
                                 body (30); then 408 and the connection is closed
``SCORECARD_LATENCY_BUDGET_MS``  the time an admitted scoring request may spend in its
                                 worker (25 ms): the in-flight limit is this over the
                                 measured time per unit of work; beyond it 503 at once
                                 (:mod:`api.overload`); 0 = a fixed limit, the cap below
``SCORECARD_MAX_IN_FLIGHT``      the most units of scoring work one worker admits at once,
                                 whatever the measurement (32; 0 = no limit, no shedding)
``SCORECARD_CUTOFF``             decision policy: a score (``600``), a pd (``pd:0.05``) or a
                                 grade (``grade:E``) to accept at or better
                                 (:mod:`scorecard.card.decisions`); unset: no policy, every
                                 ``decision`` is null
``SCORECARD_REFER_BAND``         points below the cut-off that are referred, not declined (0)
``SCORECARD_REASON_METHOD``      what reasons are measured against: ``max`` (default, the
                                 best bin), ``cutoff`` (the average applicant at the cut-off)
                                 or ``average`` (the average applicant); see
                                 :mod:`scorecard.card.reasons`
===============================  ==========================================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scorecard.data.paths import DEFAULT_ARTIFACT

ENV_ARTIFACT = "SCORECARD_ARTIFACT"
ENV_API_KEY = "SCORECARD_API_KEY"
ENV_MAX_BATCH = "SCORECARD_MAX_BATCH"
ENV_MAX_BODY_BYTES = "SCORECARD_MAX_BODY_BYTES"
ENV_ALLOW_MISSING = "SCORECARD_ALLOW_MISSING"
ENV_HEADER_TIMEOUT_S = "SCORECARD_HEADER_TIMEOUT_S"
ENV_BODY_TIMEOUT_S = "SCORECARD_BODY_TIMEOUT_S"
ENV_MAX_IN_FLIGHT = "SCORECARD_MAX_IN_FLIGHT"
ENV_LATENCY_BUDGET_MS = "SCORECARD_LATENCY_BUDGET_MS"
ENV_CUTOFF = "SCORECARD_CUTOFF"
ENV_REFER_BAND = "SCORECARD_REFER_BAND"
ENV_REASON_METHOD = "SCORECARD_REASON_METHOD"
REASON_METHODS = ("max", "cutoff", "average")  # as scorecard.card.reasons.REASON_METHODS

# One applicant is ~1.4 KB of JSON; 64 KiB leaves room for pretty-printing and long ids.
SINGLE_BODY_BYTES = 64 * 1024
# A 10,000-row batch is ~14 MB of compact JSON.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_BATCH = 10_000
# Generous for a real client (headers are one packet; 32 MiB at 10 Mbit/s is ~27 s), short
# enough that a slowloris client cannot hold connections for long.
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 30.0
# The in-flight limit of a worker (api.overload): by Little's law, an admitted request waits
# for the unit running when it arrives, the units admitted before it and its own, so
# limit = budget / measured time per unit - 1. A unit costs ~3.4 ms (a batch of 100
# applicants: 298 batches/s on one core in scripts/load_test.py --overload) to ~0.4 ms (a
# single score), so 25 ms admits 6 batches of 100 or (the cap) 32 single scores. 25 ms is
# half of the 50 ms an accepted request may take end to end at 10x the capacity; the other
# half is for the network, the client and the measurement's lag. The cap bounds the limit
# when units are very cheap (single scores) and is the fixed limit when the budget is 0.
DEFAULT_LATENCY_BUDGET_MS = 25.0
DEFAULT_MAX_IN_FLIGHT = 32


class SettingsError(ValueError):
    """An environment variable holds an unusable value."""


@dataclass(frozen=True)
class Settings:
    """Everything :func:`api.app.create_app` needs besides the code.

    Attributes:
        artifact: path of the sealed card JSON.
        api_key: the shared key for ``/v1/*``; ``None`` disables authentication.
        max_batch: most applicants per batch request (larger arrays get 422).
        max_body_bytes: largest request body in bytes (larger bodies get 413). The single
            applicant endpoint is further capped at ``SINGLE_BODY_BYTES``.
        allow_missing: accept null/absent values for features the contract declares
            non-nullable (they then score in the card's missing bin and are listed in the
            response's ``missing``). On by default, as an application may not know every
            field; off, the API accepts exactly what the file contract accepts. Present
            values are checked against the contract either way.
        header_timeout_s: most seconds to receive a request's headers (enforced by the
            uvicorn protocol of :mod:`api.protocols`).
        body_timeout_s: most seconds to receive a request's body (408 after).
        latency_budget_ms: milliseconds an admitted scoring request may spend in the
            worker; the in-flight limit is this over the measured time per unit of work
            (:mod:`api.overload`); 0: the limit is ``max_in_flight``.
        max_in_flight: the cap of the in-flight limit, in units per worker (0: no limit,
            nothing is shed); beyond the limit requests are shed with 503
            (:mod:`api.overload`).
        cutoff: the decision policy's cut-off as written (``None``: no policy); resolved
            against the card at start-up.
        refer_band: points below the cut-off that are referred.
        reason_method: ``max``, ``cutoff`` or ``average`` (``cutoff`` needs a cut-off).
    """

    artifact: Path = DEFAULT_ARTIFACT
    api_key: str | None = None
    max_batch: int = DEFAULT_MAX_BATCH
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    allow_missing: bool = True
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    latency_budget_ms: float = DEFAULT_LATENCY_BUDGET_MS
    cutoff: str | None = None
    refer_band: int = 0
    reason_method: str = "max"

    def __post_init__(self) -> None:
        if self.cutoff is not None and not self.cutoff.strip():
            object.__setattr__(self, "cutoff", None)
        if self.refer_band < 0:
            raise SettingsError(f"{ENV_REFER_BAND}: must be >= 0 points, got {self.refer_band}")
        if self.refer_band and self.cutoff is None:
            raise SettingsError(f"{ENV_REFER_BAND}: needs {ENV_CUTOFF} (a band below what?)")
        if self.reason_method not in REASON_METHODS:
            raise SettingsError(f"{ENV_REASON_METHOD}: {self.reason_method!r} is not one of "
                                f"{', '.join(REASON_METHODS)}")
        if self.reason_method == "cutoff" and self.cutoff is None:
            raise SettingsError(f"{ENV_REASON_METHOD}=cutoff needs {ENV_CUTOFF}")
        for name, value in ((ENV_HEADER_TIMEOUT_S, self.header_timeout_s),
                            (ENV_BODY_TIMEOUT_S, self.body_timeout_s)):
            if not value > 0:
                raise SettingsError(f"{name}: must be > 0 seconds, got {value}")
        if self.max_in_flight < 0:
            raise SettingsError(f"{ENV_MAX_IN_FLIGHT}: must be >= 0 (0: no limit), got "
                                f"{self.max_in_flight}")
        if not self.latency_budget_ms >= 0:
            raise SettingsError(f"{ENV_LATENCY_BUDGET_MS}: must be >= 0 ms (0: a fixed "
                                f"limit), got {self.latency_budget_ms}")
        if self.max_batch < 1:
            raise SettingsError(f"{ENV_MAX_BATCH}: must be >= 1, got {self.max_batch}")
        if self.max_body_bytes < 1024:
            raise SettingsError(f"{ENV_MAX_BODY_BYTES}: must be >= 1024, got "
                                f"{self.max_body_bytes}")
        if self.api_key is not None and not self.api_key:
            object.__setattr__(self, "api_key", None)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` (default ``os.environ``); unset variables keep defaults."""
        env = os.environ if env is None else env
        return cls(
            artifact=Path(env.get(ENV_ARTIFACT) or DEFAULT_ARTIFACT),
            api_key=env.get(ENV_API_KEY) or None,
            max_batch=_int(env, ENV_MAX_BATCH, DEFAULT_MAX_BATCH),
            max_body_bytes=_int(env, ENV_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
            allow_missing=_bool(env, ENV_ALLOW_MISSING, default=True),
            header_timeout_s=_float(env, ENV_HEADER_TIMEOUT_S, DEFAULT_HEADER_TIMEOUT_S),
            body_timeout_s=_float(env, ENV_BODY_TIMEOUT_S, DEFAULT_BODY_TIMEOUT_S),
            max_in_flight=_int(env, ENV_MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT),
            latency_budget_ms=_float(env, ENV_LATENCY_BUDGET_MS, DEFAULT_LATENCY_BUDGET_MS,
                                     "milliseconds"),
            cutoff=env.get(ENV_CUTOFF) or None,
            refer_band=_int(env, ENV_REFER_BAND, 0),
            reason_method=(env.get(ENV_REASON_METHOD) or "max").strip().lower(),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not an integer") from None


def _float(env: Mapping[str, str], name: str, default: float, unit: str = "seconds") -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number of {unit}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name}: {raw!r} is not a finite number of {unit}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name}: {raw!r} is not a boolean (use 1/0, true/false)")
