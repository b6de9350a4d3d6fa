"""`leadscore serve` under load (issue 20, point 8), on loopback only, bounded in count and time.

1. a store with `--leads` leads of batch_scale.py's files (`leadscore ingest`, the model set);
2. the service started on it (`--now` fixed, no sweep) on a free 127.0.0.1 port;
3. throughput: `--batches` POSTs of 100 events from `--clients` connections at once;
4. latency: single-event POSTs paced at `--rate` per second for `--seconds` (open loop: each
   request leaves at its time whatever the others do), p50 / p99 of its answer;
5. the service's memory (resident now, and its peak) after it all;
6. the service's own CPU seconds in phases 3 and 4 (/proc): events per CPU second, and CPU per
   paced request, which a machine shared with other work disturbs far less than wall time;
7. the paced requests' p50 / p99 inside the service (its `leadscore_scoring_seconds` histogram,
   read from /metrics before and after phase 4: the bucket bounds), which tells the service's
   own time from HTTP's and the load generator's.

    python benchmarks/serve_load.py --leads 10000                 # a smaller run
    python benchmarks/serve_load.py                               # the issue's size: 1M leads
    python benchmarks/serve_load.py --store postgresql://me@/bench # the same on PostgreSQL (an empty database)
    python benchmarks/serve_load.py --sqlite STORE/live.db        # serve a store live_ingest.py --keep-store built

Targets (issue 20): at least 2,000 events/s with batches of 100; p99 under 50 ms at 200
requests/s; under 500 MB resident after 1M leads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from batch_scale import MODEL, NOW, generate  # noqa: E402
from live_ingest import percentile  # noqa: E402

TYPES = (("page_view", {"url": "/pricing", "seconds": "40"}), ("email_open", {"campaign": "nov"}),
         ("demo_request", {}), ("form_submit", {"form": "contact"}), ("webinar_attended", {"webinar": "q3"}))
RUN = f"{os.getpid()}.{int(time.time())}"   # in every event id of this run
LIMIT = 600.0          # no phase runs longer than this many seconds


def events(count: int, leads: int, rng: random.Random, tag: str) -> list:
    """`count` events into random leads; ids unique to this run, so a store served again
    (`--sqlite`) takes them as new."""
    found, tag = [], f"{RUN}-{tag}"
    for k in range(count):
        kind, attributes = rng.choice(TYPES)
        found.append({"id": f"{tag}-{k}", "lead_id": f"L{rng.randint(1, leads)}", "type": kind,
                      "at": f"2026-11-{rng.randint(1, 19):02d}T10:00:00Z", **attributes})
    return found


def start(url: str, folder: str) -> tuple:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(os.path.join(folder, "serve.log"), "wb")
    process = subprocess.Popen([sys.executable, "-m", "leadscore", "serve", "--store", url, "--port", str(port),
                                "--now", NOW, "--sweep", "off"], stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not start: see " + log.name)


def throughput(base: str, batches: list, clients: int) -> tuple:
    """(events accepted per second, seconds) for every batch POSTed by `clients` connections."""
    queue, lock, accepted, failed = list(batches), threading.Lock(), [0], []
    stop = time.monotonic() + LIMIT

    def client():
        with httpx.Client(base_url=base, timeout=120) as http:
            while time.monotonic() < stop:
                with lock:
                    if not queue:
                        return
                    batch = queue.pop()
                try:
                    answer = http.post("/v1/events", json=batch)
                except httpx.HTTPError as error:
                    answer = error
                with lock:
                    if isinstance(answer, httpx.Response) and answer.status_code == 200:
                        accepted[0] += answer.json()["accepted"]
                    else:
                        failed.append(answer)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    if failed:
        print(f"{len(failed)} batches failed, e.g. {getattr(failed[0], 'text', failed[0])}", file=sys.stderr)
    return accepted[0] / took, took


def latency(base: str, singles: list, rate: float, connections: int = 32) -> list:
    """Seconds from each single-event POST to its answer, the POSTs leaving `rate` per second
    (open loop: each leaves at its time, on a free one of `connections` kept-alive connections).

    Written on asyncio streams with each request's bytes made beforehand, not with httpx in
    threads: on this machine httpx took 5 ms of the client's own for a GET /healthz that a raw
    socket answered in 0.15 ms (p50, one connection), and with 32 threads sharing the GIL its
    p99 reached 60-80 ms for /healthz alone, which hid the service's own."""
    host, port = base.split("//", 1)[1].split(":")
    bodies = [json.dumps([event]).encode() for event in singles]
    requests = [b"POST /v1/events HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json"
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body for body in bodies]

    async def run() -> list:
        free: asyncio.Queue = asyncio.Queue()
        for _ in range(connections):
            free.put_nowait(await asyncio.open_connection(host, int(port)))
        took, failed = [], []
        loop = asyncio.get_running_loop()
        first = loop.time() + 0.5

        async def send(k: int) -> None:
            due = first + k / rate            # timed from when it was due: a wait for a free connection counts
            await asyncio.sleep(max(0.0, due - loop.time()))
            reader, writer = await free.get()
            writer.write(requests[k])
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            await reader.readexactly(length)
            (took if head.startswith(b"HTTP/1.1 200") else failed).append(loop.time() - due)
            free.put_nowait((reader, writer))
        await asyncio.wait_for(asyncio.gather(*(send(k) for k in range(len(requests)))), LIMIT)
        while not free.empty():
            free.get_nowait()[1].close()
        if failed:
            print(f"{len(failed)} paced requests failed", file=sys.stderr)
        return took
    return asyncio.run(run())


