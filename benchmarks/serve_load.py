"""Load test of ``termfit serve``: N concurrent keep-alive clients on loopback for T seconds.

Starts the server on a free port (or uses --url), sends distinct queries taken from the
index's own entries (abbreviations, English and Korean names, so the query cache rarely
helps), and prints requests/s, p50/p95/p99 latency and errors per client count.

    python benchmarks/serve_load.py --index INDEX_DIR --clients 1,4,16 --duration 20

``--soak``: 10,000 requests (``--requests``) from 8 concurrent clients, mixed /search,
/v1/embeddings and /v1/expand (when the server has it); reports throughput, p50/p99, errors
(must be 0) and the server's RSS before and after (must grow by at most 10%).

``--fault``: 8 clients of good requests while a ninth sends bad ones (lone surrogates,
empty or oversized input, wrong types, unknown model, bad encoding_format, invalid JSON,
non-UTF-8 and chunked oversized bodies, a bad Content-Length, a 1 MB URL, bad k, unknown
mode, ...); every good request must succeed, every bad one get its 4xx, and the server's
RSS stay within 10% of the start.

Both need --index (the server is started here, so its memory can be read).
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
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from _paths import shown

MAX_CLIENTS = 64
MAX_DURATION = 120.0
MAX_RSS_GROWTH = 0.10
JSON_CT = {"content-type": "application/json"}



def send(conn, host, port, method, path, body, headers, timeout: float):
    """One request; (status, connection), status -1 and a fresh connection on a failure."""
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        return r.status, conn
    except (OSError, http.client.HTTPException):
        conn.close()
        return -1, http.client.HTTPConnection(host, port, timeout=timeout)

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
    # The server's log goes to a file: a pipe nobody reads fills up (64 KB) and then blocks
    # the server's event loop on its next log line (the fault run logs one per bad request).
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"server exited: {log.read().decode()[-2000:]}")
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
            status, conn = send(conn, host, port, *req, timeout=30)
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


# --- soak and fault runs --------------------------------------------------------------
def good_request(endpoint: str, q: str, k: int) -> tuple[str, str, bytes | None, dict]:
    """One valid request to ``endpoint`` (search | embeddings | expand)."""
    if endpoint == "search":
        return "GET", "/search?" + urllib.parse.urlencode({"q": q, "k": k}), None, {}
    if endpoint == "expand":
        return "POST", "/v1/expand", json.dumps({"input": [q]}).encode(), JSON_CT
    return "POST", "/v1/embeddings", json.dumps({"input": q}).encode(), JSON_CT


def server_endpoints(host: str, port: int) -> list[str]:
    """The endpoints the soak mixes: search, embeddings, and expand when served."""
    paths = json.loads(_get(host, port, "/openapi.json")[1]).get("paths", {})
    return ["search", "embeddings"] + (["expand"] if "/v1/expand" in paths else [])


def rss_mb(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def _percentiles(lat: list[float]) -> dict:
    lat = sorted(lat)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 1) if lat else 0.0

    return {"p50_ms": pct(50), "p99_ms": pct(99)}


def run_requests(host: str, port: int, queries: list[str], endpoints: list[str], clients: int,
                 total: int, k: int, stop: threading.Event | None = None) -> dict:
    """``total`` good requests from ``clients`` keep-alive clients, endpoints in turn."""
    counter = iter(range(total))
    lock = threading.Lock()
    lat: list[float] = []
    statuses: dict[str, int] = {}

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = good_request(
                endpoints[i % len(endpoints)], queries[i % len(queries)], k)
            t0 = time.perf_counter()
            status, conn = send(conn, host, port, method, path, body, headers, timeout=60)
            with lock:
                lat.append(time.perf_counter() - t0)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if stop is not None:
        stop.set()
    errors = sum(v for s, v in statuses.items() if s != "200")
    return {"clients": clients, "requests": len(lat), "endpoints": endpoints,
            "duration_s": round(wall, 1), "rps": round(len(lat) / wall, 1),
            **_percentiles(lat), "errors": errors, "statuses": dict(sorted(statuses.items()))}


def _raw(host: str, port: int, head: bytes, chunks: list[bytes] | None = None) -> int:
    """Send a raw request, stop sending once answered; the status, or -1."""
    import select

    try:
        with socket.create_connection((host, port), timeout=30) as s:
            s.sendall(head)
            for chunk in chunks or []:
                if select.select([s], [], [], 0)[0]:
                    break
                s.sendall(chunk)
            data = b""
            while b"\r\n" not in data:
                part = s.recv(4096)
                if not part:
                    break
                data += part
        return int(data.split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def _post(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n%s\r\n" % (path.encode(), len(body), extra) + body)


def bad_requests() -> list[tuple[str, int, bytes, list[bytes] | None]]:
    """(name, expected status, raw request, body chunks) for each kind of bad input."""
    emb = "/v1/embeddings"
    chunked = (b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
    return [
        ("lone surrogate", 400, _post(emb, b'{"input": "x \\ud800"}'), None),
        ("empty input list", 400, _post(emb, b'{"input": []}'), None),
        ("empty string", 400, _post(emb, b'{"input": ""}'), None),
        ("too many inputs", 400, _post(emb, json.dumps({"input": ["a"] * 300}).encode()), None),
        ("too long input", 400, _post(emb, json.dumps({"input": "x" * 9000}).encode()), None),
        ("wrong types", 422, _post(emb, b'{"input": [[1, 2, 3]]}'), None),
        ("unknown model", 404, _post(emb, b'{"input": "AMF", "model": "gpt-embed"}'), None),
        ("bad encoding_format", 422, _post(emb, b'{"input": "AMF", "encoding_format": "x"}'),
         None),
        ("invalid JSON", 400, _post(emb, b'{"input": "AMF"'), None),
        ("non-UTF-8 body", 400, _post(emb, b'{"input": "\xff\xfe"}'), None),
        ("oversized body", 413, _post(emb, b'{"input": "' + b"x" * 3_000_000 + b'"}'), None),
        ("chunked 64 MB body", 413, chunked, [b"10000\r\n" + b" " * 65536 + b"\r\n"] * 1024),
        ("bad Content-Length", 400, b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: abc\r\n\r\n{}", None),
        ("1 MB URL", 414, b"GET /search?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
         None),
        ("bad k", 400, b"GET /search?q=AMF&k=0 HTTP/1.1\r\nHost: x\r\n\r\n", None),
        ("unknown mode", 400, b"GET /search?q=AMF&mode=fuzzy HTTP/1.1\r\nHost: x\r\n\r\n", None),
        ("unknown path", 404, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", None),
        ("wrong method", 405, b"GET /v1/embeddings HTTP/1.1\r\nHost: x\r\n\r\n", None),
    ]


def send_bad(host: str, port: int, stop: threading.Event) -> dict:
    """Send every bad request in turn until ``stop``; count answers per kind."""
    seen: dict[str, dict[str, int]] = {}
    unexpected = 0
    while not stop.is_set():
        for name, expected, head, chunks in bad_requests():
            status = _raw(host, port, head, chunks)
            row = seen.setdefault(name, {})
            row[str(status)] = row.get(str(status), 0) + 1
            unexpected += status != expected
            if stop.is_set():
                break
    return {"bad_requests": sum(sum(r.values()) for r in seen.values()),
            "bad_unexpected_status": unexpected, "bad_by_kind": seen}


class RssSampler:
    """The server's RSS every ``every`` seconds while a run lasts (growth vs. a plateau)."""

    def __init__(self, pid: int, every: float = 10.0):
        self.pid, self.every, self.samples = pid, every, [rss_mb(pid)]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            self.samples.append(rss_mb(self.pid))

    def finish(self) -> list[float]:
        self.stop.set()
        self.thread.join()
        self.samples.append(rss_mb(self.pid))
        return self.samples


