"""The card registry on a real folder: the life cycle, the four-eyes rule, refusals of
unapproved and tampered cards, and a history whose every alteration ``verify`` names."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.errors import EXIT_BAD_ARTIFACT, EXIT_USAGE
from scorecard.registry.lifecycle import (
    MAX_CHALLENGERS,
    Registry,
    RegistryError,
    TamperedCardError,
    card_id,
)
from tests.support.registry import CARD, champion, edited_card, write_card


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The published card (with its report and metrics beside it) and two edits of it."""
    base = tmp_path_factory.mktemp("cards")
    card = champion()
    return [CARD, write_card(base / "b", edited_card(card, 25)),
            write_card(base / "c", edited_card(card, -40))]


def _id(path: Path) -> str:
    return card_id(json.loads(path.read_text()))


def test_a_card_goes_from_candidate_to_champion_with_every_step_on_record(
        tmp_path: Path, cards: list[Path]) -> None:
    reg = Registry(str(tmp_path / "reg"))
    cid = reg.add(cards[0], "alice")["card"]
    assert cid == _id(cards[0]) and reg.cards()[cid].state == "candidate"
    stored = tmp_path / "reg" / "cards" / cid
    assert (stored / "card.json").read_bytes() == cards[0].read_bytes()
    assert {p.name for p in stored.iterdir()} == {"card.json", "validation.html",
                                                  "metrics.json"}
    reg.approve(cid[:8], "bob", "validated: AUC and stability within limits")
    reg.promote(cid, "champion", "carol", "go-live")
    assert reg.live().champion == cid and reg.live().challengers == ()
    history = reg.history()
    assert [(e["action"], e["actor"], e["from"], e["to"]) for e in history] == [
        ("add", "alice", None, "candidate"), ("approve", "bob", "candidate", "approved"),
        ("promote", "carol", "approved", "champion")]
    assert history[1]["reason"].startswith("validated") and all(e["at"] for e in history)
    assert reg.verify() == (3, [])


def test_approving_ones_own_card_is_refused_whatever_the_case(tmp_path: Path,
                                                              cards: list[Path]) -> None:
    reg = Registry(str(tmp_path))
    cid = reg.add(cards[0], "Alice")["card"]
    with pytest.raises(RegistryError,
                       match=r"added by Alice, so alice cannot approve it.*four eyes"):
        reg.approve(cid, " alice ", "looks fine to me")
    assert reg.cards()[cid].state == "candidate" and len(reg.history()) == 1


