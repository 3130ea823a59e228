"""A loopback Slack Web API for tests and benchmarks: a stdlib ThreadingHTTPServer on 127.0.0.1, port 0.

Point a WebClient at it with `WebClient(token="xoxb-test", base_url=fake.api_url)` (the trailing
/api/ matters). It answers the methods Steward uses (auth.test, chat.*, views.*, reactions.*,
conversations.open, the files_upload_v2 trio, whose uploaded bytes it keeps in `uploads`) and records
every call with its decoded arguments; response_url posts are recorded as method "response_url".
Never used in production.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)
    status: int = 200  # the HTTP status answered (429 when rate limited)

    def text(self) -> str:
        """Everything this call carried, as one string (for 'does X appear anywhere' checks)."""
        return json.dumps(self.args, default=str)


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            return {"_raw": body.decode("utf-8", "replace")}
    if "x-www-form-urlencoded" in content_type:
        out: dict[str, Any] = {}
        for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
            value: Any = v[0]
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            out[k] = value
        return out
    return {"_bytes": len(body)}


class FakeSlack:
    """Start with `with FakeSlack() as fake:`; `fake.calls`, `fake.of("chat.postMessage")`, `fake.wait_for(...)`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.fail: dict[str, str] = {}   # method -> Slack error code to return
        self.fail_channel: dict[str, str] = {}  # channel -> Slack error code for chat.postMessage to it
        self.rate_limited: dict[str, int] = {}  # method -> how many more calls get HTTP 429 (Retry-After: 0)
        self.on_call: Any = None         # optional callback(Call), e.g. to stream calls to another process
        self.uploads: list[bytes] = []   # the bytes of each file uploaded (files_upload_v2), in order
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                if path.startswith("/api/"):
                    method = path[len("/api/"):]
                elif path.startswith("/upload/"):
                    method = "upload"
                elif path.startswith("/response/"):
                    method = "response_url"
                else:
                    method = path
                args = {"_bytes": len(body)} if method == "upload" else \
                    _decode(body, self.headers.get("content-type") or "")
                if method == "upload":
                    with fake._cond:
                        fake.uploads.append(body)
                limited = fake._rate_limited(method)
                reply = {"ok": False, "error": "ratelimited"} if limited else fake._answer(method, args)
                fake._record(Call(method, args, status=429 if limited else 200))
                data = json.dumps(reply).encode() if isinstance(reply, dict) else reply.encode()
                self.send_response(429 if limited else 200)
                if limited:
                    self.send_header("retry-after", "0")
                self.send_header("content-type", "application/json" if isinstance(reply, dict) else "text/plain")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-slack", daemon=True)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeSlack:  # noqa: PYI034 - a plain class, not meant for subclassing
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/response/{name}"

    # ------------------------------------------------------------------ answers
    def _rate_limited(self, method: str) -> bool:
        with self._cond:
            if self.rate_limited.get(method, 0) > 0:
                self.rate_limited[method] -= 1
                return True
            return False

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any] | str:
        if method in self.fail:
            return {"ok": False, "error": self.fail[method]}
        if method == "chat.postMessage" and args.get("channel") in self.fail_channel:
            return {"ok": False, "error": self.fail_channel[args["channel"]]}
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "steward",
                    "team_id": "T0TEST001", "user_id": "U0BOT0001", "bot_id": "B0BOT0001"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": ts,
                    "message": {"text": args.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method in ("views.open", "views.publish", "views.update"):
            return {"ok": True, "view": {"id": "V0TEST001", **(args.get("view") or {})}}
        if method == "conversations.open":  # a DM's conversation id, as Slack gives one per user
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).lstrip("U")[:10]}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.url}/upload/F0TEST001", "file_id": "F0TEST001"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in args.get("files", [])]}
        if method == "upload":
            return "OK"
        return {"ok": True}

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
        if self.on_call is not None:
            self.on_call(call)

    # ------------------------------------------------------------------ inspection
    def of(self, method: str) -> list[Call]:
        """The calls of `method` that were answered (not rate limited)."""
        with self._cond:
            return [c for c in self.calls if c.method == method and c.status == 200]

    def methods(self) -> list[str]:
        with self._cond:
            return [c.method for c in self.calls]

    def clear(self) -> None:
        with self._cond:
            self.calls.clear()
            self.uploads.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` arrived; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and c.status == 200]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {method} call(s) after {timeout}s")
                self._cond.wait(left)


# ============================================================================ signed requests

SECRET = "test-signing-secret"
TEAM = "T0TEST001"
BOT = "U0BOT0001"


def signed_headers(body: str, secret: str = SECRET, *, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"content-type": content_type, "x-slack-request-timestamp": ts,
            "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}


def bolt_request(body: str, secret: str | None = SECRET, *, timestamp: int | None = None,
                 content_type: str | None = None, signature: str | None = None) -> Any:
    """A BoltRequest as Slack would send it; secret None = unsigned, `signature` overrides it."""
    from slack_bolt import BoltRequest

    ctype = content_type or ("application/json" if body.startswith("{") else "application/x-www-form-urlencoded")
    headers = signed_headers(body, secret, timestamp=timestamp, content_type=ctype) if secret else \
        {"content-type": ctype}
    if signature is not None:
        headers["x-slack-signature"] = signature
    return BoltRequest(body=body, headers={k: [v] for k, v in headers.items()})


def event_body(event: dict[str, Any], *, event_id: str = "Ev0TEST001") -> str:
    return json.dumps({
        "token": "unused", "team_id": TEAM, "api_app_id": "A0TEST001", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT, "is_bot": True,
                            "is_enterprise_install": False}]})


def mention(user: str, text: str, *, channel: str = "C0TEST001", ts: str = "1700000001.000100",
            thread_ts: str | None = None) -> dict[str, Any]:
    e = {"type": "app_mention", "user": user, "text": f"<@{BOT}> {text}", "ts": ts, "channel": channel,
         "event_ts": ts}
    if thread_ts:
        e["thread_ts"] = thread_ts
    return e


def dm(user: str, text: str, *, channel: str = "D0TEST001", ts: str = "1700000002.000100") -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "user": user, "text": text, "ts": ts, "channel": channel,
            "event_ts": ts}


def home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0TEST001", "tab": "home",
            "event_ts": "1700000003.000100"}


def command_body(user: str, text: str, response_url: str, *, channel: str = "C0TEST001") -> str:
    from urllib.parse import urlencode

    return urlencode({"token": "unused", "team_id": TEAM, "channel_id": channel, "user_id": user,
                      "user_name": user.lower(), "command": "/steward", "text": text,
                      "response_url": response_url, "trigger_id": "1337.42.abcd", "api_app_id": "A0TEST001"})


def action_body(user: str, action_id: str, value: dict[str, Any], *, channel: str = "C0TEST001",
                message_ts: str = "1700000009.000100", blocks: list[dict] | None = None,
                response_url: str = "http://127.0.0.1:9/none", block_id: str = "b1") -> str:
    from urllib.parse import urlencode

    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
               "api_app_id": "A0TEST001", "trigger_id": "1337.42.trigger",
               "container": {"type": "message", "channel_id": channel, "message_ts": message_ts},
               "channel": {"id": channel}, "response_url": response_url,
               "message": {"ts": message_ts, "text": "", "blocks": blocks or []},
               "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                            "value": json.dumps(value), "action_ts": str(time.time())}]}
    return urlencode({"payload": json.dumps(payload)})


def view_body(user: str, callback_id: str, values: dict[str, Any], private_metadata: dict[str, Any]) -> str:
    """A view_submission; `values` maps block id -> a plain value, a list (multi select) or a str."""
    from urllib.parse import urlencode

    state: dict[str, Any] = {}
    for block, v in values.items():
        if isinstance(v, list):
            state[block] = {"v": {"type": "multi_static_select",
                                  "selected_options": [{"value": x, "text": {"type": "plain_text", "text": x}}
                                                       for x in v]}}
        elif block == "action_scope":
            state[block] = {"v": {"type": "static_select", "selected_option": {"value": v}}}
        else:
            state[block] = {"v": {"type": "plain_text_input", "value": v}}
    payload = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
               "api_app_id": "A0TEST001", "trigger_id": "1337.42.trigger",
               "view": {"id": "V0TEST001", "type": "modal", "callback_id": callback_id,
                        "private_metadata": json.dumps(private_metadata), "state": {"values": state}}}
    return urlencode({"payload": json.dumps(payload)})


# ============================================================================ a stand-in agent

class ScriptedAnswerer:
    """Stands in for agent.service.ask where the agent is not the thing under test: picks one tool by
    keyword and calls it through toolset.call as the asker, so scope applies exactly as in production."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str | None]] = []  # (email, question, thread id)

    def __call__(self, ctx: Any, question: str, thread_id: str | None) -> Any:
        from agent.answer import Answer, Fact
        from tools import toolset
        from tools.errors import ToolError

        self.asked.append((ctx.caller.email, question, thread_id))
        q = question.lower()
        named = next((p for p in sorted(ctx.caller.products) if p.lower() in q), None)
        product = named or next(iter(sorted(ctx.caller.owned_products)), None)
        if "drift" in q:
            name, args = "model_drift", {}
        elif "card" in q:
            name, args = "spend_card", {"product": product}
        elif "breakdown" in q or "by model" in q:
            name, args = "spend_breakdown", {"by": "model"}
        else:
            name, args = "estimate_status", {"product": product}
        try:
            result = toolset.call(ctx, name, args).model_dump(mode="json")
        except ToolError as exc:
            return Answer(question=question, text=str(exc), facts=[Fact(tool=name, args=args, error=str(exc))])
        from agent.render import render_result

        text = render_result(name, result)
        through = result.get("data_through")
        return Answer(question=question, text=text, facts=[Fact(tool=name, args=args, result=result)],
                      family=name, data_through=through,
                      freshness=f"CUR data through {through}" if through else "")


def main() -> None:
    """`python -m tests.fake_slack`: serve the fake in its own process (benchmarks). Prints the API
    URL, then one JSON line per call: method, channel, thread_ts and the wall-clock time it arrived."""
    import sys

    fake = FakeSlack()
    lock = threading.Lock()

    def stream(call: Call) -> None:
        line = json.dumps({"method": call.method, "channel": call.args.get("channel") or call.args.get("channel_id"),
                           "thread_ts": call.args.get("thread_ts"), "at": time.time()})
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    fake.on_call = stream
    fake.start()
    print(fake.api_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
