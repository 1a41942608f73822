"""The scorecard artifact: one JSON file that holds everything needed to score.

Layout (``schema_version`` 2; version 1 is read too, below)::

    {
      "schema_version": 2,
      "model_id": "<spec>-scorecard-<first 12 hex of the content hash>",
      "spec": {...},                 # dataset spec (names, special codes, trends)
      "id_column": "uuid" | null,
      "input_contract": [ {column rules} ],   # what a request or file must satisfy
      "scaling": {"base_score", "base_odds", "pdo", "factor", "offset"},
      "pd_formula": "...",
      "intercept": float,
      "features": [ {name, kind, description, reason_code, coefficient, trend, overridden,
                     splits | groups, category_match?, unseen_points, unseen_rule?,
                     max_points,
                     bins: [{index, type, label, codes?, count, event, event_rate, woe,
                             points, supported?, fitted_points?, support?}]} ],
      "master_scale": {...},
      "reference": {...},            # optional: development-sample distributions (below)
      "metadata": {...},
      "content_hash": "sha256:<hex>"
    }

Version 2 adds what omission may score (:mod:`scorecard.fit.support`, the spec's
``missing_policy`` and ``min_bin_events``, recorded in ``spec``) and how labels match:

* ``category_match`` (categorical features): ``"normalised"``, a label that matches no
  group as written is matched again ignoring case and surrounding spaces
  (:func:`scorecard.card.engine.label_key`); ``"exact"`` or absent, as written. No two
  groups may hold labels equal under the normalisation.
* ``supported`` (bins): whether the bin's points rest on enough development events;
  ``fitted_points`` and ``support`` (the reason, a sentence): on a bin the rule capped at
  its characteristic's riskiest supported bin; ``unseen_rule``: the same for the unseen
  category's ``unseen_points``.

A version-1 card has none of these keys and scores exactly as it did (labels as written).

``reference`` (optional, covered by the content hash) holds what monitoring compares a
later population with, so the card alone suffices (``scorecard monitor``, the API's
per-band and per-bin counters)::

    "reference": {
      "sample": "development",      # which rows were counted
      "rows": n,
      "score_bands": {"edges": [e_1, ..., e_k],     # ascending inner edges (deciles of
                      "counts": [c_0, ..., c_k]},   #  the development scores); band b holds
                                                    #  e_b <= score < e_{b+1} (open ends)
      "grades": {"counts": [per master-scale grade, best first]} | null,
      "auc": float | null           # development-sample AUC (in-sample)
    }

An *interaction* (two-dimensional) characteristic, ``"kind": "interaction"``, bins the
pair of its two parent columns and gives points per cell of a grid::

    {"name": "<x>_x_<y>", "kind": "interaction", "description", "reason_code",
     "parents": [{"name": x, "kind": "numeric", "splits": [...],          # row variable
                  "bins": [{index, type, label, codes?}]},                 #  n_x bins
                 {"name": y, "kind": "categorical",                        # column variable
                  "bins": [{index, type, label, categories?}]}],           #  n_y bins
     "grid": [[points of x bin i and y bin j for j < n_y] for i < n_x],    # integers
     "unseen_points", "max_points", "best_bin", "coefficient": null, "trend": null,
     "bins": [{index: i * n_y + j, type: "cell", row: i, col: j, label, count, event,
               event_rate, woe, points (= grid[i][j]), se?}]}              # row-major cells

Each parent is a bin rule exactly as a numeric or categorical characteristic's (splits,
special codes, one missing bin; or category groups, one missing bin) without points of its
own; a parent may also be a characteristic of the card. ``bins`` is the binning table of
the cells, so reasons, monitoring and counts treat an interaction as one more
characteristic whose bin is the flattened cell; ``unseen_points`` are given when either
parent meets a category it never saw. Both parents must be columns of the
``input_contract``; the interaction's own name is no column.

A *rounding* characteristic (:mod:`scorecard.card.derived`) is a categorical one over the
labels of an input column's rounding, ``"derived": {"input": x, "rounding": [5000, 1000]}``
(steps strictly decreasing): a bin's ``categories`` are labels (``"5000"``, ``"0"``,
``"other"``), its name :func:`~scorecard.card.derived.rounding_name` of ``x``, no column.

The per-characteristic bin counts of the same rows are the bins' ``count`` (the binning
table of the development sample; unseen categories count 0 there), so they are not repeated:
every feature's ``count`` must then sum to ``reference.rows``.

The content hash is SHA-256 over the canonical JSON (sorted keys, no spaces) of everything
but ``content_hash`` and ``model_id``. :func:`load_artifact` refuses a file whose hash does
not match, whose schema version is unknown, or that lacks a required field, and every card
the API could not serve: content the engine cannot score with, a master scale whose scaling
is not the card's, an ``input_contract`` that does not parse or lacks a card feature, or a
field the published card view (``GET /v1/scorecard``) cannot carry. What this module
accepts the API serves. Standard library, numpy (through the master scale) and the data
contract only: the serving image loads it without pandas.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scorecard.card.engine import NORMALISED, feature_inputs, label_key
from scorecard.card.grades import MasterScale
from scorecard.data.contract import CONTRACTS, Column, Contract
from scorecard.errors import InvalidArtifactError

SCHEMA_VERSION = 2
# Every layout this build reads: version 1 cards (no category_match, no support fields)
# score exactly as they did.
READABLE_VERSIONS = (1, 2)
REQUIRED = ("schema_version", "spec", "id_column", "input_contract", "scaling", "intercept",
            "features", "master_scale", "metadata", "content_hash")
REQUIRED_FEATURE = ("name", "kind", "reason_code", "bins", "unseen_points", "max_points")
REQUIRED_BIN = ("index", "type", "label", "points")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class ArtifactError(InvalidArtifactError):
    """The artifact is unreadable, incomplete, of an unknown version or tampered with."""


def _canonical(artifact: dict[str, Any]) -> bytes:
    body = {k: v for k, v in artifact.items() if k not in ("content_hash", "model_id")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_hash(artifact: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the artifact's canonical JSON, ``content_hash`` excluded."""
    return "sha256:" + hashlib.sha256(_canonical(artifact)).hexdigest()


