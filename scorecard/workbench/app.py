"""The workbench's Litestar app: server-rendered pages and plain HTML forms.

Every page is rendered here with Jinja2 from ``templates/`` (extending the validation
report's ``base.html.j2`` and its stylesheet); the only script is ``static/workbench.js``
(polling the rebuild); every asset is served by the app itself, so the pages work offline
and no request leaves the machine. Forms post back and are redirected (303), so the
browser's back button and keyboard work as on any page. Each form carries the session's
token: another site open in the same browser cannot post edits to the workbench.
"""

from __future__ import annotations

import html
import math
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, get, post
from litestar.response import Redirect, Response

import validation
from scorecard.fit.overrides import FREE_TREND, TRENDS
from scorecard.workbench.session import (
    Session,
    WorkbenchError,
    card_summary,
    grade_migration,
)

HERE = Path(__file__).resolve().parent
STATIC = {"workbench.css": "text/css", "workbench.js": "text/javascript"}
_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'")


# How a trend setting reads to a reviewer (the spec's values are optbinning's names).
TREND_LABELS = {
    "ascending": "ascending (higher value, riskier)",
    "descending": "descending (higher value, safer)",
    "peak": "peak (riskiest in the middle)",
    "valley": "valley (safest in the middle)",
    "auto_asc_desc": "ascending or descending, detected by the binning",
    "auto": "detected by the binning (may peak or dip)",
    FREE_TREND: "none: no monotone constraint, the rate may rise and fall",
}


def trend_label(value: str | None) -> str:
    """The reviewer's words for a trend setting (``None``/empty: a spec's null, no
    constraint, as an override's ``"none"``)."""
    return TREND_LABELS.get(value or FREE_TREND, value or FREE_TREND)


def _ticks(top: float) -> list[float]:
    """Round tick values from 0 to at least ``top`` (a fraction), at most six of them."""
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5):
        if top / step <= 5:
            break
    n = max(1, math.ceil(top / step - 1e-9))
    return [round(k * step, 6) for k in range(n + 1)]


def chart_svg(table: Any, width: int = 560, height: int = 220) -> str:
    """Share bars and the event-rate line (with its interval) of a binning table; special
    and missing bins are drawn after a gap, apart from the ordered regular bins. Both
    value axes carry ticks (share of rows left, default rate right), from zero."""
    rows = table.to_dict("records")
    n = len(rows)
    gap = 18
    left, right, top, bottom = 48, 52, 22, 40
    plot_w = width - left - right - gap
    slot = plot_w / max(n, 1)
    share_ticks = _ticks(max([r["count_share"] for r in rows] + [1e-9]))
    rate_ticks = _ticks(max([r["rate_high"] for r in rows if not math.isnan(r["rate_high"])]
                            + [1e-9]))
    max_share, max_rate = share_ticks[-1], rate_ticks[-1]
    h = height - top - bottom
    base = top + h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="share of rows per bin '
             'and default rate">']
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" '
                 'stroke="#999"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#1f4e79"/>')
    parts.append(f'<line x1="{width - right}" y1="{top}" x2="{width - right}" y2="{base}" '
                 'stroke="#c00000"/>')
    for v in share_ticks:
        y = base - h * v / max_share
        parts.append(f'<line class="tick" x1="{left - 4}" y1="{y:.1f}" x2="{left}" '
                     f'y2="{y:.1f}" stroke="#1f4e79"/><text x="{left - 6}" y="{y + 3:.1f}" '
                     f'font-size="10" text-anchor="end" fill="#1f4e79">{v:.0%}</text>')
    for v in rate_ticks:
        y = base - h * v / max_rate
        label = f"{v:.0%}" if round(v * 100, 6).is_integer() else f"{v:.1%}"
        parts.append(f'<line class="tick" x1="{width - right}" y1="{y:.1f}" '
                     f'x2="{width - right + 4}" y2="{y:.1f}" stroke="#c00000"/>'
                     f'<text x="{width - right + 6}" y="{y + 3:.1f}" font-size="10" '
                     f'fill="#c00000">{label}</text>')
    points = []
    for i, r in enumerate(rows):
        x0 = left + i * slot + (gap if r["type"] != "regular" else 0)
        bh = h * r["count_share"] / max_share
        fill = "#9fb8d3" if r["type"] == "regular" else "#c9c9c9"
        parts.append(f'<rect x="{x0 + 3:.1f}" y="{base - bh:.1f}" width="{slot - 6:.1f}" '
                     f'height="{bh:.1f}" fill="{fill}"><title>{html.escape(str(r["label"]))}: '
                     f'{r["count_share"]:.1%} of rows</title></rect>')
        cx = x0 + slot / 2
        if r["count"] > 0:
            y = base - h * r["event_rate"] / max_rate
            ylo = base - h * r["rate_low"] / max_rate
            yhi = base - h * r["rate_high"] / max_rate
            parts.append(f'<line x1="{cx:.1f}" y1="{ylo:.1f}" x2="{cx:.1f}" y2="{yhi:.1f}" '
                         'stroke="#c00000" stroke-width="1"/>')
            parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="3" fill="#c00000"/>')
            if r["type"] == "regular":
                points.append(f"{cx:.1f},{y:.1f}")
        parts.append(f'<line class="tick" x1="{cx:.1f}" y1="{base}" x2="{cx:.1f}" '
                     f'y2="{base + 4}" stroke="#999"/>')
        parts.append(f'<text x="{cx:.1f}" y="{base + 14}" font-size="10" '
                     f'text-anchor="middle">{i}</text>')
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#c00000" '
                     'stroke-width="1.5"/>')
    parts.append(f'<text x="4" y="{top - 9}" font-size="10" fill="#1f4e79">share of rows</text>')
    parts.append(f'<text x="{width - 4}" y="{top - 9}" font-size="10" fill="#c00000" '
                 'text-anchor="end">default rate</text>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="10" fill="#5b6475">bin; bars: '
                 'share of rows; red: default rate with 95 % Wilson interval; grey: special '
                 'and missing</text>')
    parts.append("</svg>")
    return "".join(parts)


