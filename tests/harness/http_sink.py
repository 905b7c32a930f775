#!/usr/bin/python3
"""An HTTP receiver for the webhook tests, on 127.0.0.1: every POST body is written to
DIR/<n>.json (and its headers to DIR/<n>.headers). Answers 200, or --status CODE.
Prints "ready" once listening; runs until SIGTERM.  Usage: http_sink.py PORT DIR [--status N]
"""
import argparse
import http.server
import os
import signal
import threading


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("dir")
    p.add_argument("--status", type=int, default=200)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    counter = {"n": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                counter["n"] += 1
                n = counter["n"]
            base = os.path.join(a.dir, f"{n:04d}")
            with open(base + ".headers", "w") as f:
                f.write(str(self.headers))
            with open(base + ".json.tmp", "wb") as f:
                f.write(body)
            os.rename(base + ".json.tmp", base + ".json")
            self.send_response(a.status)
            self.end_headers()
            self.wfile.write(b"ok" if a.status < 300 else b"refused")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
