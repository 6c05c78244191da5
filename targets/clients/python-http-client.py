#!/usr/bin/env python3
"""Driver protocol v1 for Python's http.client, used the way its users use it:
one HTTPConnection (HTTPSConnection for https:, trusting the plan's CA) per origin
for the whole plan; the details are in driver_v1.HttpClientSteps (an idempotent
request resent once after a stale connection, as xmlrpc.client does; HTTP/1.0 via
_http_vsn; discardBody by closing the response unread). Concurrent plans: one thread
and one connection per step. http.client has no WebSocket: a WebSocket step exits 3."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the driver
sys.path.insert(0, os.path.dirname(__file__))
from driver_v1 import HttpClientSteps, read_plan, refuse_unsupported, unsupported  # noqa: E402

plan = read_plan()
if plan.get("httpVersion") not in ("1.0", "1.1"):
    unsupported(f"unknown httpVersion {plan.get('httpVersion')}")
refuse_unsupported(plan, websocket="http.client has no WebSocket client (the python-websockets driver has one)")
HttpClientSteps(plan).run(plan)
