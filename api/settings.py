"""Service settings, read from the environment once at start-up.

Every variable is a row of the project's one settings table (:mod:`scorecard.settings`:
name, type, default, unit, meaning; ``scorecard settings`` prints it); this module reads the
service's rows into one frozen :class:`Settings` and checks them together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scorecard import settings as table
from scorecard.data.paths import DEFAULT_ARTIFACT
from scorecard.settings import SettingsError as SettingsError

ENV_ARTIFACT = table.ARTIFACT.name
ENV_API_KEY = table.API_KEY.name
ENV_MAX_BATCH = table.MAX_BATCH.name
ENV_MAX_BODY_BYTES = table.MAX_BODY_BYTES.name
ENV_ALLOW_MISSING = table.ALLOW_MISSING.name
ENV_HEADER_TIMEOUT_S = table.HEADER_TIMEOUT_S.name
ENV_BODY_TIMEOUT_S = table.BODY_TIMEOUT_S.name
ENV_MAX_IN_FLIGHT = table.MAX_IN_FLIGHT.name
ENV_LATENCY_BUDGET_MS = table.LATENCY_BUDGET_MS.name
ENV_REFUSAL_RATIO = table.REFUSAL_RATIO.name
ENV_PROBE_PORT = table.PROBE_PORT.name
ENV_CUTOFF = table.CUTOFF.name
ENV_REFER_BAND = table.REFER_BAND.name
ENV_REASON_METHOD = table.REASON_METHOD.name
ENV_AUTOMATED_DECLINES = table.AUTOMATED_DECLINES.name
ENV_REVIEWER_KEYS = table.REVIEWER_KEYS.name
ENV_DECISION_LOG = table.DECISION_LOG.name
ENV_DECISION_LOG_DEADLINE_MS = table.DECISION_LOG_DEADLINE_MS.name
ENV_DECISION_LOG_REQUIRED = table.DECISION_LOG_REQUIRED.name
ENV_DECISION_LOG_HASHED = table.DECISION_LOG_HASHED.name
ENV_DECISION_LOG_SALT = table.DECISION_LOG_SALT.name
ENV_REGISTRY = table.REGISTRY.name
ENV_REGISTRY_POLL_S = table.REGISTRY_POLL_S.name
REASON_METHODS = ("max", "cutoff", "average")  # as scorecard.card.reasons.REASON_METHODS

# One applicant is ~1.4 KB of JSON; 64 KiB leaves room for pretty-printing and long ids.
SINGLE_BODY_BYTES = 64 * 1024


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
        refusal_ratio: refusals answered at once per completed scoring request; the
            others wait their turn, at most ``Retry-After`` (:mod:`api.overload`); 0: every
            refusal at once.
        probe_port: the port on which a process beside each worker answers ``/health`` and
            ``/ready`` (:mod:`api.probes`); ``None``: the probes are on the API port only.
        cutoff: the decision policy's cut-off as written (``None``: no policy); resolved
            against the card at start-up.
        refer_band: points below the cut-off that are referred.
        automated_declines: ``False``: every decline of the card is referred instead.
        reviewer_keys: ``(name, key)`` of each reviewer admitted to the oversight routes
            (none: those routes refuse everyone).
        reason_method: ``max``, ``cutoff`` or ``average`` (``cutoff`` needs a cut-off).
        decision_log: URL of the decision log (``None``: answers are not recorded).
        decision_log_deadline_ms: most an answer waits for its record's commit.
        decision_log_required: fail closed (503 without a record) or answer anyway.
        decision_log_hashed: columns recorded only as a salted hash.
        decision_log_salt: their salt.
        registry: the card registry to serve from (``None``: serve ``artifact``).
        registry_poll_s: how often a worker re-reads the registry's live pointer.
    """

    artifact: Path = DEFAULT_ARTIFACT
    api_key: str | None = table.API_KEY.default
    max_batch: int = table.MAX_BATCH.default
    max_body_bytes: int = table.MAX_BODY_BYTES.default
    allow_missing: bool = table.ALLOW_MISSING.default
    header_timeout_s: float = table.HEADER_TIMEOUT_S.default
    body_timeout_s: float = table.BODY_TIMEOUT_S.default
    max_in_flight: int = table.MAX_IN_FLIGHT.default
    latency_budget_ms: float = table.LATENCY_BUDGET_MS.default
    refusal_ratio: float = table.REFUSAL_RATIO.default
    probe_port: int | None = table.PROBE_PORT.default
    cutoff: str | None = table.CUTOFF.default
    refer_band: int = table.REFER_BAND.default
    automated_declines: bool = table.AUTOMATED_DECLINES.default
    reviewer_keys: tuple[tuple[str, str], ...] = ()
    reason_method: str = table.REASON_METHOD.default
    decision_log: str | None = table.DECISION_LOG.default
    decision_log_deadline_ms: float = table.DECISION_LOG_DEADLINE_MS.default
    decision_log_required: bool = table.DECISION_LOG_REQUIRED.default
    decision_log_hashed: tuple[str, ...] = ()
    decision_log_salt: str | None = table.DECISION_LOG_SALT.default
    registry: str | None = table.REGISTRY.default
    registry_poll_s: float = table.REGISTRY_POLL_S.default

    def __post_init__(self) -> None:
        if self.decision_log is not None and not self.decision_log.strip():
            object.__setattr__(self, "decision_log", None)
        if not self.decision_log_deadline_ms > 0:
            raise SettingsError(f"{ENV_DECISION_LOG_DEADLINE_MS}: must be > 0 ms, got "
                                f"{self.decision_log_deadline_ms}")
        if self.decision_log_hashed and not self.decision_log_salt:
            raise SettingsError(f"{ENV_DECISION_LOG_HASHED} needs {ENV_DECISION_LOG_SALT} "
                                "(a hash without a secret salt is reversible by guessing)")
        if self.registry is not None and not self.registry.strip():
            object.__setattr__(self, "registry", None)
        if not self.registry_poll_s > 0:
            raise SettingsError(f"{ENV_REGISTRY_POLL_S}: must be > 0 seconds, got "
                                f"{self.registry_poll_s}")
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
        if not (self.refusal_ratio >= 0 and math.isfinite(self.refusal_ratio)):
            raise SettingsError(f"{ENV_REFUSAL_RATIO}: must be >= 0 refusals per completed "
                                f"request (0: every refusal at once), got {self.refusal_ratio}")
        if self.probe_port is not None and not 0 <= self.probe_port <= 65535:
            raise SettingsError(f"{ENV_PROBE_PORT}: must be a TCP port (0 to 65535, 0: any "
                                f"free port), got {self.probe_port}")
        if self.max_batch < 1:
            raise SettingsError(f"{ENV_MAX_BATCH}: must be >= 1, got {self.max_batch}")
        if self.max_body_bytes < 1024:
            raise SettingsError(f"{ENV_MAX_BODY_BYTES}: must be >= 1024, got "
                                f"{self.max_body_bytes}")
        if self.api_key is not None and not self.api_key:
            object.__setattr__(self, "api_key", None)
        names = [n for n, _ in self.reviewer_keys]
        keys = [k for _, k in self.reviewer_keys]
        if any(not n or not k for n, k in self.reviewer_keys):
            raise SettingsError(f"{ENV_REVIEWER_KEYS}: each entry is name=key, both "
                                "non-empty")
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise SettingsError(f"{ENV_REVIEWER_KEYS}: a reviewer name or key is given twice")
        if self.api_key is not None and self.api_key in keys:
            raise SettingsError(f"{ENV_REVIEWER_KEYS}: a reviewer key equals "
                                f"{ENV_API_KEY} (the scoring key must not override)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` (default ``os.environ``); unset variables keep defaults."""
        return cls(
            artifact=Path(table.ARTIFACT.read(env) or DEFAULT_ARTIFACT),
            api_key=table.API_KEY.read(env),
            max_batch=table.MAX_BATCH.read(env),
            max_body_bytes=table.MAX_BODY_BYTES.read(env),
            allow_missing=table.ALLOW_MISSING.read(env),
            header_timeout_s=table.HEADER_TIMEOUT_S.read(env),
            body_timeout_s=table.BODY_TIMEOUT_S.read(env),
            max_in_flight=table.MAX_IN_FLIGHT.read(env),
            latency_budget_ms=table.LATENCY_BUDGET_MS.read(env),
            refusal_ratio=table.REFUSAL_RATIO.read(env),
            probe_port=table.PROBE_PORT.read(env),
            cutoff=table.CUTOFF.read(env),
            refer_band=table.REFER_BAND.read(env),
            automated_declines=table.AUTOMATED_DECLINES.read(env),
            reviewer_keys=reviewer_keys(table.REVIEWER_KEYS.read(env)),
            reason_method=table.REASON_METHOD.read(env).lower(),
            decision_log=table.DECISION_LOG.read(env),
            decision_log_deadline_ms=table.DECISION_LOG_DEADLINE_MS.read(env),
            decision_log_required=table.DECISION_LOG_REQUIRED.read(env),
            decision_log_hashed=tuple(c.strip() for c in
                                      (table.DECISION_LOG_HASHED.read(env) or "").split(",")
                                      if c.strip()),
            decision_log_salt=table.DECISION_LOG_SALT.read(env),
            registry=table.REGISTRY.read(env),
            registry_poll_s=table.REGISTRY_POLL_S.read(env),
        )


def reviewer_keys(text: str | None) -> tuple[tuple[str, str], ...]:
    """``name=key,name=key`` as ``(name, key)`` pairs (spaces around each part dropped)."""
    out = []
    for entry in (text or "").split(","):
        if entry.strip():
            name, sep, key = entry.partition("=")
            if not sep:
                raise SettingsError(f"{ENV_REVIEWER_KEYS}: an entry is not name=key (the "
                                    "value is secret, so not shown)")
            out.append((name.strip(), key.strip()))
    return tuple(out)
