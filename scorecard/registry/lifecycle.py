"""The registry's life cycle: states, the four-eyes rule and the hash-chained history.

A card's id is the hex digest of its ``content_hash`` (the sealed card's SHA-256), so the
registry is content-addressed: ``cards/<id>/card.json`` holds the card's bytes as added,
with its validation report and metrics beside it when they were given. States::

    candidate --approve--> approved --promote--> champion | challenger --retire--> retired

A challenger may be promoted to champion; a new champion retires the one it replaces;
candidates and approved cards may be retired (rejected); the champion is retired only by
promoting another. ``approve`` needs a reviewer other than the card's author and a reason;
``promote`` refuses a card not approved and a card whose bytes no longer hash to its id.

Every transition is one object ``history/<seq>.json`` (who, when, what, why) carrying the
hash of its predecessor and its own; each is written create-only, so two writers cannot
both append the same step. The state is the replay of the history. ``live.json`` (the
champion and challengers, and the history head they follow from) is rewritten after each
transition: the service polls it. :meth:`Registry.verify` checks the chain, every card's
bytes and that ``live.json`` is what the history says.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scorecard.card.artifact import ArtifactError, verify
from scorecard.errors import InvalidArtifactError, UsageError
from scorecard.registry.store import Store, open_store

STATES = ("candidate", "approved", "champion", "challenger", "retired")
ROLES = ("champion", "challenger")
MAX_CHALLENGERS = 3  # each one is scored beside every request
GENESIS = "0" * 64
ATTACHMENTS = ("validation.html", "metrics.json")  # kept beside the card when present
LIVE = "live.json"


class RegistryError(UsageError):
    """A transition the registry refuses (approving one's own card, promoting an
    unapproved card, an unknown id...); the message says which rule."""


class TamperedCardError(InvalidArtifactError):
    """A registered card (or its report) whose bytes no longer hash to what was
    registered."""


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 of a history entry's canonical JSON, its ``hash`` left out."""
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})
                          ).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _name(text: str | None, what: str) -> str:
    name = (text or "").strip()
    if not name:
        raise RegistryError(f"{what}: a name is required")
    return name


def card_id(card: dict[str, Any]) -> str:
    """The registry id of a sealed card: its content hash's hex digest."""
    return str(card["content_hash"]).removeprefix("sha256:")


@dataclass
class CardState:
    """A card as the history leaves it."""

    id: str
    model_id: str
    state: str
    author: str
    added: str
    files: dict[str, str]  # name -> sha256 of the bytes registered
    approved_by: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Live:
    """What the service serves: the champion and the challengers, as of history ``seq``."""

    seq: int
    head: str
    champion: str | None
    challengers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "head": self.head, "champion": self.champion,
                "challengers": list(self.challengers)}


