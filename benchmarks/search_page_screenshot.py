"""Screenshot of the search page (docs/search-page.png) with headless Chromium.

    python benchmarks/search_page_screenshot.py --index INDEX_DIR --query "이동성 관리 기능"
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--query", default="이동성 관리 기능")
    ap.add_argument("--out", default="docs/search-page.png")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)

    import torch
    import uvicorn
    from playwright.sync_api import sync_playwright
    from threadpoolctl import threadpool_limits

    from termfit.server import Settings, create_app

    torch.set_num_threads(1)  # as `termfit serve` runs, so the page shows its timings
    threadpool_limits(1)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(args.index, settings=Settings(reload_on_sighup=False))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 820}, locale="ko-KR")
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("#q", "AMF")  # warm-up: the first query loads lazily initialised parts
            page.locator("li.hit").first.wait_for(timeout=30_000)
            page.fill("#q", "")
            page.locator("li.hit").first.wait_for(state="detached", timeout=30_000)
            page.locator("#q").press_sequentially(args.query, delay=30)
            page.wait_for_function(  # the last keystroke's results, not an earlier prefix's
                "q => document.getElementById('status').textContent.includes('ms') && "
                "document.getElementById('q').value === q", arg=args.query, timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=args.out)
            browser.close()
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