def create_app(session: Session) -> Litestar:
    env = Environment(loader=ChoiceLoader([
        FileSystemLoader(HERE / "templates"),
        FileSystemLoader(Path(validation.__file__).resolve().parent / "templates")]),
        autoescape=select_autoescape(["html", "j2"]))
    env.filters["pct"] = lambda v, d=1: "" if v is None or v != v else f"{v:.{d}%}"
    env.filters["num"] = lambda v, d=3: "" if v is None or v != v else f"{v:.{d}f}"
    env.filters["q"] = lambda v: quote(str(v), safe="")
    env.filters["trend"] = trend_label
    token = secrets.token_urlsafe(24)
    state: dict[str, Any] = {"message": ""}

    def page(template: str, status: int = 200, **ctx: Any) -> Response:
        message, state["message"] = state["message"], ""
        body = env.get_template(template).render(token=token, message=message, session=session,
                                             **ctx)
        return Response(body, status_code=status, media_type="text/html",
                        headers={"Content-Security-Policy": _CSP,
                                 "X-Content-Type-Options": "nosniff"})

    async def form(request: Request) -> dict[str, str]:
        data = {k: str(v) for k, v in (await request.form()).items()}
        if not secrets.compare_digest(data.get("token", ""), token):
            raise WorkbenchError("the form is from another session: reload the page")
        if data.get("who", "").strip():
            session.reviewer = data["who"].strip()[:80]
        return data

    def back(url: str, message: str = "") -> Redirect:
        state["message"] = message
        return Redirect(url, status_code=303)

    def headline() -> dict[str, Any] | None:
        done = session.done_builds()
        return card_summary(done[-1].out) | {"name": done[-1].name} if done else None

    @get("/", sync_to_thread=False)
    def overview() -> Response:
        return page("overview.html.j2", rows=session.overview(), card=headline(),
                    pairs=session.pair_rows())

    @get("/pair/{key:str}", sync_to_thread=False)
    def pair(key: str, colour: str = "points") -> Response:
        return pair_page(key, colour=colour)

    def pair_page(key: str, status: int = 200, error: str = "",
                  colour: str = "points") -> Response:
        row = next((r for r in session.pair_rows() if r["key"] == key), None)
        if row is None:
            return page("error.html.j2", 404, error=f"{key!r} is no pair of the last fitted "
                        "card and has no override")
        return page("pair.html.j2", status, key=key, row=row,
                    grid=session.pair_grid(key, colour), error=error,
                    edits=[e for e in session.history if e.feature == key])

    @post("/pair/{key:str}/edit")
    async def pair_edit(key: str, request: Request) -> Response | Redirect:
        try:
            data = await form(request)
            action, reason = data.get("action", ""), data.get("reason", "")
            with session.lock:
                if action == "drop":
                    session.drop_pair(key, reason)
                elif action == "merge":
                    session.merge_pair(key, data.get("axis", ""), _int(data, "group"),
                                       reason)
                elif action == "restore":
                    session.restore_pair(key, reason)
                else:
                    raise WorkbenchError(f"unknown action {action!r}")
        except WorkbenchError as exc:
            if not any(r["key"] == key for r in session.pair_rows()):
                return page("error.html.j2", 400, error=str(exc))
            return pair_page(key, 400, str(exc))
        return back(f"/pair/{quote(key, safe='')}")

    @get("/feature/{name:str}", sync_to_thread=False)
    def feature(name: str) -> Response:
        if name not in session.features:
            return page("error.html.j2", 404, error=f"unknown characteristic {name!r}")
        return feature_page(name)

    def feature_page(name: str, status: int = 200, error: str = "") -> Response:
        b = session.state[name]
        fd = session.features[name]
        ctx: dict[str, Any] = {"name": name, "fd": fd, "b": b, "error": error,
                               "trends": TRENDS, "flags": session.flags(name),
                               "override": session.overrides.get(name),
                               "edits": [e for e in session.history if e.feature == name]}
        if b.exclude is None:
            t = session.table(name)
            card = headline()
            pts = dict(card["points"].get(name, [])) if card else {}
            t["points"] = [pts.get(lbl) for lbl in t["label"]]
            csi, csi_total = session.csi(name)
            n_regular = int((t["type"] == "regular").sum())
            ctx.update(table=t.to_dict("records"), iv=float(t["iv"].sum()),
                       chart=chart_svg(t), csi=csi.to_dict("records"), csi_total=csi_total,
                       n_regular=n_regular,
                       suggestions={i: session.suggestions(name, i) for i in range(n_regular)}
                       if fd.kind == "numeric" else {})
        return page("feature.html.j2", status, **ctx)

    @post("/feature/{name:str}/edit")
    async def edit(name: str, request: Request) -> Response | Redirect:
        if name not in session.features:
            return page("error.html.j2", 404, error=f"unknown characteristic {name!r}")
        try:
            data = await form(request)
            action, reason = data.get("action", ""), data.get("reason", "")
            with session.lock:
                if action == "merge":
                    session.merge(name, _int(data, "bin"), reason)
                elif action == "split":
                    session.split(name, _float(data, "value"), reason)
                elif action == "regroup":
                    session.regroup(name, data.get("category", ""), _int(data, "group"),
                                    reason)
                elif action == "trend":
                    session.set_trend(name, data.get("trend") or None, reason)
                elif action == "exclude":
                    session.exclude(name, reason)
                elif action == "include":
                    session.include(name, reason)
                elif action == "reset":
                    session.reset(name, reason)
                else:
                    raise WorkbenchError(f"unknown action {action!r}")
        except WorkbenchError as exc:
            return feature_page(name, 400, str(exc))
        return back(f"/feature/{quote(name, safe='')}")

    @post("/history/{which:str}")
    async def history(which: str, request: Request) -> Response | Redirect:
        try:
            data = await form(request)
        except WorkbenchError as exc:
            return page("error.html.j2", 400, error=str(exc))
        with session.lock:
            edit = session.undo() if which == "undo" else session.redo() \
                if which == "redo" else None
        target = data.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        what = f"{which}: {edit.feature} {edit.action} {edit.detail}" if edit else \
            f"nothing to {which}"
        return back(target, what)

    @post("/save")
    async def save(request: Request) -> Response | Redirect:
        try:
            await form(request)
            path = session.save()
        except WorkbenchError as exc:
            return page("error.html.j2", 400, error=str(exc))
        return back("/", f"saved {len(session.overrides) + len(session.pairs)} override(s) "
                    f"to {path}")

    @post("/rebuild")
    async def rebuild(request: Request) -> Response | Redirect:
        try:
            await form(request)
            session.rebuild()
        except WorkbenchError as exc:
            return page("error.html.j2", 400, error=str(exc))
        return back("/rebuild")

    @get("/rebuild", sync_to_thread=False)
    def rebuild_page() -> Response:
        return page("rebuild.html.j2", builds=session.builds)

    @get("/rebuild/status", sync_to_thread=False)
    def status() -> dict[str, Any]:
        return {"builds": [{"name": b.name, "status": b.status, "error": b.error,
                            "progress": b.progress.lines[-12:]} for b in session.builds]}

    @get("/compare", sync_to_thread=False)
    def compare() -> Response:
        done = session.done_builds()
        if len(done) < 2:
            return page("error.html.j2", 409, error="two finished builds are needed: "
                        "rebuild the card first (the baseline runs at start-up)")
        before, after = done[-2], done[-1]
        b, a = card_summary(before.out), card_summary(after.out)
        names = sorted(set(b["iv"]) | set(a["iv"]),
                       key=lambda n: (-max(b["iv"].get(n, 0), a["iv"].get(n, 0)), n))
        migration = grade_migration(before.out, after.out, session.to_predict)
        changed = int(migration.to_numpy().sum() - migration.to_numpy().diagonal().sum())
        return page("compare.html.j2", before=b, after=a, bname=before.name,
                    aname=after.name, names=names, migration=migration, changed=changed,
                    total=int(migration.to_numpy().sum()))

    @get("/static/{file:str}", sync_to_thread=False)
    def static(file: str) -> Response:
        if file not in STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response((HERE / "static" / file).read_bytes(), media_type=STATIC[file],
                        headers={"X-Content-Type-Options": "nosniff"})

    return Litestar([overview, pair, pair_edit, feature, edit, history, save, rebuild,
                     rebuild_page, status, compare, static], debug=False)


def _int(data: dict[str, str], key: str) -> int:
    try:
        return int(data.get(key, ""))
    except ValueError:
        raise WorkbenchError(f"field {key!r} must be a whole number, "
                             f"got {data.get(key, '')!r}") from None


def _float(data: dict[str, str], key: str) -> float:
    try:
        return float(data.get(key, "").strip())
    except ValueError:
        raise WorkbenchError(f"field {key!r} must be a number, "
                             f"got {data.get(key, '')!r}") from None
