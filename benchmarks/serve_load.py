"""Load test of ``termfit serve``: N concurrent keep-alive clients on loopback for T seconds.

Starts the server on a free port (or uses --url), sends distinct queries taken from the
index's own entries (abbreviations, English and Korean names, so the query cache rarely
helps), and prints requests/s, p50/p95/p99 latency and errors per client count.

    python benchmarks/serve_load.py --index INDEX_DIR --clients 1,4,16 --duration 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from _paths import shown

MAX_CLIENTS = 64
MAX_DURATION = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(host: str, port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def start_server(index: str, port: int, extra: list[str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "termfit", "serve", "--index", index, "--port", str(port),
           *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if _get("127.0.0.1", port, "/readyz", 1.0)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not become ready in 180 s")


def load_queries(index: str | None, n: int, seed: int) -> list[str]:
    qs: list[str] = []
    if index:
        for line in (Path(index) / "entries.jsonl").read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            qs += [e["abbr"], e["expansion"], *e.get("ko", [])]
    qs = [q for q in qs if q.strip()] or ["AMF", "세션 관리 기능", "User Plane Function"]
    random.Random(seed).shuffle(qs)
    return qs[:n]


def run_load(host: str, port: int, endpoint: str, queries: list[str], clients: int,
             duration: float, k: int) -> dict:
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def client(ci: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        i = ci
        while time.perf_counter() < stop_at:
            q = queries[i % len(queries)]
            i += clients
            if endpoint == "search":
                req = ("GET", "/search?" + urllib.parse.urlencode({"q": q, "k": k}), None, {})
            else:
                body = json.dumps({"input": q, "input_type": "query"})
                req = ("POST", "/v1/embeddings", body, {"content-type": "application/json"})
            t0 = time.perf_counter()
            try:
                conn.request(req[0], req[1], body=req[2], headers=req[3])
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                status = -1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            lat[ci].append(time.perf_counter() - t0)
            if status != 200:
                errors[ci] += 1
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    t_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    all_lat = sorted(x for row in lat for x in row)

    def pct(p: float) -> float:
        if not all_lat:
            return float("nan")
        return all_lat[min(len(all_lat) - 1, int(p / 100 * len(all_lat)))] * 1000

    return {"endpoint": endpoint, "clients": clients, "duration_s": round(wall, 2),
            "requests": len(all_lat), "rps": round(len(all_lat) / wall, 1),
            "p50_ms": round(pct(50), 1), "p95_ms": round(pct(95), 1),
            "p99_ms": round(pct(99), 1), "errors": sum(errors),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", help="index folder; a server is started on a free port")
    ap.add_argument("--url", help="an already running server (http://127.0.0.1:8000); with "
                    "--index too, its entries are the queries")
    ap.add_argument("--clients", default="1,4,16",
                    help=f"comma-separated client counts (each 1..{MAX_CLIENTS})")
    ap.add_argument("--duration", type=float, default=15.0,
                    help=f"seconds per client count (max {MAX_DURATION:g})")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up, not counted")
    ap.add_argument("--endpoint", choices=["search", "embeddings"], default="search")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="benchmarks/results/serve_load.json")
    args = ap.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",")]
    if not all(1 <= c <= MAX_CLIENTS for c in counts):
        ap.error(f"--clients must be between 1 and {MAX_CLIENTS}")
    if not 0 < args.duration <= MAX_DURATION:
        ap.error(f"--duration must be in (0, {MAX_DURATION:g}]")
    if not (args.index or args.url):
        ap.error("give --index (a server is started) or --url (queries then come from --index "
                 "when given)")

    proc = None
    if args.url:
        u = urllib.parse.urlparse(args.url)
        host, port = u.hostname or "127.0.0.1", u.port or 80
    else:
        host, port = "127.0.0.1", _free_port()
        proc = start_server(args.index, port, ["--max-pending", "4096"])
    try:
        queries = load_queries(args.index, 20_000, args.seed)
        info = json.loads(_get(host, port, "/readyz")[1])
        if args.warmup > 0:
            run_load(host, port, args.endpoint, queries[::-1], 2, args.warmup, args.k)
        rows = []
        for c in counts:
            before = json.loads(_get(host, port, "/readyz")[1])
            row = run_load(host, port, args.endpoint, queries, c, args.duration, args.k)
            after = json.loads(_get(host, port, "/readyz")[1])
            calls = after["model_calls"] - before["model_calls"]
            row["mean_batch"] = round((after["jobs"] - before["jobs"]) / calls, 2) if calls else 0
            rows.append(row)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)

    header = f"{'endpoint':<11}{'clients':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}" \
             f"{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'batch':>7}"
    print(f"index: {info.get('index')}  entries: {info.get('entries')}  model: "
          f"{info.get('model')}  cpus: {os.cpu_count()}")
    print(header)
    for r in rows:
        print(f"{r['endpoint']:<11}{r['clients']:>8}{r['requests']:>10}{r['rps']:>9}"
              f"{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}"
              f"{r['mean_batch']:>7}")
    info = {**info, "index": shown(info.get("index")), "model": shown(info.get("model"))}
    out = {"server": info, "cpus": os.cpu_count(), "load_average": os.getloadavg(),
           "duration_s": args.duration, "rows": rows,
           "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from termfit.fileio import write_json

    write_json(args.out, out)
    print(f"wrote {args.out}")
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
