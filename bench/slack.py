"""Slack benchmark: python bench/slack.py [--concurrency 50] [--rounds 5] [--questions 30] [--slow 30].

Three processes on loopback, as in production: the real `steward serve` (HTTP mode) over the test
fixture org, a fake Slack Web API (`python -m tests.fake_slack`, port 0), and this load generator
(asyncio, one thread, so the client adds as little as possible to what it measures).

1. Acknowledgement latency: `--concurrency` signed app_mention events sent at once, `--rounds`
   times; the time from sending a request to its HTTP 200. Target p99 <= 100 ms (Slack retries after
   3 s). Each round's answers are computed while later requests arrive, as they would be.
2. End-to-end answer time with the offline planner: one question at a time, from sending the event
   to the answer's chat.postMessage reaching the fake Slack API (the burn-up chart follows it).
3. Acknowledgement under slow answers: a second `steward serve` whose agent calls a fake Bedrock
   Converse server that takes 2 s per call (tests/fake_bedrock.py, in this process). `--slow` signed
   mentions start slow answers; while they are in flight, slash commands, button clicks (a FinOps
   Lead's decide button: the modal opens) and modal submissions (a decision) are sent at once.
   Each one's time to its HTTP 200 is measured. Target p99 <= 100 ms for each kind.

Prints the figures and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_slack import SECRET, action_body, command_body, event_body, mention, signed_headers, view_body
from tests.orgfixture import build_store

USERS = ["U0MARIA01", "U0HANA001", "U0PRIYA01", "U0LEAD001", "U0OMAR001"]
QUESTIONS = ["how are we doing against estimate?", "any model drift this month?",
             "top products by spend this month", "show my spend card", "spend by model this month"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines()
                   if x.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPU(s), Python {platform.python_version()}"


class SlackFake:
    """The fake Slack API in its own process; its call stream is read on a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fake_slack"], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True)
        self.api_url = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        self.posts: dict[str, float] = {}  # thread_ts -> when the answer arrived (wall clock)
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            call = json.loads(line)
            if call["method"] == "chat.postMessage" and call["thread_ts"]:
                with self.cond:
                    self.posts.setdefault(call["thread_ts"], call["at"])
                    self.cond.notify_all()

    def wait(self, thread_ts: list[str], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(t in self.posts for t in thread_ts):
                if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                    raise SystemExit(f"answers missing after {timeout}s")

    def stop(self) -> None:
        self.proc.kill()


def start_server(db: Path, api_url: str, extra_env: dict[str, str] | None = None,
                 ) -> tuple[subprocess.Popen, int, list[str]]:
    env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-bench",
           "STEWARD_SLACK_API_URL": api_url, "STEWARD_NIGHTLY_AT": "23:59", "STEWARD_SPEND_CARDS_DAY": "sun",
           "STEWARD_SCHEDULER_TICK_SECONDS": "3600", **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "steward.cli", "--db", str(db), "--as-of", "2026-11-21", "serve",
                             "--port", "0", "--log-level", "warning"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    for line in proc.stderr:  # type: ignore[union-attr]
        lines.append(line)
        if m := re.search(r"Steward serving on http://127\.0\.0\.1:(\d+)", line):
            threading.Thread(target=lambda: [lines.append(x) for x in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
            return proc, int(m.group(1)), lines
    raise SystemExit("steward serve did not start:\n" + "".join(lines))


async def send(port: int, body: str) -> tuple[float, float]:
    """POST one signed request (JSON event or form payload); (wall-clock send time, seconds until the HTTP 200)."""
    data = body.encode()
    ctype = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    head = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(body, content_type=ctype).items())
    request = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n{head}"
               "Connection: close\r\n\r\n").encode() + data
    sent, t0 = time.time(), time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    status = await reader.readline()
    elapsed = time.perf_counter() - t0
    await reader.read()
    writer.close()
    if b" 200 " not in status:
        raise SystemExit(f"/slack/events answered {status!r}")
    return sent, elapsed


LEAD = "U0LEAD001"
OPUS = "anthropic.claude-opus-4-6-v1"
DECISION = {"accounts": ["111111111111"], "regions": ["us-east-1"], "action_scope": "inference_only",
            "rationale": "Benchmark decision: Checkout needs Opus for dispute summaries."}


def slow_model(seconds: float) -> Any:
    """A fake Converse server whose every answer takes `seconds` (a slow Bedrock model)."""
    from tests.fake_bedrock import FakeBedrock, text

    def answer(body: dict, index: int) -> dict:
        time.sleep(seconds)
        return text("Checkout is on track this month.")

    return FakeBedrock(answer, validate=False).start()


def acks_under_slow_answers(tmp: Path, api_url: str, slow: int, rounds: int) -> dict[str, list[float]]:
    """Ack latency of commands, clicks and submissions while `slow` 2-second answers are in flight."""
    build_store(tmp).close()
    model = slow_model(2.0)
    env = {"STEWARD_AGENT_MODE": "bedrock", "STEWARD_BEDROCK_MODEL_ID": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
           "STEWARD_BEDROCK_ENDPOINT_URL": model.url, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": "us-east-1"}
    server, port, log = start_server(tmp / "steward.duckdb", api_url, env)
    out: dict[str, list[float]] = {"command": [], "click": [], "submission": []}
    counter = iter(range(1, 10**9))
    try:
        asyncio.run(send(port, event_body(mention(USERS[0], "warm up", ts="1700009000.000001"), event_id="EvSW0")))
        time.sleep(3)  # the first answer (imports, auth.test, the model's first call) is done
        for _ in range(rounds):
            mentions = [event_body(mention(USERS[i % len(USERS)], QUESTIONS[i % len(QUESTIONS)],
                                           ts=f"1700009001.{next(counter):06d}"), event_id=f"EvS{next(counter)}")
                        for i in range(slow)]
            probes = ([("command", command_body(USERS[i % len(USERS)], QUESTIONS[i % len(QUESTIONS)],
                                                f"{api_url.removesuffix('/api/')}/response/{i}")) for i in range(10)]
                      + [("click", action_body(LEAD, "steward_decide_approved", {"m": OPUS})) for _ in range(5)]
                      + [("submission", view_body(LEAD, "steward_decide", DECISION,
                                                  {"m": OPUS, "s": "approved", "c": "C0BENCH01", "t": None}))
                         for _ in range(5)])

            async def burst() -> list[tuple[float, float]]:
                started = [asyncio.create_task(send(port, body)) for body in mentions]
                await asyncio.sleep(0.2)  # the slow answers are under way
                measured = await asyncio.gather(*(send(port, body) for _, body in probes))
                await asyncio.gather(*started)
                return measured

            for (kind, _), (_, seconds) in zip(probes, asyncio.run(burst())):
                out[kind].append(seconds)
            time.sleep(2.0 * slow / 4 + 3)  # let this round's answers drain (4 answer threads by default)
    finally:
        server.terminate()
        code = server.wait(timeout=120)
        model.stop()
    if code != 0:
        print("steward serve (slow model) exited with", code, "".join(log[-20:]), file=sys.stderr)
    return out


def offline_section(args: argparse.Namespace, fake: SlackFake) -> tuple[list[float], list[float], list[float]]:
    """Sections 1 and 2 on `steward serve` with the offline planner: (acks, per-round max, end-to-end)."""
    tmp = Path(tempfile.mkdtemp(prefix="steward-bench-slack-"))
    build_store(tmp).close()
    server, port, log = start_server(tmp / "steward.duckdb", fake.api_url)
    counter = iter(range(1, 10**9))

    def event(i: int) -> tuple[str, str]:
        n = next(counter)
        ts = f"1700001000.{n:06d}"
        return ts, event_body(mention(USERS[i % len(USERS)], QUESTIONS[i % len(QUESTIONS)], ts=ts),
                              event_id=f"EvB{n:09d}")

    async def all_at_once(bodies: list[str]) -> list[tuple[float, float]]:
        return await asyncio.gather(*(send(port, b) for b in bodies))

    acks: list[float] = []
    round_max: list[float] = []
    e2e: list[float] = []
    try:
        warm = [event(i) for i in range(len(QUESTIONS))]  # imports, auth.test, planner and chart first runs
        for ts, body in warm:
            asyncio.run(send(port, body))
        fake.wait([ts for ts, _ in warm])
        for _ in range(args.rounds):
            burst = [event(i) for i in range(args.concurrency)]
            got = [e for _, e in asyncio.run(all_at_once([b for _, b in burst]))]
            acks += got
            round_max.append(max(got))
            fake.wait([ts for ts, _ in burst])
        for i in range(args.questions):
            time.sleep(0.3)  # the previous answer's chart upload finishes first
            ts, body = event(i)
            sent, _ = asyncio.run(send(port, body))
            fake.wait([ts], timeout=60)
            e2e.append(fake.posts[ts] - sent)
    finally:
        server.terminate()
        code = server.wait(timeout=60)
    if code != 0:
        print("steward serve exited with", code, "".join(log[-20:]), file=sys.stderr)
    return acks, round_max, e2e


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--slow", type=int, default=30, help="concurrent slow (2 s) answers in section 3")
    ap.add_argument("--slow-rounds", type=int, default=3)
    ap.add_argument("--only-slow", action="store_true", help="run section 3 only")
    args = ap.parse_args()

    fake = SlackFake()
    try:
        offline = None if args.only_slow else offline_section(args, fake)
        slow = acks_under_slow_answers(Path(tempfile.mkdtemp(prefix="steward-bench-slow-")), fake.api_url,
                                       args.slow, args.slow_rounds)
    finally:
        fake.stop()

    print(f"machine: {machine()}")
    print("server: steward serve (HTTP mode), its own process; fake Slack API and this asyncio client in two others")
    if offline is not None:
        acks, round_max, e2e = offline
        print(f"acknowledgement (offline planner), {args.concurrency} concurrent signed events x {args.rounds} "
              f"rounds ({len(acks)} requests): p50 {ms(statistics.median(acks))}, p99 {ms(pct(acks, 99))}, "
              f"max {ms(max(acks))}; per-round max {', '.join(ms(x) for x in round_max)}")
        print(f"target p99 <= 100 ms: {'met' if pct(acks, 99) <= 0.100 else 'NOT met'}")
        print(f"end-to-end answer (event sent -> answer posted), {len(e2e)} questions one at a time: "
              f"p50 {ms(statistics.median(e2e))}, p99 {ms(pct(e2e, 99))}, max {ms(max(e2e))}")
    print(f"acknowledgement while {args.slow} answers wait on a 2 s model ({args.slow_rounds} rounds):")
    for kind, values in slow.items():
        print(f"  {kind}: {len(values)} requests, p50 {ms(statistics.median(values))}, p99 {ms(pct(values, 99))}, "
              f"max {ms(max(values))}; target p99 <= 100 ms: {'met' if pct(values, 99) <= 0.100 else 'NOT met'}")


if __name__ == "__main__":
    main()