def write_buckets(base: str) -> dict:
    """Upper bound (s) → writes of POST /v1/events that took at most that long inside the service
    (its `leadscore_scoring_seconds` histogram: the group commit's wait and the write, without
    HTTP or the client), counted since the service started."""
    text = httpx.get(base + "/metrics", timeout=60).text
    found = {}
    for line in text.splitlines():
        if line.startswith('leadscore_scoring_seconds_bucket{') and 'route="events"' in line:
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            found[float(bound)] = float(line.rsplit(" ", 1)[1])
    return found


def bucket_percentile(before: dict, after: dict, share: float) -> float | None:
    """The upper bound of the histogram bucket holding the `share` percentile of the writes made
    between two readings of `write_buckets`."""
    counts = {bound: after[bound] - before.get(bound, 0.0) for bound in sorted(after)}
    total = counts.get(float("inf"), 0.0)
    if not total:
        return None
    return next(bound for bound, count in counts.items() if count >= share * total)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (/proc): its work, whatever the machine's load."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple:
    """(resident, peak resident) MB of a process, from /proc."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return round(found.get("VmRSS", 0)), round(found.get("VmHWM", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--store", help="a PostgreSQL URL (an empty database); default: a new SQLite file")
    parser.add_argument("--batches", type=int, default=200, help="POSTs of 100 events for the throughput")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=200.0, help="single-event POSTs per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the paced POSTs go on")
    parser.add_argument("--sqlite", metavar="FILE",
                        help="serve this SQLite store with its model set (e.g. live_ingest.py --keep-store's live.db) "
                             "instead of loading a new one")
    parser.add_argument("--data", default=os.path.join(HERE, "data"))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    rng = random.Random(20)
    with tempfile.TemporaryDirectory(prefix="leadscore-serve-bench-") as folder:
        started = time.perf_counter()
        if args.sqlite:
            url = f"sqlite:///{os.path.abspath(args.sqlite)}"
        else:
            leads_path, _events_path = generate(args.leads, 1, args.data)
            url = args.store or f"sqlite:///{os.path.join(folder, 'live.db')}"
            subprocess.run([sys.executable, "-m", "leadscore", "ingest", MODEL, "--store", url, "--leads", leads_path,
                            "--now", NOW], check=True, cwd=folder, timeout=24 * 3600)
        load = time.perf_counter() - started
        process, base = start(url, folder)
        try:
            batches = [events(100, args.leads, rng, f"b{k}") for k in range(args.batches)]
            cpu = cpu_seconds(process.pid)
            rate, took = throughput(base, batches, args.clients)
            batch_cpu, cpu = cpu_seconds(process.pid) - cpu, cpu_seconds(process.pid)
            singles = events(int(args.rate * args.seconds), args.leads, rng, "single")
            buckets = write_buckets(base)
            answers = latency(base, singles, args.rate)
            single_cpu = cpu_seconds(process.pid) - cpu
            inside = {share: bucket_percentile(buckets, write_buckets(base), share) for share in (0.5, 0.99)}
            rss, peak = memory_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
            with open(os.path.join(folder, "serve.log"), encoding="utf-8", errors="replace") as log:
                problems = log.read()[-2000:]
            if problems.strip():
                print("the service's log ends:\n" + problems, file=sys.stderr)
    figures = {
        "store": "postgresql" if args.store else "sqlite", "store_given": bool(args.sqlite), "leads": args.leads, "load_seconds": round(load, 1),
        "batches": args.batches, "clients": args.clients, "events_per_second": round(rate),
        "throughput_seconds": round(took, 1),
        "events_per_service_cpu_second": round(100 * args.batches / batch_cpu) if batch_cpu else None,
        "paced_rate": args.rate, "paced_requests": len(answers),
        "service_cpu_ms_per_paced_request": round(1000 * single_cpu / max(1, len(answers)), 2),
        "p50_ms": round(percentile(answers, 0.5) * 1000, 1), "p99_ms": round(percentile(answers, 0.99) * 1000, 1),
        # the same requests timed inside the service, as its histogram's bucket bounds (at most)
        "service_p50_ms_at_most": None if inside[0.5] is None else inside[0.5] * 1000,
        "service_p99_ms_at_most": None if inside[0.99] is None else inside[0.99] * 1000,
        "rss_mb": rss, "peak_rss_mb": peak,
        "cores": os.cpu_count(), "python": sys.version.split()[0], "load_average": round(os.getloadavg()[0], 1),
    }
    for name, value in figures.items():
        print(f"{name:>20}: {value}")
    print(f"targets: >= 2,000 events/s: {'PASS' if rate >= 2000 else 'MISS'}; "
          f"p99 < 50 ms at {args.rate:g}/s: {'PASS' if figures['p99_ms'] < 50 else 'MISS'}; "
          f"< 500 MB: {'PASS' if peak < 500 else 'MISS'}" + ("" if args.leads >= 1_000_000 else " (not at 1M leads)"))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)


if __name__ == "__main__":
    main()