def test_the_command_line_refuses_self_approval_and_an_unapproved_promotion_with_exit_2(
        tmp_path: Path, cards: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "reg")
    assert main(["registry", "add", str(cards[1]), "--store", store, "--author", "ann"]) == 0
    cid = _id(cards[1])
    capsys.readouterr()
    assert main(["registry", "approve", cid[:10], "--store", store, "--reviewer", "ann",
                 "--reason", "ok"]) == EXIT_USAGE
    assert "added by ann, so ann cannot approve it" in capsys.readouterr().err
    assert main(["registry", "promote", cid, "--as", "champion", "--store", store, "--by",
                 "ben", "--reason", "now"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: refused: card") and "candidate, not approved" in err
    assert "Traceback" not in err
    assert main(["registry", "verify", "--store", store]) == 0


def test_a_tampered_card_cannot_be_promoted_and_verify_names_it(
        tmp_path: Path, cards: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    reg = Registry(str(tmp_path))
    cid = reg.add(cards[1], "ann")["card"]
    reg.approve(cid, "ben", "validated")
    stored = tmp_path / "cards" / cid / "card.json"
    card = json.loads(stored.read_text())
    card["features"][0]["bins"][0]["points"] += 1
    card["features"][0]["max_points"] = max(b["points"] for b in card["features"][0]["bins"])
    stored.write_text(json.dumps(card))
    with pytest.raises(TamperedCardError, match=f"card {cid[:12]}"):
        reg.promote(cid, "champion", "ben", "go")
    assert reg.live().champion is None
    assert main(["registry", "promote", cid, "--as", "champion", "--store", str(tmp_path),
                 "--by", "ben", "--reason", "go"]) == EXIT_BAD_ARTIFACT
    checked, findings = reg.verify()
    assert checked == 2 and len(findings) == 1 and cid[:12] in findings[0]


def test_a_card_resealed_under_another_hash_is_tampered_too(tmp_path: Path,
                                                          cards: list[Path]) -> None:
    """Its own content hash agrees with its bytes, but no longer with its id."""
    reg = Registry(str(tmp_path))
    cid = reg.add(cards[0], "ann")["card"]
    reg.approve(cid, "ben", "validated")
    (tmp_path / "cards" / cid / "card.json").write_bytes(cards[1].read_bytes())
    with pytest.raises(TamperedCardError, match="not to its id"):
        reg.promote(cid, "challenger", "ben", "shadow it")


def test_a_new_champion_retires_the_old_and_challengers_are_capped(
        tmp_path: Path, cards: list[Path]) -> None:
    reg = Registry(str(tmp_path))
    ids = []
    for path in cards:
        cid = reg.add(path, "ann")["card"]
        reg.approve(cid, "ben", "validated")
        ids.append(cid)
    reg.promote(ids[0], "champion", "ben", "first")
    reg.promote(ids[1], "challenger", "ben", "shadow")
    assert reg.live().challengers == (ids[1],)
    with pytest.raises(RegistryError, match="is the champion"):
        reg.retire(ids[0], "ben", "no")
    reg.promote(ids[1], "champion", "ben", "it won")
    states = {c: s.state for c, s in reg.cards().items()}
    assert states == {ids[0]: "retired", ids[1]: "champion", ids[2]: "approved"}
    assert reg.history()[-2]["reason"].startswith(f"replaced by {ids[1][:12]}")
    with pytest.raises(RegistryError, match="retired, not approved"):
        reg.promote(ids[0], "challenger", "ben", "again")
    reg.retire(ids[2], "ben", "rejected")
    assert reg.verify()[1] == [] and reg.live().champion == ids[1]


def test_at_most_a_few_challengers(tmp_path: Path, cards: list[Path]) -> None:
    reg = Registry(str(tmp_path))
    base = champion()
    ids = []
    for k in range(MAX_CHALLENGERS + 1):
        path = write_card(tmp_path / f"c{k}", edited_card(base, k + 1))
        cid = reg.add(path, "ann")["card"]
        reg.approve(cid, "ben", "ok")
        ids.append(cid)
    for cid in ids[:MAX_CHALLENGERS]:
        reg.promote(cid, "challenger", "ben", "shadow")
    with pytest.raises(RegistryError, match=f"{MAX_CHALLENGERS} challengers already"):
        reg.promote(ids[-1], "challenger", "ben", "one more")


@pytest.mark.parametrize("edit", ["altered", "deleted", "live"])
def test_verify_names_an_altered_or_deleted_transition_and_a_forged_live_pointer(
        tmp_path: Path, cards: list[Path], edit: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    reg = Registry(str(tmp_path))
    cid = reg.add(cards[0], "ann")["card"]
    reg.approve(cid, "ben", "validated")
    reg.promote(cid, "champion", "ben", "go")
    second = tmp_path / "history" / "00000002.json"
    if edit == "altered":  # the approver rewritten
        second.write_text(second.read_text().replace('"ben"', '"ann"'))
        expected = "history 00000002: its content does not match its hash"
    elif edit == "deleted":
        second.unlink()
        expected = "history 00000002: seq 3 out of place"
    else:
        live = json.loads((tmp_path / "live.json").read_text())
        live["champion"] = _id(cards[1])
        (tmp_path / "live.json").write_text(json.dumps(live))
        expected = "live.json"
    findings = reg.verify()[1]
    assert findings and findings[0].startswith(expected), findings
    assert main(["registry", "verify", "--store", str(tmp_path)]) == 1
    assert "NOT intact" in capsys.readouterr().err


def test_two_writers_cannot_both_append_the_same_step(tmp_path: Path,
                                                      cards: list[Path]) -> None:
    """Each transition is written create-only: of two racing approvals one is recorded,
    the other is refused and the chain stays whole."""
    reg = Registry(str(tmp_path))
    cid = reg.add(cards[0], "ann")["card"]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def approve(who: str) -> None:
        barrier.wait()
        try:
            Registry(str(tmp_path)).approve(cid, who, "race")
            outcomes.append("ok")
        except RegistryError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=approve, args=(f"rev{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert reg.verify() == (2, [])


def test_a_bad_store_or_an_unknown_card_is_one_line(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["registry", "list", "--store", str(tmp_path / "file")]) == EXIT_USAGE
    assert "is not a folder" in capsys.readouterr().err
    assert main(["registry", "list", "--store", "ftp://x/y"]) == EXIT_USAGE
    assert "not a folder, file:///path or s3://" in capsys.readouterr().err
    assert main(["registry", "approve", "abcdef", "--store", str(tmp_path / "r"),
                 "--reviewer", "x", "--reason", "y"]) == EXIT_USAGE
    assert "'abcdef' is not in the registry" in capsys.readouterr().err
    assert main(["registry", "add", str(tmp_path / "nope.json"), "--store",
                 str(tmp_path / "r"), "--author", "a"]) == EXIT_BAD_ARTIFACT


def test_serve_refuses_a_registry_without_a_champion_or_with_a_tampered_one(
        tmp_path: Path, cards: list[Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked before any worker starts: one line, exit 2 or 4."""
    monkeypatch.setenv("SCORECARD_REGISTRY", str(tmp_path))
    assert main(["serve", "--port", "1"]) == EXIT_USAGE
    assert "the registry has no champion" in capsys.readouterr().err
    reg = Registry(str(tmp_path))
    cid = reg.add(cards[0], "ann")["card"]
    reg.approve(cid, "ben", "ok")
    reg.promote(cid, "champion", "ben", "go")
    (tmp_path / "cards" / cid / "card.json").write_bytes(cards[1].read_bytes())
    assert main(["serve", "--port", "1"]) == EXIT_BAD_ARTIFACT
    assert "not to its id" in capsys.readouterr().err