class Registry:
    """The registry in ``store`` (a :class:`~scorecard.registry.store.Store` or its URL)."""

    def __init__(self, store: Store | str) -> None:
        self.store = open_store(store) if isinstance(store, str) else store

    # ------------------------------------------------------------------ reading

    def history(self) -> list[dict[str, Any]]:
        """Every transition, in order (unverified: see :meth:`verify`)."""
        out = []
        for key in self.store.keys("history/"):
            data = self.store.get(key)
            if data is None:  # listed, then gone: verify names the gap
                continue
            try:
                out.append(json.loads(data))
            except json.JSONDecodeError:
                raise TamperedCardError(f"registry history {key}: not JSON") from None
        return out

    def cards(self, history: list[dict[str, Any]] | None = None) -> dict[str, CardState]:
        """Every card's state, replaying ``history``."""
        out: dict[str, CardState] = {}
        for e in self.history() if history is None else history:
            cid = e["card"]
            if e["action"] == "add":
                out[cid] = CardState(cid, e["model_id"], "candidate", e["actor"], e["at"],
                                     dict(e["files"]))
            elif cid in out:
                out[cid].state = e["to"]
                if e["action"] == "approve":
                    out[cid].approved_by = e["actor"]
            if cid in out:
                out[cid].log.append(e)
        return out

    def live(self) -> Live:
        """The live pointer as written (``live.json``); no champion before the first
        promotion."""
        data = self.store.get(LIVE)
        if data is None:
            return Live(0, GENESIS, None, ())
        try:
            doc = json.loads(data)
            return Live(int(doc["seq"]), str(doc["head"]), doc["champion"],
                        tuple(doc["challengers"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise TamperedCardError(f"registry {self.store.url}: {LIVE} is not a live "
                                    "pointer") from None

    def resolve(self, ref: str, cards: dict[str, CardState] | None = None) -> CardState:
        """The card named by ``ref``: its id, a unique id prefix (6+ hex) or its model id."""
        cards = self.cards() if cards is None else cards
        ref = ref.strip().removeprefix("sha256:")
        found = [c for c in cards.values() if c.id == ref or c.model_id == ref
                 or (len(ref) >= 6 and c.id.startswith(ref))]
        if not found:
            raise RegistryError(f"card {ref!r} is not in the registry {self.store.url}")
        if len(found) > 1:
            raise RegistryError(f"card {ref!r} is ambiguous: "
                                f"{', '.join(c.id[:12] for c in found)}")
        return found[0]

    def load_card(self, cid: str) -> dict[str, Any]:
        """The registered card, checked: its bytes hash to ``cid`` and it is servable
        (raises :class:`TamperedCardError` otherwise)."""
        data = self.store.get(f"cards/{cid}/card.json")
        if data is None:
            raise TamperedCardError(f"card {cid[:12]}: cards/{cid}/card.json is missing")
        try:
            card = verify(json.loads(data))
        except (json.JSONDecodeError, UnicodeDecodeError, ArtifactError) as exc:
            raise TamperedCardError(f"card {cid[:12]}: its stored bytes are no longer the "
                                    f"card registered ({exc})") from None
        if card_id(card) != cid:
            raise TamperedCardError(f"card {cid[:12]}: its stored bytes hash to "
                                    f"{card_id(card)[:12]}, not to its id (tampered)")
        return card

    # ------------------------------------------------------------------ writing

    def _append(self, entry: dict[str, Any], history: list[dict[str, Any]]
                ) -> dict[str, Any]:
        """Chain ``entry`` after ``history`` (what the transition was checked against; it
        grows by the entry) and write it create-only, so a transition checked against a
        history another writer has moved on from is refused; then the live pointer."""
        prev = history[-1]["hash"] if history else GENESIS
        entry = {"seq": len(history) + 1, "at": _now(), **entry, "prev": prev}
        entry["hash"] = entry_hash(entry)
        if not self.store.create(f"history/{entry['seq']:08d}.json", _canonical(entry)):
            raise RegistryError("another transition was recorded meanwhile: run the "
                                "command again")
        history.append(entry)
        self._write_live(history)
        return entry

    def _write_live(self, history: list[dict[str, Any]]) -> Live:
        while True:
            cards = self.cards(history)
            live = Live(len(history), history[-1]["hash"] if history else GENESIS,
                        next((c.id for c in cards.values() if c.state == "champion"), None),
                        tuple(sorted(c.id for c in cards.values()
                                     if c.state == "challenger")))
            self.store.put(LIVE, _canonical(live.to_dict()))
            # A writer that appended meanwhile may have written its pointer before ours:
            # the last pointer written must be the latest history's.
            if len(self.store.keys("history/")) == len(history):
                return live
            history = self.history()

    def add(self, path: str | Path, author: str, reason: str = "") -> dict[str, Any]:
        """Register the sealed card at ``path`` (and its ``validation.html`` and
        ``metrics.json`` beside it) as a candidate."""
        author = _name(author, "--author")
        path = Path(path)
        try:
            data = path.read_bytes()
            card = verify(json.loads(data))
        except FileNotFoundError:
            raise ArtifactError(f"artifact: {path} does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ArtifactError(f"artifact: {path} is not valid JSON ({exc})") from None
        cid = card_id(card)
        history = self.history()
        known = self.cards(history)
        if cid in known:
            raise RegistryError(f"card {cid[:12]} ({card['model_id']}) is already in the "
                                f"registry, {known[cid].state}")
        files = {"card.json": hashlib.sha256(data).hexdigest()}
        for name in ATTACHMENTS:
            beside = path.parent / name
            if beside.is_file():
                blob = beside.read_bytes()
                self.store.put(f"cards/{cid}/{name}", blob)
                files[name] = hashlib.sha256(blob).hexdigest()
        self.store.put(f"cards/{cid}/card.json", data)
        return self._append({"action": "add", "card": cid, "model_id": card["model_id"],
                             "actor": author, "from": None, "to": "candidate",
                             "reason": reason.strip() or "registered", "files": files},
                            history)

    def approve(self, ref: str, reviewer: str, reason: str) -> dict[str, Any]:
        """Approve a candidate; the reviewer must not be its author."""
        reviewer, reason = _name(reviewer, "--reviewer"), _name(reason, "--reason")
        history = self.history()
        card = self.resolve(ref, self.cards(history))
        if card.state != "candidate":
            raise RegistryError(f"card {card.id[:12]} is {card.state}: only a candidate can "
                                "be approved")
        if reviewer.casefold() == card.author.casefold():
            raise RegistryError(f"refused: card {card.id[:12]} was added by {card.author}, "
                                f"so {reviewer} cannot approve it: approval needs a second "
                                "person (four eyes)")
        self._check_files(card)
        return self._append({"action": "approve", "card": card.id, "actor": reviewer,
                             "from": "candidate", "to": "approved", "reason": reason},
                            history)

    def promote(self, ref: str, role: str, actor: str, reason: str) -> list[dict[str, Any]]:
        """Make an approved card (or a challenger) the champion, or a challenger; a
        replaced champion is retired. Refuses an unapproved or tampered card."""
        actor, reason = _name(actor, "--by"), _name(reason, "--reason")
        if role not in ROLES:
            raise RegistryError(f"--as {role!r}: must be champion or challenger")
        history = self.history()
        cards = self.cards(history)
        card = self.resolve(ref, cards)
        allowed = ("approved", "challenger") if role == "champion" else ("approved",)
        if card.state not in allowed:
            need = "approved" if card.state == "candidate" else f"{' or '.join(allowed)}"
            raise RegistryError(f"refused: card {card.id[:12]} is {card.state}, not {need}: "
                                f"it cannot be promoted to {role}")
        self.load_card(card.id)  # its bytes still hash to its id, and it is servable
        self._check_files(card)
        written = []
        if role == "challenger":
            n = sum(c.state == "challenger" for c in cards.values())
            if n >= MAX_CHALLENGERS:
                raise RegistryError(f"refused: {n} challengers already (at most "
                                    f"{MAX_CHALLENGERS}); retire one first")
        else:
            old = next((c for c in cards.values() if c.state == "champion"), None)
            if old is not None:
                written.append(self._append({
                    "action": "retire", "card": old.id, "actor": actor, "from": "champion",
                    "to": "retired", "reason": f"replaced by {card.id[:12]}: {reason}"},
                    history))
        written.append(self._append({"action": "promote", "card": card.id, "actor": actor,
                                     "from": card.state, "to": role, "reason": reason},
                                    history))
        return written

    def retire(self, ref: str, actor: str, reason: str) -> dict[str, Any]:
        """Retire a card (a candidate or approved card: rejected); never the champion."""
        actor, reason = _name(actor, "--by"), _name(reason, "--reason")
        history = self.history()
        card = self.resolve(ref, self.cards(history))
        if card.state == "retired":
            raise RegistryError(f"card {card.id[:12]} is retired already")
        if card.state == "champion":
            raise RegistryError(f"refused: card {card.id[:12]} is the champion; promote "
                                "another card to champion to replace it")
        return self._append({"action": "retire", "card": card.id, "actor": actor,
                             "from": card.state, "to": "retired", "reason": reason}, history)

    def _check_files(self, card: CardState) -> None:
        for name, digest in card.files.items():
            blob = self.store.get(f"cards/{card.id}/{name}")
            if blob is None or hashlib.sha256(blob).hexdigest() != digest:
                raise TamperedCardError(f"card {card.id[:12]}: {name} is missing or no "
                                        "longer the file registered (tampered)")

    # ------------------------------------------------------------------ verification

    def verify(self) -> tuple[int, list[str]]:
        """Check the history's chain, every card's files and the live pointer; returns
        (transitions checked, findings)."""
        findings: list[str] = []
        history = self.history()
        prev = GENESIS
        states: dict[str, str] = {}
        for i, e in enumerate(history, start=1):
            where = f"history {i:08d}"
            if e.get("seq") != i:
                findings.append(f"{where}: seq {e.get('seq')} out of place (deleted or "
                                "inserted before it)")
            if entry_hash(e) != e.get("hash"):
                findings.append(f"{where}: its content does not match its hash (altered)")
            elif e.get("prev") != prev:
                findings.append(f"{where}: it does not follow its predecessor (inserted, "
                                "reordered or a predecessor altered)")
            prev = str(e.get("hash"))
            before = states.get(e.get("card", ""))
            if e.get("action") != "add" and before != e.get("from"):
                findings.append(f"{where}: {e.get('action')} of card "
                                f"{str(e.get('card'))[:12]} from {e.get('from')}, but it "
                                f"was {before}")
            states[e.get("card", "")] = e.get("to", "")
        cards = self.cards(history)
        for c in cards.values():
            try:
                self.load_card(c.id)
                self._check_files(c)
            except TamperedCardError as exc:
                findings.append(str(exc))
        live = self.live()
        expected = Live(len(history), prev,
                        next((c.id for c in cards.values() if c.state == "champion"), None),
                        tuple(sorted(c.id for c in cards.values() if c.state == "challenger")))
        if live != expected:
            findings.append(f"{LIVE}: {live.to_dict()} is not what the history says "
                            f"({expected.to_dict()})")
        return len(history), findings
