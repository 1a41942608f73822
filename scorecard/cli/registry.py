"""``scorecard registry ...``: the card registry (:mod:`scorecard.registry`).

* ``add CARD --author NAME`` registers a sealed card (with ``validation.html`` and
  ``metrics.json`` beside it) as a candidate;
* ``approve ID --reviewer NAME --reason TEXT`` (never the card's author), ``promote ID --as
  champion|challenger``, ``retire ID``: each a transition on the hash-chained history;
* ``list``, ``history``, ``verify`` (exit 1 when the history, a card or the live pointer
  was altered);
* ``compare --decision-log URL --challenger ID``: the challenger against the champion on the
  logged traffic (:mod:`scorecard.jobs.compare`).

``--store`` defaults to ``$SCORECARD_REGISTRY``; ``--by`` to ``$SCORECARD_REVIEWER``, then
``$USER``. A refused transition is one ``error:`` line, exit 2; a tampered card exit 4.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from scorecard.cli import EXIT_FAILURE, EXIT_OK, UsageError, non_empty
from scorecard.cli.decisions import when


def _registry(args: argparse.Namespace) -> Any:
    from scorecard import settings
    from scorecard.registry.lifecycle import Registry

    url = args.store or settings.REGISTRY.read()
    if not url:
        raise UsageError(f"--store is required (or set {settings.REGISTRY.name})")
    return Registry(url)


def _actor(args: argparse.Namespace) -> str:
    from scorecard import settings

    name = args.by or settings.REVIEWER.read() or settings.USER.read()
    if not name:
        raise UsageError(f"--by NAME is required (or set {settings.REVIEWER.name})")
    return str(name)


def _print(entry: dict[str, Any]) -> None:
    print(f"{entry['seq']:>4}  {entry['at']}  {entry['action']:<8} {entry['card'][:12]}  "
          f"{entry['from'] or '-'} -> {entry['to']}  by {entry['actor']}: {entry['reason']}")


def _add(args: argparse.Namespace) -> int:
    from scorecard.data.safety import artifact_file

    entry = _registry(args).add(artifact_file(args.card, "CARD"), args.author, args.reason)
    _print(entry)
    print(entry["card"])
    return EXIT_OK


def _approve(args: argparse.Namespace) -> int:
    _print(_registry(args).approve(args.id, args.reviewer, args.reason))
    return EXIT_OK


def _promote(args: argparse.Namespace) -> int:
    for entry in _registry(args).promote(args.id, args.role, _actor(args), args.reason):
        _print(entry)
    return EXIT_OK


def _retire(args: argparse.Namespace) -> int:
    _print(_registry(args).retire(args.id, _actor(args), args.reason))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    reg = _registry(args)
    cards = reg.cards()
    if args.json:
        print(json.dumps([{"id": c.id, "model_id": c.model_id, "state": c.state,
                           "author": c.author, "approved_by": c.approved_by,
                           "added": c.added} for c in cards.values()], indent=1))
        return EXIT_OK
    for c in cards.values():
        print(f"{c.id[:12]}  {c.state:<10}  {c.model_id}  author {c.author}"
              + (f", approved by {c.approved_by}" if c.approved_by else ""))
    print(f"{len(cards)} card(s) in {reg.store.url}", file=sys.stderr)
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    for entry in _registry(args).history():
        if not args.id or entry["card"].startswith(args.id.removeprefix("sha256:")):
            _print(entry)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from scorecard.cli import capped

    reg = _registry(args)
    checked, findings = reg.verify()
    if findings:
        print(capped("\n".join(findings)), file=sys.stderr)
        print(f"error: the registry is NOT intact: {len(findings)} finding(s) in "
              f"{checked} transition(s)", file=sys.stderr)
        return EXIT_FAILURE
    live = reg.live()
    print(f"intact: {checked} transition(s), every link and card verified; champion "
          f"{(live.champion or 'none')[:12]}, {len(live.challengers)} challenger(s)")
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from scorecard.cli.decisions import _range, _store
    from scorecard.jobs.compare import compare, render_text

    reg = _registry(args)
    challenger = reg.resolve(args.challenger)
    champion = reg.resolve(args.champion) if args.champion else None
    if champion is None:
        live = reg.live().champion
        if live is None:
            raise UsageError("the registry has no champion: name one with --champion ID")
        champion = reg.resolve(live)
    args.log = args.decision_log
    where, params = _range(args)
    result = compare(_store(args), reg.load_card(champion.id), reg.load_card(challenger.id),
                     args.cutoff, where, params)
    sys.stdout.write(json.dumps(result, indent=1) + "\n" if args.json else render_text(result))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``registry`` and its subcommands."""
    p = sub.add_parser("registry", help="the card registry: add, approve, promote, retire, "
                       "list, history, verify, compare",
                       description="Sealed cards under review and in service; every "
                       "transition on a hash-chained history (who, when, why).")
    inner = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        q = inner.add_parser(name, help=help_text, description=help_text)
        q.add_argument("--store", type=non_empty, help="the registry: a folder or "
                       "s3://bucket/prefix (default $SCORECARD_REGISTRY)")
        q.set_defaults(func=func)
        return q

    q = command("add", "register a sealed card as a candidate (with validation.html and "
                "metrics.json beside it, when present); prints its id", _add)
    q.add_argument("card", metavar="CARD", type=non_empty, help="the card's JSON file")
    q.add_argument("--author", type=non_empty, required=True, help="who built the card")
    q.add_argument("--reason", default="", help="a note for the history")
    q = command("approve", "approve a candidate: a reviewer other than its author", _approve)
    q.add_argument("id", metavar="ID", type=non_empty, help="id, id prefix or model id")
    q.add_argument("--reviewer", type=non_empty, required=True)
    q.add_argument("--reason", type=non_empty, required=True)
    q = command("promote", "make an approved card the champion (retiring the one it "
                "replaces) or a challenger (scored in shadow)", _promote)
    q.add_argument("id", metavar="ID", type=non_empty)
    q.add_argument("--as", dest="role", choices=("champion", "challenger"), required=True)
    q.add_argument("--by", type=non_empty, help="who (default $SCORECARD_REVIEWER, $USER)")
    q.add_argument("--reason", type=non_empty, required=True)
    q = command("retire", "retire a card (never the champion: promote another)", _retire)
    q.add_argument("id", metavar="ID", type=non_empty)
    q.add_argument("--by", type=non_empty, help="who (default $SCORECARD_REVIEWER, $USER)")
    q.add_argument("--reason", type=non_empty, required=True)
    q = command("list", "every card and its state", _list)
    q.add_argument("--json", action="store_true", help="as JSON")
    q = command("history", "every transition (of one card with ID)", _history)
    q.add_argument("id", metavar="ID", nargs="?", help="an id or id prefix")
    command("verify", "check the history's chain, every card's bytes and the live pointer "
            "(exit 1 on any finding)", _verify)
    q = command("compare", "a challenger against the champion on the logged traffic: swap "
                "set at the cut-off, grade migrations, score PSI and, with outcomes, both "
                "AUCs with the DeLong test", _compare)
    q.add_argument("--decision-log", type=non_empty, help="the log's URL (default "
                   "$SCORECARD_DECISION_LOG)")
    q.add_argument("--challenger", type=non_empty, required=True, help="its id or prefix")
    q.add_argument("--champion", type=non_empty, help="the card that answered (default: the "
                   "registry's champion)")
    q.add_argument("--cutoff", help="600, pd:0.05 or grade:E (default: the records' own)")
    q.add_argument("--from", dest="start", type=when, help="first time (UTC), inclusive")
    q.add_argument("--to", dest="end", type=when, help="last time (UTC), exclusive")
    q.add_argument("--json", action="store_true", help="the figures as JSON")
