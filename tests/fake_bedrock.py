"""A loopback fake of the Bedrock Converse API, for driving the real boto3 client offline.

A stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) answers `POST /model/{modelId}/converse` from a
script of Converse responses and records every request (path, headers, JSON body). It checks the
conversation rules Bedrock enforces (roles alternate and start with the user; every toolUse is
answered by a toolResult in the next message) and answers 400 ValidationException when they are
broken, so a malformed history fails a test instead of passing silently.

    with FakeBedrock([tool_use("estimate_status", {"product": "Checkout"}), text("Done.")]) as fake:
        ChatBedrockConverse(model=..., region_name="us-east-1", endpoint_url=fake.url, ...)

A script entry is a full Converse response dict (see `text` and `tool_use`); a callable script
`script(body, index) -> response` can answer forever (e.g. a model that always asks for tools).
Dummy AWS credentials are required by botocore's signer (AWS_ACCESS_KEY_ID=test ...).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote

Response = dict[str, Any]
Script = Sequence[Response] | Callable[[dict[str, Any], int], Response]

_ids = itertools.count(1)


def usage(input_tokens: int = 100, output_tokens: int = 20, *, cache_read: int = 0,
          cache_write: int = 0) -> dict[str, int]:
    """A Converse `usage` block."""
    u = {"inputTokens": input_tokens, "outputTokens": output_tokens,
         "totalTokens": input_tokens + output_tokens + cache_read + cache_write}
    if cache_read:
        u["cacheReadInputTokens"] = cache_read
    if cache_write:
        u["cacheWriteInputTokens"] = cache_write
    return u


def text(message: str, *, use: dict[str, int] | None = None) -> Response:
    """A final text answer (stopReason end_turn)."""
    return {"output": {"message": {"role": "assistant", "content": [{"text": message}]}},
            "stopReason": "end_turn", "usage": use or usage(), "metrics": {"latencyMs": 5}}


def tool_use(name: str, args: dict[str, Any], *, tool_id: str | None = None, say: str | None = None,
             use: dict[str, int] | None = None, more: Sequence[tuple[str, dict[str, Any]]] = ()) -> Response:
    """A toolUse response (stopReason tool_use); `more` adds further parallel tool calls."""
    content: list[dict[str, Any]] = [{"text": say}] if say else []
    for n, a in [(name, args), *more]:
        content.append({"toolUse": {"toolUseId": tool_id if tool_id and n == name else f"tooluse_{next(_ids)}",
                                    "name": n, "input": a}})
    return {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "tool_use", "usage": use or usage(), "metrics": {"latencyMs": 5}}


@dataclass
class Recorded:
    path: str
    model_id: str
    headers: dict[str, str]
    body: dict[str, Any]

    # Convenience views of the request body.
    @property
    def tool_names(self) -> list[str]:
        return [t["toolSpec"]["name"] for t in self.body.get("toolConfig", {}).get("tools", []) if "toolSpec" in t]

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        return [b["toolResult"] for m in self.body.get("messages", []) for b in m.get("content", [])
                if "toolResult" in b]

    @property
    def user_texts(self) -> list[str]:
        return [b["text"] for m in self.body.get("messages", []) if m["role"] == "user"
                for b in m.get("content", []) if "text" in b]


def check_conversation(body: dict[str, Any]) -> str | None:
    """The Converse rules a real endpoint enforces on `messages`; None when the body is valid."""
    messages = body.get("messages") or []
    if not messages:
        return "messages must not be empty"
    if messages[0].get("role") != "user":
        return "A conversation must start with a user message."
    pending: set[str] = set()
    for i, m in enumerate(messages):
        if i and m.get("role") == messages[i - 1].get("role"):
            return "A conversation must alternate between user and assistant roles."
        blocks = m.get("content") or []
        if not blocks:
            return f"messages.{i}.content must not be empty"
        results = {b["toolResult"]["toolUseId"] for b in blocks if "toolResult" in b}
        if pending and results != pending:
            return (f"The number of toolResult blocks at messages.{i}.content exceeds or is less than the "
                    "number of toolUse blocks of previous turn.")
        if results and not pending:
            return f"messages.{i} has toolResult blocks without a preceding toolUse"
        pending = {b["toolUse"]["toolUseId"] for b in blocks if "toolUse" in b}
        if pending and "toolConfig" not in body:
            return "toolConfig field must be defined when using toolUse and toolResult content blocks."
    if pending:
        return "The last message has toolUse blocks with no toolResult."
    return None


class FakeBedrock:
    """Scripted Converse server. `requests` records every request in arrival order.

    Assigning `script` starts it from its first entry again (the callable gets the index within
    the current script), so one server can serve several scripted questions in turn."""

    def __init__(self, script: Script = (), *, validate: bool = True) -> None:
        self.validate = validate
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.script = script

    @property
    def script(self) -> Script:
        return self._script

    @script.setter
    def script(self, script: Script) -> None:
        with self._lock:
            self._script = script
            self._cursor = 0

    def reset(self, script: Script = ()) -> None:
        """Forget the recorded requests and load a new script (one server, many tests)."""
        with self._lock:
            self.requests.clear()
        self.script = script

    def __repr__(self) -> str:
        return f"FakeBedrock(url={self.url if self._server else None!r}, requests={len(self.requests)})"

    # --- lifecycle ---
    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, payload, headers = fake._answer(self.path, dict(self.headers), raw)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- answering ---
    @staticmethod
    def _error(kind: str, message: str) -> tuple[int, Response, dict[str, str]]:
        return 400, {"message": message}, {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/"}

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Response, dict[str, str]]:
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "model" or parts[3] != "converse":
            return 404, {"message": f"no such route {path}"}, {}
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return self._error("ValidationException", "request body is not JSON")
        with self._lock:
            self.requests.append(Recorded(path=path, model_id=unquote(parts[2]), headers=headers, body=body))
            if self.validate and (problem := check_conversation(body)):
                return self._error("ValidationException", problem)
            script, index = self._script, self._cursor
            self._cursor += 1
        if callable(script):
            return 200, script(body, index), {}
        if index >= len(script):
            return self._error("ValidationException", f"fake Bedrock script exhausted after {index} responses")
        return 200, json.loads(json.dumps(script[index])), {}
