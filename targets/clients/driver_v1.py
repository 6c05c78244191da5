"""What the Python drivers share (driver protocol v1, README): read the plan,
print one JSON line per request, exit 3 for "cannot", run the steps one after
another (each after its delay) or all at once (one thread per step), the plan's
TLS settings as an ssl context, and http.client used the way its users use it."""

import http.client
import json
import ssl
import sys
import threading
import time
from urllib.parse import urlsplit

_lock = threading.Lock()


def read_plan():
    return json.load(sys.stdin)


def emit(line):
    with _lock:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


def unsupported(why):
    sys.stderr.write(why + "\n")
    sys.exit(3)


def refuse_unsupported(plan, websocket=None, discard_body=None, tls=None):
    """Exit 3 at once when the plan uses a field this driver's client cannot do (give the reason)."""
    steps = plan.get("requests", [])
    if websocket and any("websocket" in s for s in steps):
        unsupported(websocket)
    if discard_body and any(s.get("discardBody") for s in steps):
        unsupported(discard_body)
    if tls and plan.get("tls"):
        unsupported(tls)


def tls_context(plan):
    """An ssl context trusting the plan's CA file (or, if it has none, not verifying), or None."""
    tls = plan.get("tls")
    if not tls:
        return None
    if tls.get("ca"):
        return ssl.create_default_context(cafile=tls["ca"])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def reason(e):
    return f"{type(e).__name__}: {e}"


def header_map(pairs):
    """Response headers as lower-case name -> value (repeated fields joined with ", ")."""
    out = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def body_bytes(step):
    return step["body"].encode("utf-8") if "body" in step else None


def run_steps(plan, perform, per_thread=None):
    """perform(step, state) -> line. Sequential steps share one state; concurrent
    steps run in threads, each with per_thread() (or the shared state if None)."""
    state = per_thread() if per_thread else None
    if plan.get("concurrent"):
        def one(step):
            emit(perform(step, per_thread() if per_thread else state))
        threads = [threading.Thread(target=one, args=(s,)) for s in plan["requests"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return
    for step in plan["requests"]:
        if step.get("delayMs"):
            time.sleep(step["delayMs"] / 1000)
        emit(perform(step, state))


# ---- http.client, as python-http-client and python-websockets use it --------------------

IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"}
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class HTTP10Connection(http.client.HTTPConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


class HTTPS10Connection(http.client.HTTPSConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


class HttpClientSteps:
    """One HTTPConnection per origin for the whole plan (http.client keeps the socket open
    between responses and reopens it by itself after a response that closed it). When a
    request on a connection that had already served one fails before any response (the
    server had closed it while idle), the connection is closed and an idempotent request is
    sent once more on a new one, as xmlrpc.client in the standard library does; a POST is
    not resent. httpVersion "1.0": the connection class with _http_vsn 10, the long-standing
    way to make http.client speak HTTP/1.0. discardBody: the response is closed unread
    (`HTTPResponse.close()`), the http.client way to give up a body; the connection object
    then goes on as http.client decides."""

    def __init__(self, plan):
        self.http10 = plan.get("httpVersion") == "1.0"
        self.context = tls_context(plan)

    def run(self, plan, perform=None):
        """Run the plan (perform: default self.perform) with a pool of connections per
        thread, and close every connection at the end."""
        pools = []
        lock = threading.Lock()

        def new_pool():
            pool = {}
            with lock:
                pools.append(pool)
            return pool

        run_steps(plan, perform or self.perform, per_thread=new_pool)
        for pool in pools:
            for conn in pool.values():
                conn.close()

    def connection(self, url):
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        if secure:
            cls = HTTPS10Connection if self.http10 else http.client.HTTPSConnection
            return cls(url.hostname, port, context=self.context)
        cls = HTTP10Connection if self.http10 else http.client.HTTPConnection
        return cls(url.hostname, port)

    def perform(self, step, conns):
        url = urlsplit(step["url"])
        target = url.path + ("?" + url.query if url.query else "")
        key = (url.scheme, url.hostname, url.port)
        for attempt in (0, 1):
            conn = conns.get(key)
            if conn is None:
                conn = conns[key] = self.connection(url)
            reused = conn.sock is not None
            try:
                conn.request(step["method"], target, body=body_bytes(step), headers=step.get("headers", {}))
                res = conn.getresponse()
                if step.get("discardBody"):
                    res.close()
                    return {"id": step["id"], "status": res.status, "headers": header_map(res.getheaders())}
                body = res.read()
                return {"id": step["id"], "status": res.status, "body": body.decode("latin-1"),
                        "headers": header_map(res.getheaders())}
            except Exception as e:
                conn.close()
                if attempt == 0 and reused and isinstance(e, STALE) and step["method"].upper() in IDEMPOTENT:
                    continue
                return {"id": step["id"], "error": reason(e)}
