#!/usr/bin/env python3
"""Driver protocol v1 for Python's http.client, used the way its users use it:
one HTTPConnection per origin for the whole plan (http.client keeps the socket
open between responses and reopens it by itself after a response that closed it).
When a request on a connection that had already served one fails before any
response (the server had closed it while idle), the connection is closed and an
idempotent request is sent once more on a new one, as xmlrpc.client in the
standard library does; a POST is not resent. Concurrent plans: one thread and one
connection per step. httpVersion "1.0": the connection class with _http_vsn 10,
the long-standing way to make http.client speak HTTP/1.0."""

import http.client
import os
import sys
import threading
from urllib.parse import urlsplit

sys.dont_write_bytecode = True  # no __pycache__ beside the driver
sys.path.insert(0, os.path.dirname(__file__))
from driver_v1 import body_bytes, header_map, read_plan, reason, run_steps, unsupported  # noqa: E402

IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"}
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class HTTP10Connection(http.client.HTTPConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


def perform(step, conns):
    url = urlsplit(step["url"])
    target = url.path + ("?" + url.query if url.query else "")
    key = (url.hostname, url.port or 80)
    for attempt in (0, 1):
        conn = conns.get(key)
        if conn is None:
            conn = conns[key] = connection_class(url.hostname, url.port or 80)
        reused = conn.sock is not None
        try:
            conn.request(step["method"], target, body=body_bytes(step), headers=step.get("headers", {}))
            res = conn.getresponse()
            body = res.read()
            return {"id": step["id"], "status": res.status, "body": body.decode("latin-1"),
                    "headers": header_map(res.getheaders())}
        except Exception as e:
            conn.close()
            if attempt == 0 and reused and isinstance(e, STALE) and step["method"].upper() in IDEMPOTENT:
                continue
            return {"id": step["id"], "error": reason(e)}


plan = read_plan()
if plan.get("httpVersion") not in ("1.0", "1.1"):
    unsupported(f"unknown httpVersion {plan.get('httpVersion')}")
connection_class = HTTP10Connection if plan["httpVersion"] == "1.0" else http.client.HTTPConnection
pools = []
lock = threading.Lock()


def new_pool():
    pool = {}
    with lock:
        pools.append(pool)
    return pool


run_steps(plan, perform, per_thread=new_pool)
for pool in pools:
    for conn in pool.values():
        conn.close()
