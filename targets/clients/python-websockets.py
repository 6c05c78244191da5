#!/usr/bin/env python3
"""Driver protocol v1 for the Python `websockets` library (asyncio client, 10.x API):
WebSocket steps with websockets.connect(url), its defaults otherwise, except that its
own keepalive pings are off (ping_interval=None: the harness judges the pings it sends)
and close_timeout is 2 s. Pings from the server are answered by websockets itself. A
step: open, send `text` then `ping` if given, take messages for `waitMs` (or until the
server closes), then close with 1000 (websockets waits for the server's close frame
and then for the server to close TCP, as RFC 6455 §7.1.1 has the client do). `pong`
is reported when the pong that answers the step's ping came (websockets matches pongs
to pings by payload). wss: the plan's CA file. Plain HTTP steps: http.client, as in the
python-http-client driver (driver_v1.HttpClientSteps). httpVersion "1.0": exit 3 (a
WebSocket handshake is HTTP/1.1)."""

import asyncio
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the driver
sys.path.insert(0, os.path.dirname(__file__))
from driver_v1 import HttpClientSteps, read_plan, reason, tls_context, unsupported  # noqa: E402

plan = read_plan()
if plan.get("httpVersion") != "1.1":
    unsupported("a WebSocket client speaks HTTP/1.1 only (websockets sends its handshake as HTTP/1.1)")

import websockets  # noqa: E402
import websockets.client  # noqa: E402

CLOSE_TIMEOUT_S = 2
context = tls_context(plan)
http_steps = HttpClientSteps(plan)


async def websocket_step(step):
    w = step["websocket"]
    try:
        ws = await websockets.client.connect(
            step["url"],
            ssl=context if step["url"].startswith("wss:") else None,
            extra_headers=step.get("headers") or None,
            ping_interval=None,
            close_timeout=CLOSE_TIMEOUT_S,
            open_timeout=10,
        )
    except Exception as e:
        return {"id": step["id"], "error": reason(e)}
    messages = []
    try:
        if "text" in w:
            await ws.send(w["text"])
        pinged = await ws.ping(w["ping"].encode()) if "ping" in w else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + w.get("waitMs", 0) / 1000
        while True:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                message = await asyncio.wait_for(ws.recv(), left)
            except (asyncio.TimeoutError, websockets.ConnectionClosed):
                break
            if isinstance(message, str):
                messages.append(message)
        if w.get("close", True):
            await ws.close(code=1000)
    except Exception as e:
        return {"id": step["id"], "error": reason(e)}
    line = {"id": step["id"], "status": 101, "messages": messages}
    if pinged is not None and pinged.done() and not pinged.cancelled() and pinged.exception() is None:
        line["pong"] = w["ping"]
    if ws.close_code is not None and ws.close_code not in (1005, 1006):
        line["closeCode"] = ws.close_code
    return line


def perform(step, conns):
    if "websocket" in step:
        return asyncio.run(websocket_step(step))
    return http_steps.perform(step, conns)


http_steps.run(plan, perform)
