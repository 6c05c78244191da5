#!/usr/bin/env python3
"""Driver protocol v1 for python-requests: one requests.Session for the whole plan
(its urllib3 pool keeps connections alive; defaults otherwise: no retries, redirects
followed). Concurrent plans share the Session across threads, as threaded users
do. requests has no way to speak HTTP/1.0: a "1.0" plan exits 3. trust_env is off
so that a proxy from the environment does not stand between it and the loopback
harness. TLS: `verify` is the plan's CA file. discardBody: `stream=True`, then the
response closed unread (`Response.close()`), the requests way to give up a body.
requests has no WebSocket: a WebSocket step exits 3."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the driver
sys.path.insert(0, os.path.dirname(__file__))
from driver_v1 import (  # noqa: E402
    body_bytes,
    header_map,
    read_plan,
    reason,
    refuse_unsupported,
    run_steps,
    unsupported,
)

plan = read_plan()
if plan.get("httpVersion") != "1.1":
    unsupported("requests cannot speak HTTP/1.0 (urllib3 always sends HTTP/1.1)")
refuse_unsupported(plan, websocket="requests has no WebSocket client")
tls = plan.get("tls") or {}
verify = tls["ca"] if tls.get("ca") else not tls.get("insecure", False)

import requests  # noqa: E402

session = requests.Session()
session.trust_env = False


def perform(step, _state):
    try:
        discard = bool(step.get("discardBody"))
        res = session.request(step["method"], step["url"], data=body_bytes(step), headers=step.get("headers"),
                              verify=verify, stream=discard)
        if discard:
            res.close()
            return {"id": step["id"], "status": res.status_code, "headers": header_map(res.headers.items())}
        return {"id": step["id"], "status": res.status_code, "body": res.content.decode("latin-1"),
                "headers": header_map(res.headers.items())}
    except Exception as e:
        return {"id": step["id"], "error": reason(e)}


run_steps(plan, perform)
session.close()