def warm_up(host: str, port: int, queries: list[str], endpoints: list[str], args) -> None:
    """Requests at the run's own concurrency, so that batch buffers of every size and the
    query cache exist before the memory baseline is read."""
    run_requests(host, port, queries[::-1], endpoints, args.soak_clients, args.warmup_requests,
                 args.k)


def soak(host: str, port: int, pid: int, queries: list[str], args) -> dict:
    endpoints = server_endpoints(host, port)
    warm_up(host, port, queries, endpoints, args)
    sampler = RssSampler(pid)
    row = run_requests(host, port, queries, endpoints, args.soak_clients, args.requests, args.k)
    samples = sampler.finish()
    before, after = samples[0], samples[-1]
    return {**row, "warmup_requests": args.warmup_requests, "rss_samples_mb": samples,
            "rss_before_mb": before, "rss_after_mb": after,
            "rss_growth": round(after / before - 1, 4),
            "ok": row["errors"] == 0 and after <= before * (1 + MAX_RSS_GROWTH)}


def fault(host: str, port: int, pid: int, queries: list[str], args) -> dict:
    endpoints = server_endpoints(host, port)
    warm_up(host, port, queries, endpoints, args)
    sampler = RssSampler(pid)
    stop = threading.Event()
    bad: dict = {}
    bad_thread = threading.Thread(target=lambda: bad.update(send_bad(host, port, stop)))
    bad_thread.start()
    row = run_requests(host, port, queries, endpoints, args.soak_clients, args.requests, args.k,
                       stop=stop)
    bad_thread.join()
    samples = sampler.finish()
    before, after = samples[0], samples[-1]
    return {**row, **bad, "warmup_requests": args.warmup_requests, "rss_samples_mb": samples,
            "rss_before_mb": before, "rss_after_mb": after,
            "rss_growth": round(after / before - 1, 4),
            "ok": (row["errors"] == 0 and bad["bad_unexpected_status"] == 0
                   and after <= before * (1 + MAX_RSS_GROWTH))}