def seal(artifact: dict[str, Any]) -> dict[str, Any]:
    """Return ``artifact`` with its ``content_hash`` and ``model_id`` set."""
    digest = content_hash(artifact)
    name = artifact.get("spec", {}).get("name", "model")
    return {**artifact, "content_hash": digest,
            "model_id": f"{name}-scorecard-{digest.split(':')[1][:12]}"}


def dumps(artifact: dict[str, Any]) -> str:
    """Stable, reviewable JSON text (indented, keys in insertion order)."""
    return json.dumps(artifact, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def verify(artifact: dict[str, Any]) -> dict[str, Any]:
    """Check version, required fields and hash; return the artifact or raise ArtifactError."""
    if not isinstance(artifact, dict):
        raise ArtifactError("artifact: the top level must be a JSON object")
    version = artifact.get("schema_version")
    if version not in READABLE_VERSIONS or type(version) is not int:
        raise ArtifactError(f"schema_version: {version!r} is not supported "
                            f"(this build reads versions "
                            f"{', '.join(map(str, READABLE_VERSIONS))})")
    missing = [k for k in REQUIRED if k not in artifact]
    if missing:
        raise ArtifactError(f"missing field(s): {', '.join(missing)}")
    features = artifact["features"]
    if (not isinstance(features, list) or not features
            or not all(isinstance(f, dict) and isinstance(f.get("bins"), list) for f in features)):
        raise ArtifactError("features: must be a non-empty list of objects, each with a list "
                            "of bins")
    for i, feature in enumerate(features):
        lacking = [k for k in REQUIRED_FEATURE if k not in feature]
        if lacking:
            raise ArtifactError(f"features[{i}] ({feature.get('name', '?')}): missing "
                                f"field(s) {', '.join(lacking)}")
        for j, b in enumerate(feature["bins"]):
            lacking = [k for k in REQUIRED_BIN if k not in b]
            if lacking:
                raise ArtifactError(f"features[{i}].bins[{j}] ({feature['name']}): missing "
                                    f"field(s) {', '.join(lacking)}")
    expected = content_hash(artifact)
    if artifact["content_hash"] != expected:
        raise ArtifactError(
            f"content_hash: the file says {artifact['content_hash']} but its content hashes "
            f"to {expected}; the artifact was edited after it was sealed")
    problem = (_content_problem(artifact) or _view_problem(artifact)
               or _master_scale_problem(artifact) or _contract_problem(artifact)
               or _scaling_problem(artifact) or _reference_problem(artifact))
    if problem:
        raise ArtifactError(problem)
    return artifact


def master_scale(artifact: dict[str, Any]) -> MasterScale | None:
    """The card's master scale (``None`` when it has none); raises ArtifactError."""
    raw = artifact.get("master_scale")
    if not raw:
        return None
    try:
        return MasterScale.from_dict(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ArtifactError(f"master_scale: unusable ({exc})") from exc


def input_contract(artifact: dict[str, Any]) -> list[Column]:
    """The card's ``input_contract`` as columns, in order; raises ArtifactError."""
    raw = artifact.get("input_contract")
    if not isinstance(raw, list) or not raw:
        raise ArtifactError("input_contract: must be a non-empty list of column objects")
    try:
        return [Column.from_dict(c, f"input_contract[{i}]") for i, c in enumerate(raw)]
    except ValueError as exc:
        raise ArtifactError(str(exc)) from exc


def file_contract(artifact: dict[str, Any]) -> Contract:
    """The file contract of the card: its own ``input_contract`` columns in the file format
    (separator, NA, target labels) of the built-in contract its spec names, or of the spec
    file's contract stored in the card. Raises ValueError for a contract neither built in
    nor stored."""
    name = artifact["spec"].get("contract")
    if isinstance(name, dict):  # a spec file's own contract: its format is in the card
        fmt = dict(name)
    elif name in CONTRACTS:
        fmt = CONTRACTS[name].to_dict()
    else:
        raise ValueError(f"the card's contract {name!r} is not built in; pass --spec")
    target = next((c["name"] for c in artifact["input_contract"] if c.get("kind") == "target"),
                  fmt["target"])
    return Contract.from_dict({**fmt, "columns": artifact["input_contract"],
                               "id_column": artifact["id_column"], "target": target},
                              where="input_contract")


def band_index(edges: list[float], score: float) -> int:
    """Score band of one score under ``reference.score_bands.edges`` (layout above)."""
    return bisect.bisect_right(edges, score)


def _scaling_problem(artifact: dict[str, Any]) -> str | None:
    """The engine, SQL and API compute pd from base_score, base_odds and pdo: a published
    ``offset``/``factor`` that disagrees (e.g. an offset edited by hand to recalibrate)
    would be silently ignored, so it is refused."""
    s = artifact["scaling"]
    factor = s["pdo"] / math.log(2.0)
    derived = {"factor": factor, "offset": s["base_score"] - factor * math.log(s["base_odds"])}
    for key, value in derived.items():
        if s.get(key) is not None and _is_number(s[key]) and not math.isclose(
                s[key], value, rel_tol=1e-12, abs_tol=1e-9):
            return (f"scaling.{key}: {s[key]!r} does not follow from base_score, base_odds "
                    f"and pdo ({value!r}); change base_odds to move the offset")
    return None


def _reference_problem(artifact: dict[str, Any]) -> str | None:
    ref = artifact.get("reference")
    if ref is None:
        return None
    if not isinstance(ref, dict) or not _is_int(ref.get("rows")) or ref["rows"] < 1:
        return "reference: must be an object with a positive integer rows"
    rows = ref["rows"]
    bands = ref.get("score_bands")
    if not isinstance(bands, dict):
        return "reference.score_bands: must be an object with edges and counts"
    edges, counts = bands.get("edges"), bands.get("counts")
    if (not isinstance(edges, list) or not all(_is_number(e) for e in edges)
            or any(a >= b for a, b in itertools.pairwise(edges))):
        return "reference.score_bands.edges: must be a strictly increasing list of numbers"
    if (not isinstance(counts, list) or len(counts) != len(edges) + 1
            or not all(_is_int(c) and c >= 0 for c in counts) or sum(counts) != rows):
        return (f"reference.score_bands.counts: must be {len(edges) + 1} non-negative "
                f"integers summing to reference.rows ({rows})")
    grades = ref.get("grades")
    if grades is not None:
        n_grades = len(artifact["master_scale"].get("grades", [])) if isinstance(
            artifact.get("master_scale"), dict) else 0
        g = grades.get("counts") if isinstance(grades, dict) else None
        if (not isinstance(g, list) or len(g) != n_grades
                or not all(_is_int(c) and c >= 0 for c in g) or sum(g) != rows):
            return (f"reference.grades.counts: must be one non-negative integer per "
                    f"master-scale grade ({n_grades}) summing to reference.rows ({rows})")
    if ref.get("auc") is not None and not (_is_number(ref["auc"]) and 0 <= ref["auc"] <= 1):
        return "reference.auc: must be a number in [0, 1] or null"
    for f in artifact["features"]:
        c = [b.get("count") for b in f["bins"]]
        if not all(_is_int(x) and x >= 0 for x in c) or sum(c) != rows:
            return (f"reference: the bin counts of {f['name']} must be non-negative integers "
                    f"summing to reference.rows ({rows})")
    return None


def _master_scale_problem(artifact: dict[str, Any]) -> str | None:
    try:
        scale = master_scale(artifact)
    except ArtifactError as exc:
        return str(exc)
    if scale is None:
        return None
    card, mine = artifact["scaling"], scale.scaling
    if (float(card["base_score"]), float(card["base_odds"]), float(card["pdo"])) != (
            mine.base_score, mine.base_odds, mine.pdo):
        return ("master_scale.scaling: differs from the card's scaling, so grades would not "
                "match the scores")
    return None


def _contract_problem(artifact: dict[str, Any]) -> str | None:
    try:
        columns = input_contract(artifact)
    except ArtifactError as exc:
        return str(exc)
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        return "input_contract: column names must be unique"
    needed = [c for f in artifact["features"] for c in feature_inputs(f)]
    lacking = list(dict.fromkeys(c for c in needed if c not in names))
    if lacking:
        return f"input_contract: lacks the card's feature(s) {lacking}"
    id_column = artifact["id_column"]
    if id_column is not None and id_column not in names:
        return f"id_column: {id_column!r} is not a column of the input_contract"
    return None


# ------------------------------------------------------------------ the published view
# What the API's typed card view (api.responses.Card) needs of each field: the same types,
# checked here so that a card this module accepts is always publishable.

def _opt(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda v: v is None or check(v)


def _list_of(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda v: isinstance(v, list) and all(check(x) for x in v)


def _is_str(v: object) -> bool:
    return isinstance(v, str)


def _is_float(v: object) -> bool:  # JSON numbers (ints included), never booleans
    return isinstance(v, int | float) and not isinstance(v, bool)


_VIEW_BIN: dict[str, tuple[Callable[[object], bool], bool, str]] = {
    # field: (check, required, what it must be)
    "index": (_is_int, True, "an integer"),
    "type": (_is_str, True, "a string"),
    "label": (_is_str, True, "a string"),
    "points": (_is_int, True, "an integer"),
    "count": (_opt(_is_int), False, "an integer or null"),
    "event": (_opt(_is_int), False, "an integer or null"),
    "event_rate": (_opt(_is_float), False, "a number or null"),
    "woe": (_opt(_is_float), False, "a number or null"),
    "categories": (_opt(_list_of(_is_str)), False, "a list of strings or null"),
    "codes": (_opt(_list_of(_is_float)), False, "a list of numbers or null"),
    "supported": (_opt(lambda v: isinstance(v, bool)), False, "true, false or null"),
    "fitted_points": (_opt(_is_int), False, "an integer or null"),
    "support": (_opt(_is_str), False, "a string or null"),
}
_VIEW_FEATURE: dict[str, tuple[Callable[[object], bool], bool, str]] = {
    "name": (_is_str, True, "a string"),
    "kind": (_is_str, True, "a string"),
    "reason_code": (_is_str, True, "a string"),
    "unseen_points": (_is_int, True, "an integer"),
    "max_points": (_is_int, True, "an integer"),
    "description": (_is_str, False, "a string"),
    "coefficient": (_opt(_is_float), False, "a number or null"),
    "trend": (_opt(_is_str), False, "a string or null"),
    "overridden": (_opt(lambda v: isinstance(v, bool)), False, "true, false or null"),
    "iv": (_opt(_is_float), False, "a number or null"),
    "splits": (_opt(_list_of(_is_float)), False, "a list of numbers or null"),
    "best_bin": (_opt(_is_int), False, "an integer or null"),
    "parents": (_opt(_list_of(lambda v: isinstance(v, dict))), False,
                "a list of objects or null"),
    "grid": (_opt(_list_of(_list_of(_is_int))), False, "a list of lists of integers or null"),
    "category_match": (_opt(_is_str), False, "a string or null"),
    "unseen_rule": (_opt(_is_str), False, "a string or null"),
    "derived": (_opt(lambda v: isinstance(v, dict)), False, "an object or null"),
}
_VIEW_SCALING: dict[str, tuple[Callable[[object], bool], bool, str]] = {
    "factor": (_opt(_is_float), False, "a number or null"),
    "offset": (_opt(_is_float), False, "a number or null"),
}


def _fields_problem(obj: dict[str, Any], rules: dict[str, tuple[Callable[[object], bool],
                                                                bool, str]],
                    where: str) -> str | None:
    for key, (check, required, what) in rules.items():
        if key in obj and not check(obj[key]):
            return f"{where}.{key}: must be {what}"
        if required and key not in obj:
            return f"{where}: missing field {key}"
    return None


def _view_problem(artifact: dict[str, Any]) -> str | None:
    """Why the card view cannot carry this card (``None``: it can)."""
    if not isinstance(artifact.get("model_id"), str):
        return "model_id: must be a string"
    if not isinstance(artifact["spec"], dict):
        return "spec: must be an object"
    if not (artifact["id_column"] is None or isinstance(artifact["id_column"], str)):
        return "id_column: must be a string or null"
    if not _is_float(artifact["intercept"]) or not math.isfinite(artifact["intercept"]):
        return "intercept: must be a finite number"
    problem = _fields_problem(artifact["scaling"], _VIEW_SCALING, "scaling")
    if problem:
        return problem
    for i, f in enumerate(artifact["features"]):
        problem = _fields_problem(f, _VIEW_FEATURE, f"features[{i}] ({f['name']})")
        if problem:
            return problem
        for j, b in enumerate(f["bins"]):
            problem = _fields_problem(b, _VIEW_BIN, f"features[{i}].bins[{j}] ({f['name']})")
            if problem:
                return problem
    return None


def _content_problem(artifact: dict[str, Any]) -> str | None:
    """What the engine could not score with, in a correctly sealed file: the hash proves the
    file is the one written, not that the writer (or a hand-made card) was right."""
    s = artifact["scaling"]
    if (not isinstance(s, dict) or not all(_is_number(s.get(k)) for k in
                                           ("base_score", "base_odds", "pdo"))
            or s["base_odds"] <= 0 or s["pdo"] <= 0):
        return ("scaling: base_score, base_odds and pdo must be finite numbers, base_odds "
                "and pdo positive")
    for i, f in enumerate(artifact["features"]):
        where = f"features[{i}] ({f['name']})"
        bins = f["bins"]
        if f["kind"] not in ("numeric", "categorical", "interaction"):
            return (f"{where}: kind {f['kind']!r} is neither 'numeric', 'categorical' nor "
                    "'interaction'")
        if [b["index"] for b in bins] != list(range(len(bins))):
            return f"{where}: bin indices must run 0..{len(bins) - 1} in order"
        if not all(_is_int(v) for v in [*(b["points"] for b in bins), f["unseen_points"],
                                        f["max_points"]]):
            return f"{where}: points, unseen_points and max_points must be integers"
        if f["max_points"] != max(b["points"] for b in bins):
            return f"{where}: max_points is not the largest points of its bins"
        if not _is_int(f.get("best_bin")) or bins[f["best_bin"]]["points"] != f["max_points"]:
            return f"{where}: best_bin must be the index of a bin with max_points"
        problem = (_interaction_problem(f, where) if f["kind"] == "interaction"
                   else _rule_problem(f, where) or _derived_problem(f, where))
        if problem:
            return problem
    return None


def _derived_problem(f: dict[str, Any], where: str) -> str | None:
    """What is wrong with a derived characteristic's ``derived`` (its input column is
    checked against the input contract with every other input)."""
    if "derived" not in f:
        return None
    d = f["derived"]
    if f["kind"] != "categorical" or not isinstance(d, dict) or set(d) != {"input",
                                                                          "rounding"}:
        return (f"{where}.derived: only a categorical characteristic is derived, as "
                "{\"input\": column, \"rounding\": steps}")
    steps = d["rounding"]
    if not isinstance(d["input"], str) or not isinstance(steps, list) or not steps or not all(
            _is_int(x) and x > 0 for x in steps) or any(
            a <= b for a, b in itertools.pairwise(steps)):
        return (f"{where}.derived: input must be a column name and rounding a strictly "
                "decreasing list of positive integers")
    return None


def _rule_problem(f: dict[str, Any], where: str) -> str | None:
    """What is wrong with the bin rule of a numeric or categorical characteristic (or of an
    interaction's parent): its missing bin, splits, special codes or categories."""
    bins = f["bins"]
    if sum(b.get("type") == "missing" for b in bins) != 1:
        return f"{where}: needs exactly one bin of type 'missing'"
    if f["kind"] == "numeric":
        splits = f.get("splits")
        if (not isinstance(splits, list) or not all(_is_number(x) for x in splits)
                or any(a >= b for a, b in itertools.pairwise(splits))):
            return f"{where}: splits must be a strictly increasing list of finite numbers"
        if len(bins) <= len(splits) or any(b.get("type") != "regular"
                                           for b in bins[:len(splits) + 1]):
            return (f"{where}: the first {len(splits) + 1} bins must be the regular bins "
                    "of its splits")
        for j, b in enumerate(bins):
            if b["type"] == "special" and not (isinstance(b.get("codes"), list) and all(
                    _is_number(c) for c in b["codes"])):
                return f"{where}: bins[{j}] (special) needs a list of numeric codes"
    else:
        for j, b in enumerate(bins):
            if b["type"] == "regular" and not (isinstance(b.get("categories"), list) and all(
                    isinstance(c, str) for c in b["categories"])):
                return f"{where}: bins[{j}] needs a list of category strings"
        match = f.get("category_match", "exact")
        if match not in ("exact", NORMALISED):
            return f"{where}.category_match: must be 'exact' or '{NORMALISED}'"
        if match == NORMALISED:
            owner: dict[str, int] = {}
            for j, b in enumerate(bins):
                for c in b.get("categories") or [] if b["type"] == "regular" else []:
                    if owner.setdefault(label_key(c), j) != j:
                        return (f"{where}: the labels of bins[{owner[label_key(c)]}] and "
                                f"bins[{j}] are equal ignoring case and spaces "
                                f"({c!r}), so normalised matching is ambiguous")
    return None


def _interaction_problem(f: dict[str, Any], where: str) -> str | None:
    """What is wrong with an interaction (module docstring): its two parents' rules, the
    grid's shape and integer points, and the cells that must mirror the grid."""
    parents = f.get("parents")
    if (not isinstance(parents, list) or len(parents) != 2
            or not all(isinstance(p, dict) for p in parents)):
        return f"{where}.parents: must be a list of two objects"
    shape = []
    for k, p in enumerate(parents):
        at = f"{where}.parents[{k}]"
        if not isinstance(p.get("name"), str) or p.get("kind") not in ("numeric",
                                                                       "categorical"):
            return f"{at}: needs a name and a kind 'numeric' or 'categorical'"
        pbins = p.get("bins")
        if (not isinstance(pbins, list) or not pbins
                or not all(isinstance(b, dict) and isinstance(b.get("label"), str)
                           and isinstance(b.get("type"), str) for b in pbins)):
            return f"{at}.bins: must be a non-empty list of objects with a type and a label"
        if [b.get("index") for b in pbins] != list(range(len(pbins))):
            return f"{at}.bins: indices must run 0..{len(pbins) - 1} in order"
        problem = _rule_problem(p, f"{at} ({p['name']})")
        if problem:
            return problem
        shape.append(len(pbins))
    if parents[0]["name"] == parents[1]["name"]:
        return f"{where}.parents: the two parents must be different columns"
    n_x, n_y = shape
    grid = f.get("grid")
    if (not isinstance(grid, list) or len(grid) != n_x
            or not all(isinstance(row, list) and len(row) == n_y for row in grid)):
        return (f"{where}.grid: must be {n_x} rows (the bins of {parents[0]['name']}) of "
                f"{n_y} points (the bins of {parents[1]['name']})")
    if not all(_is_int(v) for row in grid for v in row):
        return f"{where}.grid: points must be integers"
    bins = f["bins"]
    if len(bins) != n_x * n_y:
        return f"{where}.bins: must be the {n_x * n_y} cells of the grid, row by row"
    for c, b in enumerate(bins):
        r, k = divmod(c, n_y)
        if b["type"] != "cell" or b.get("row") != r or b.get("col") != k:
            return f"{where}.bins[{c}]: must be the cell of type 'cell' with row {r}, col {k}"
        if b["points"] != grid[r][k]:
            return f"{where}.bins[{c}]: points {b['points']} differ from grid[{r}][{k}]"
    return None


def load_artifact(path: str | Path) -> dict[str, Any]:
    """Read and :func:`verify` an artifact file."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"artifact: {path} does not exist") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"artifact: {path} is not valid JSON ({exc})") from exc
    return verify(raw)
