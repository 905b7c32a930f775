"""The lab's web app: a small Python service that does what many do — serves JSON, keeps a
counter file, and shells out to look things up. /lookup builds a shell command from the query
string: the command injection the attack scenarios use."""
import json
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DATA = "/srv/app/people.txt"
STATE = "/tmp/app-state"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/health":
            self.reply(200, {"ok": True, "time": time.time()})
        elif url.path == "/lookup":
            name = query.get("name", [""])[0]
            # Vulnerable on purpose: the name goes into a shell command line.
            out = subprocess.run("grep -i '^" + name + " ' " + DATA + " | cut -d' ' -f2",
                                 shell=True, capture_output=True, text=True, timeout=10)
            self.reply(200, {"name": name, "id": out.stdout.strip()})
        elif url.path == "/uptime":
            out = subprocess.run(["cat", "/proc/uptime"], capture_output=True, text=True)
            self.reply(200, {"uptime": out.stdout.split()[0] if out.stdout else ""})
        elif url.path == "/count":
            os.makedirs(STATE, exist_ok=True)
            path = os.path.join(STATE, "count")
            n = int(open(path).read()) + 1 if os.path.exists(path) else 1
            with tempfile.NamedTemporaryFile("w", dir=STATE, delete=False) as f:
                f.write(str(n))
            os.replace(f.name, path)
            self.reply(200, {"count": n})
        else:
            self.reply(404, {"error": "not found"})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
