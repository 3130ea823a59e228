"""Slack benchmark: python bench/slack.py [--concurrency 50] [--rounds 5] [--questions 30].

Runs `steward serve` in-process (uvicorn on 127.0.0.1, port 0) over the test fixture org, with Slack's
Web API replaced by the loopback fake, and measures on loopback:

1. acknowledgement latency: `--concurrency` signed app_mention events sent at once (a barrier releases
   them together), `--rounds` times; the time from sending the request to the HTTP 200. Target: p99
   <= 100 ms (Slack wants the acknowledgement within 3 s).
2. end-to-end answer time with the offline planner: one question at a time, from sending the event
   to the answer's chat.postMessage reaching the fake Slack API (the burn-up chart upload follows).

Prints the figures and the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_app.config import SlackSettings  # noqa: E402
from slack_app.loopback import SECRET, FakeSlack, event_body, mention, signed_headers  # noqa: E402
from steward.serve import ServeSettings, StewardServer  # noqa: E402
from steward.settings import Settings  # noqa: E402
from tests.orgfixture import TODAY, build_store  # noqa: E402

USERS = ["U0MARIA01", "U0HANA001", "U0PRIYA01", "U0LEAD001", "U0OMAR001"]
QUESTIONS = ["how are we doing against estimate?", "any model drift this month?",
             "top products by spend this month", "show my spend card", "spend by model this month"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPU(s), "
            f"Python {platform.python_version()}")


def post(port: int, body: str) -> float:
    """Send one signed event; seconds until the 200 arrives."""
    headers = signed_headers(body)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.perf_counter()
    conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"HTTP {resp.status} from /slack/events")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--questions", type=int, default=30)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="steward-bench-slack-"))
    build_store(tmp).close()
    with FakeSlack() as fake:
        server = StewardServer(
            Settings(db=tmp / "steward.duckdb", as_of=TODAY), port=0,
            slack=SlackSettings(signing_secret=SECRET, bot_token="xoxb-bench", api_url=fake.api_url),
            serve=ServeSettings(tick_seconds=3600, nightly_at="23:59", spend_cards_day="sun"), mcp=False).start()
        answerer = type(server.slack_app.steward.answerer).__name__  # type: ignore[union-attr]
        seq = iter(range(1, 10**9))

        def event(user: str, question: str) -> tuple[str, str]:
            n = next(seq)
            ts = f"1700001000.{n:06d}"
            return ts, event_body(mention(user, question, ts=ts), event_id=f"EvB{n:09d}")

        try:
            # warm-up: imports, auth.test, the planner's first run, the chart's first render
            for q in QUESTIONS:
                ts, body = event(USERS[0], q)
                post(server.port, body)
            fake.wait_for("chat.postMessage", len(QUESTIONS), timeout=120)

            # 1. acknowledgement latency under load
            acks: list[float] = []
            round_max: list[float] = []
            for r in range(args.rounds):
                bodies = [event(USERS[i % len(USERS)], QUESTIONS[i % len(QUESTIONS)])[1]
                          for i in range(args.concurrency)]
                barrier = threading.Barrier(args.concurrency)

                def send(body: str) -> float:
                    barrier.wait()
                    return post(server.port, body)

                with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                    got = list(pool.map(send, bodies))
                acks += got
                round_max.append(max(got))
                # let the round's answers finish before the next burst
                fake.wait_for("chat.postMessage", len(QUESTIONS) + (r + 1) * args.concurrency, timeout=300)

            # 2. end-to-end answer time, one question at a time
            e2e: list[float] = []
            for i in range(args.questions):
                ts, body = event(USERS[i % len(USERS)], QUESTIONS[i % len(QUESTIONS)])
                before = len(fake.of("chat.postMessage"))
                t0 = time.perf_counter()
                post(server.port, body)
                calls = fake.wait_for("chat.postMessage", before + 1, timeout=60)
                answer = next(c for c in calls if c.args.get("thread_ts") == ts)
                e2e.append(answer.at - t0)
                time.sleep(0.05)  # the chart upload of this answer runs after the post
        finally:
            server.stop()

    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    print(f"machine: {machine()}")
    print(f"answerer: {answerer} (offline planner when agent.service is installed and no Bedrock is set)")
    print(f"acknowledgement, {args.concurrency} concurrent signed events x {args.rounds} rounds "
          f"({len(acks)} requests): p50 {ms(statistics.median(acks))}, p99 {ms(pct(acks, 99))}, "
          f"max {ms(max(acks))}; per-round max {', '.join(ms(x) for x in round_max)}")
    target = "met" if pct(acks, 99) <= 0.100 else "NOT met"
    print(f"target p99 <= 100 ms: {target}")
    print(f"end-to-end answer (event sent -> answer posted), {len(e2e)} questions one at a time: "
          f"p50 {ms(statistics.median(e2e))}, p99 {ms(pct(e2e, 99))}, max {ms(max(e2e))}")


if __name__ == "__main__":
    main()
