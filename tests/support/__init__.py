"""What the tests share, by kind (no test imports another test module):

* :mod:`.paths` — the repository and the real data beside it (skipped when absent);
* :mod:`.builders` — random rows, demo and hand-computed cards, the report's inputs;
* :mod:`.strategies` — hypothesis strategies over applicants;
* :mod:`.browser` — headless Chromium; :mod:`.servers` — free ports and uvicorn;
* :mod:`.postgres` — a real PostgreSQL on loopback; :mod:`.image` — the serving image (podman).
"""