def print_run(name: str, r: dict) -> None:
    print(f"{name}: {r['requests']} good requests from {r['clients']} clients over "
          f"{', '.join(r['endpoints'])} in {r['duration_s']} s: {r['rps']} req/s, p50 "
          f"{r['p50_ms']} ms, p99 {r['p99_ms']} ms, errors {r['errors']} {r['statuses']}")
    if "bad_requests" in r:
        print(f"  bad requests sent: {r['bad_requests']}, with an unexpected status: "
              f"{r['bad_unexpected_status']}")
        for kind, st in r["bad_by_kind"].items():
            print(f"    {kind:<22}{st}")
    print(f"  server RSS samples (MB): {r['rss_samples_mb']}")
    print(f"  server RSS {r['rss_before_mb']} MB -> {r['rss_after_mb']} MB "
          f"({r['rss_growth']:+.1%}, limit +{MAX_RSS_GROWTH:.0%})  {'OK' if r['ok'] else 'FAIL'}")


def load_rows(host: str, port: int, queries: list[str], counts: list[int], args) -> list[dict]:
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
    header = f"{'endpoint':<11}{'clients':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}" \
             f"{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'batch':>7}"
    print(header)
    for r in rows:
        print(f"{r['endpoint']:<11}{r['clients']:>8}{r['requests']:>10}{r['rps']:>9}"
              f"{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}"
              f"{r['mean_batch']:>7}")
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--soak", action="store_true", help="10,000 mixed requests, 8 clients")
    mode.add_argument("--fault", action="store_true",
                      help="good clients while a ninth sends bad requests")
    ap.add_argument("--requests", type=int, default=None,
                    help="good requests for --soak (10000) / --fault (3000)")
    ap.add_argument("--soak-clients", type=int, default=8)
    ap.add_argument("--warmup-requests", type=int, default=1000,
                    help="--soak/--fault: requests before the memory baseline")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="JSON file (default benchmarks/results/"
                    "serve_load.json, serve_soak.json or serve_fault.json)")
    args = ap.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",")]
    if not all(1 <= c <= MAX_CLIENTS for c in counts) or not 1 <= args.soak_clients <= 64:
        ap.error(f"client counts must be between 1 and {MAX_CLIENTS}")
    if not 0 < args.duration <= MAX_DURATION:
        ap.error(f"--duration must be in (0, {MAX_DURATION:g}]")
    if not (args.index or args.url):
        ap.error("give --index (a server is started) or --url (queries then come from --index "
                 "when given)")
    if (args.soak or args.fault) and (args.url or not args.index):
        ap.error("--soak and --fault start the server themselves (to read its memory): give "
                 "--index and no --url")
    args.counts = counts
    args.requests = args.requests or (10_000 if args.soak else 3_000)
    if args.requests < 1:
        ap.error("--requests must be at least 1")
    name = "soak" if args.soak else "fault" if args.fault else "load"
    args.out = args.out or f"benchmarks/results/serve_{name}.json"
    args.mode = name
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
        print(f"index: {Path(info.get('index', '')).name}  entries: {info.get('entries')}  "
              f"model: {info.get('model')}  cpus: {os.cpu_count()}  load average: "
              f"{os.getloadavg()[0]:.1f}")
        if args.mode == "load":
            result: dict = {"rows": load_rows(host, port, queries, args.counts, args),
                            "duration_s": args.duration}
            ok = all(r["errors"] == 0 for r in result["rows"])
        else:
            assert proc is not None
            run = soak if args.soak else fault
            result = run(host, port, proc.pid, queries, args)
            print_run(args.mode, result)
            ok = result["ok"]
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    info = {**info, "index": shown(info.get("index")), "model": shown(info.get("model"))}
    out = {"mode": args.mode, "server": info, "cpus": os.cpu_count(),
           "load_average": [round(x, 2) for x in os.getloadavg()], **result,
           "command": "python benchmarks/serve_load.py " + " ".join(
               shown(a) if a == args.index else a
               for a in (sys.argv[1:] if argv is None else argv)),
           "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from termfit.fileio import write_json

    write_json(args.out, out)
    print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
