"""The lab's HTTP API under /lab/api/ (JSON), which the page's forms use
too (pages.py); documented in conformance/README.md, "The lab".

    GET  /lab/api/                                      the lab, its scenarios, runs
    POST /lab/api/runs                {"label"}         a new run (201)
    GET  /lab/api/runs/R[?after=V]                      a run: scenarios, pending step, verdicts
    POST /lab/api/runs/R/scenarios/S                    start scenario S (201)
    GET  /lab/api/runs/R/scenarios/S[?after=V]          its steps, the pending one, what the relay saw
    POST /lab/api/runs/R/scenarios/S/steps/N  {answer}  report step N
    POST /lab/api/runs/R/scenarios/S/skip               skip S (UNSUPPORTED)
    GET  /lab/api/runs/R/verdicts                       the report as JSON (conformance.json)

`after=V` waits (up to 20 s) until the lab's version differs from V.  An
answer is either a program's, like a driver run: {"exit": N, "out",
"stdout", "stderr", "as_asked"}, or a person's: {"outcome": one of
scenarios.OUTCOMES, "url" (share), "note", "as_asked"}; {"url": ...}
alone reports a share.  Errors are 4xx with {"error", "message"}.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Optional, Tuple

from ..core.records import claim_of, describe_record, header, op_of
from ..client.secretscan import find_secret
from ..client.testrelay import is_peer
from .scenarios import GROUPS, OUTCOMES, SCENARIOS
from .state import Lab, LabRun, LabSession

MAX_LABEL = 80
MAX_URL = 2048
MAX_NOTE = 2000
MAX_OUTPUT = 65536
LONG_POLL = 20.0
SEEN = 40            # records shown per session


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# -- shapes ---------------------------------------------------------------------------

def lab_json(lab: Lab) -> dict:
    r = lab.relay
    return {"lab": {"relay": r.public_url, "draft": lab.draft,
                    "warnings": r.warnings, "version": lab.version,
                    "ca": r.public_url + "/lab/ca.pem" if r.generated
                    else None},
            "groups": [{"name": g, "title": t} for g, t in GROUPS.items()],
            "scenarios": [s._asdict() for s in SCENARIOS.values()],
            "runs": [{"id": x.id, "label": x.label}
                     for x in list(lab.runs.values())]}


def _verdicts(run: LabRun, session: Optional[str] = None) -> list:
    return [{"id": c.id, "verdict": c.verdict, "title": c.title,
             "line": c.line, "failed_requirements": c.failed_requirements}
            for c in run.results
            if session is None or session in _sessions_of(c.id)]


def _sessions_of(case_id: str) -> tuple:
    from ..client.registry import CLIENT_REGISTRY
    return CLIENT_REGISTRY[case_id].sessions


def status_of(run: LabRun, name: str) -> str:
    s = run.sessions.get(name)
    return "not run" if s is None else s.status


def run_json(run: LabRun) -> dict:
    lab = run.lab
    active = run.active
    from . import report
    return {"id": run.id, "label": run.label, "version": lab.version,
            "draft": run.profile or "auto",
            "judged_draft": run.judged_profile(),
            "relay": lab.relay.public_url,
            "active": active.name if active else None,
            "pending": dict(active.pending, scenario_name=active.name)
            if active and active.pending else None,
            "scenarios": {n: {"status": status_of(run, n),
                              "unsupported": getattr(run.sessions.get(n),
                                                     "unsupported", None)}
                          for n in SCENARIOS},
            "summary_line": report.summary_line(run),
            "verdicts": _verdicts(run),
            "reports": {k: "/lab/runs/%s/report.%s" % (run.id, k)
                        for k in ("html", "json", "xml", "md")}}


def seen(s: LabSession) -> list:
    """What the relay saw in the session, newest last, with what the lab
    notices about each request (not verdicts: those come at the end)."""
    out = []
    for r in s.relay.records()[-SEEN:]:
        notes = []
        if is_peer(r):
            notes.append("the lab itself")
        else:
            c = claim_of(r)
            notes.append("claim %s" % c[:13] if c else "no claim")
            rid = header(r, "Mailbox-Request-ID")
            notes.append("Request-ID %s" % rid[:13] if rid else
                         "no Request-ID")
            if any(find_secret(r, x) for x in s.secrets.values()):
                notes.append("THE SECRET WAS SENT")
        if r.get("fault"):
            notes.append("injected: %s" % r["fault"].split(" (")[0])
        out.append({"seq": r["seq"], "time": r["time"], "op": op_of(r),
                    "line": describe_record(r), "client": r.get("client"),
                    "peer": is_peer(r), "notes": notes})
    return out


def session_json(run: LabRun, name: str) -> dict:
    s = run.sessions.get(name)
    if s is None:
        return {"name": name, "status": "not run", "steps": [],
                "pending": None, "seen": [], "verdicts": []}
    return {"name": name, "status": s.status, "version": run.lab.version,
            "steps": s.steps, "pending": s.pending, "seen": seen(s),
            "unsupported": s.unsupported, "error": s.error,
            "notes": s.notes, "verdicts": _verdicts(run, name)}


# -- answers ------------------------------------------------------------------------------

def _string(body: dict, key: str, limit: int) -> Optional[str]:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ApiError(400, "field_type", "%s must be a string" % key)
    if len(v) > limit:
        raise ApiError(413, "too_large", "%s over %d characters" % (key,
                                                                  limit))
    return v


def check_answer(body: dict, step: str) -> dict:
    """A step's answer, checked (see the module's docstring)."""
    if not isinstance(body, dict):
        raise ApiError(400, "body", "give a JSON object")
    if "as_asked" in body and not isinstance(body["as_asked"], bool):
        raise ApiError(400, "field_type", "as_asked must be true or false")
    out = {"as_asked": body["as_asked"]} if "as_asked" in body else {}
    if "exit" in body:
        e = body["exit"]
        if type(e) is not int or not 0 <= e <= 255:
            raise ApiError(400, "field_value", "exit must be 0-255")
        out["exit"] = e
        for k in ("out", "stdout", "stderr"):
            out[k] = _string(body, k, MAX_OUTPUT)
        return out
    outcome = body.get("outcome") or ("ok" if "url" in body else None)
    if outcome not in OUTCOMES:
        raise ApiError(400, "field_value", "give exit (0-255) or outcome "
                       "(%s)" % ", ".join(OUTCOMES))
    out["outcome"] = outcome
    out["note"] = _string(body, "note", MAX_NOTE)
    url = _string(body, "url", MAX_URL)
    if step == "share" and outcome == "ok":
        if not url or not url.strip():
            raise ApiError(400, "field_missing", "paste the share URL the "
                           "device made (url)")
        out["url"] = url.strip()
    return out


# -- routing ---------------------------------------------------------------------------------

def _run(lab: Lab, rid: str) -> LabRun:
    run = lab.runs.get(rid)
    if run is None:
        raise ApiError(404, "not_found", "no run %s" % rid)
    return run


def _scenario(name: str) -> str:
    if name not in SCENARIOS:
        raise ApiError(404, "not_found", "no scenario %s (known: %s)" % (
            name, ", ".join(SCENARIOS)))
    return name


def new_run(lab: Lab, label) -> LabRun:
    if not isinstance(label, str) or not label.strip():
        label = lab.label
    label = " ".join(str(label or "").split())
    if not label:
        raise ApiError(400, "field_missing", "give the implementation's "
                       "name (label)")
    if len(label) > MAX_LABEL:
        raise ApiError(413, "too_large", "label over %d characters" %
                       MAX_LABEL)
    try:
        return lab.new_run(label)
    except RuntimeError as e:
        raise ApiError(409, "full", str(e))


def start(run: LabRun, name: str) -> LabSession:
    try:
        return run.start(_scenario(name))
    except RuntimeError as e:
        raise ApiError(409, "busy", str(e))


def answer(run: LabRun, name: str, n: int, body: dict) -> None:
    s = run.sessions.get(_scenario(name))
    if s is None or s.pending is None:
        raise ApiError(409, "no_step", "no step of %s is waiting" % name)
    why = s.answer_step(n, check_answer(body, s.pending["step"]))
    if why:
        raise ApiError(409, "no_step", why)


def skip(run: LabRun, name: str) -> None:
    run.skip(_scenario(name))


def _wait(lab: Lab, query: dict) -> None:
    after = query.get("after")
    if after is not None:
        try:
            v = int(after)
        except ValueError:
            raise ApiError(400, "field_value", "after must be a number")
        lab.wait_change(v, LONG_POLL)


def route(lab: Lab, method: str, parts: list, query: dict,
          body: bytes) -> Tuple[int, object]:
    """parts: the path after /lab/api/, split at '/'."""
    def js():
        try:
            return json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "json_syntax", "the body is not JSON")
    if parts == [""] or parts == []:
        if method == "GET":
            return 200, lab_json(lab)
    elif parts == ["runs"] and method == "POST":
        b = js()
        return 201, run_json(new_run(lab, b.get("label") if
                                     isinstance(b, dict) else None))
    elif len(parts) >= 2 and parts[0] == "runs":
        run = _run(lab, parts[1])
        rest = parts[2:]
        if rest == [] and method == "GET":
            _wait(lab, query)
            return 200, run_json(run)
        if rest == ["verdicts"] and method == "GET":
            from . import report
            return 200, report.to_json(run)
        if len(rest) >= 2 and rest[0] == "scenarios":
            name = _scenario(rest[1])
            if len(rest) == 2 and method == "POST":
                start(run, name)
                return 201, session_json(run, name)
            if len(rest) == 2 and method == "GET":
                _wait(lab, query)
                return 200, session_json(run, name)
            if rest[2:] == ["skip"] and method == "POST":
                skip(run, name)
                return 200, session_json(run, name)
            if len(rest) == 4 and rest[2] == "steps" and method == "POST":
                if not rest[3].isdigit():
                    raise ApiError(404, "not_found", "no step %r" % rest[3])
                answer(run, name, int(rest[3]), js())
                return 200, {"accepted": True, "version": lab.version}
    raise ApiError(404, "not_found", "no such resource: %s %s" % (
        method, "/lab/api/" + "/".join(parts)))


def handle(lab: Lab, method: str, path: str, query: str,
           body: bytes) -> Tuple[int, bytes]:
    """(status, JSON body) for a request under /lab/api/."""
    q = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    parts = path[len("/lab/api/"):].split("/") if path.startswith(
        "/lab/api/") else []
    try:
        if method == "GET":     # a consistent view: runs change under cond
            with lab.cond:      # (waiting for a change releases it)
                status, obj = route(lab, method, parts, q, body)
        else:
            status, obj = route(lab, method, parts, q, body)
    except ApiError as e:
        status, obj = e.status, {"error": e.code, "message": e.message}
    return status, json.dumps(obj, default=_plain).encode("utf-8")


def _plain(o):
    if isinstance(o, (set, tuple)):
        return list(o)
    if isinstance(o, bytes):
        return o.decode("utf-8", "replace")
    return str(o)
