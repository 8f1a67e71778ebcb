"""A program playing "the phone" through the lab's API: each step the lab
waits for is carried out by a client driver (spec/drivers.md, run with
runner/core/driver.py against the lab's relay) and reported with its exit
status and outputs, as a driver run.  The tests play every scenario this
way; an implementer can point it at a lab elsewhere.

    api = LabAPI("https://127.0.0.2:40123", ca="cert.pem")
    rid = api.new_run("ref-client")
    state = play(api, rid, "recip-stateless", driver, workdir, ca="cert.pem")
    state["status"]                  # done, skipped or error
    api.get("/lab/api/runs/%s/verdicts" % rid)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, Optional

import requests

from ..core.driver import Party

LONG_POLL = 25.0


class LabAPI:
    def __init__(self, base_url: str, ca=None):
        self.base = base_url.rstrip("/")
        self.s = requests.Session()
        self.s.trust_env = False            # no proxies
        self.s.verify = ca if ca is not None else True

    def get(self, path: str, **params) -> dict:
        r = self.s.get(self.base + path, params=params, timeout=LONG_POLL + 5)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, obj: Optional[dict] = None) -> dict:
        r = self.s.post(self.base + path, json=obj or {}, timeout=30)
        if r.status_code >= 400:
            raise RuntimeError("%s: %d %s" % (path, r.status_code, r.text))
        return r.json()

    def new_run(self, label: str) -> str:
        return self.post("/lab/api/runs", {"label": label})["id"]

    def close(self) -> None:
        self.s.close()


def _text(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


def play(api: LabAPI, run_id: str, scenario: str, driver: str,
         workdir: Path, ca: Optional[str] = None, profile: str = "http-00",
         env: Optional[Dict[str, str]] = None, limit: float = 120.0) -> dict:
    """Start `scenario` in run `run_id` and carry out every step it asks
    of the device with `driver`; the scenario's state when it ends."""
    path = "/lab/api/runs/%s/scenarios/%s" % (run_id, scenario)
    state = api.post(path)
    parties: Dict[str, Party] = {}
    answered = 0
    deadline = time.monotonic() + limit
    while state["status"] == "running":
        if time.monotonic() > deadline:
            api.post(path + "/skip")
            raise TimeoutError("scenario %s still running after %.0f s" % (
                scenario, limit))
        p = state.get("pending")
        if p is None or p["n"] <= answered:
            state = api.get(path, after=state["version"])
            continue
        party = parties.get(p["party"])
        if party is None:
            party = parties[p["party"]] = Party(
                driver, p["role"], Path(workdir) / scenario / p["party"],
                p["relay"], ca, p["profile"] or profile, p["party"], 20.0,
                env=env)
        run = party.step(p["scenario"], p["step"],
                         data=None if p["input"] is None else
                         p["input"].encode("utf-8"), url=p["url"],
                         **p["settings"])
        api.post("%s/steps/%d" % (path, p["n"]), {
            "exit": run.exit, "out": _text(run.out),
            "stdout": _text(run.stdout), "stderr": _text(run.stderr)})
        answered = p["n"]
        state = api.get(path)
    return state
