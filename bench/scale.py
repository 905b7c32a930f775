"""Measures partitioned detection (bench/scale.sh): ingest cost in Redis, drain rate with 1, 2
and 4 detectors, alert latency under a steady rate, and recovery after a detector is killed.
Every number comes from this run: wall clocks, /proc CPU times and Redis INFO."""
import json, os, signal, socket, statistics, subprocess, sys, tempfile, time

build, recording, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
binary, loadgen = f"{build}/docker-anomalies", f"{build}/bench/da_loadgen"
SHARDS, AGENTS, IMAGES = 8, 2, 16
work = tempfile.mkdtemp(prefix="da-scale-")
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


port = free_port()
url = f"redis://127.0.0.1:{port}"
redis = subprocess.Popen(["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", work], stdout=subprocess.DEVNULL)


class Resp:
    """One connection speaking RESP: polling through redis-cli would cost the CPU measured."""

    def __init__(self):
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.1)
        self.buf = self.sock.makefile("rb")

    def __call__(self, *args):
        out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in map(str, args))
        self.sock.sendall(out)
        return self.reply()

    def reply(self):
        line = self.buf.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self.buf.read(int(rest) + 2)[:-2]
        if kind == b"*":
            return None if int(rest) < 0 else [self.reply() for _ in range(int(rest))]
        raise RuntimeError(line)


cli = Resp()


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0


def used_memory():
    for line in cli("info", "memory").decode().splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])


def streams(stream):
    return [f"{stream}:{k}" for k in range(SHARDS)]


def last_ids(stream):
    ids = {}
    for s in streams(stream):
        last = cli("xrevrange", s, "+", "-", "count", "1")
        ids[s] = last[0][0] if last else None
    return ids


def id_tuple(i):
    return tuple(int(x) for x in i.split(b"-")) if i else (0, 0)


def caught_up(stream, upto=None):
    """Every shard checkpointed up to `upto` (stream -> id; default: its last entry)."""
    for s, last in (upto or last_ids(stream)).items():
        if last and id_tuple(cli("get", f"{s}:checkpoint")) < id_tuple(last):
            return False
    return True


def run_loadgen(stream, *extra):
    out = subprocess.run([loadgen, "--redis", url, "--stream", stream, "--shards", str(SHARDS), "--agents", str(AGENTS),
                          "--images", str(IMAGES), *extra], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def detector(stream, name, *extra):
    log = open(f"{work}/{name}.log", "w")
    return subprocess.Popen([binary, "detect", "--redis", url, "--stream", stream, "--shards", str(SHARDS),
                             "--consumer", name, "--state-dir", f"{work}/state-{name}", *extra],
                            stdout=log, stderr=subprocess.STDOUT)


def stop(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=60)


def drain(detectors, round_no):
    """Prefilled stream, then `detectors` start together: until every shard is checkpointed."""
    stream = f"scale-{detectors}-{round_no}"
    before = used_memory()
    redis_cpu = cpu_seconds(redis.pid)
    sent = run_loadgen(stream, "--recording", recording, "--events", "1", "--stream-maxlen", "100000")
    ingest_cpu = cpu_seconds(redis.pid) - redis_cpu
    memory = used_memory() - before
    redis_cpu = cpu_seconds(redis.pid)
    start = time.monotonic()
    procs = [detector(stream, f"d{detectors}-{round_no}-{i}") for i in range(detectors)]
    while not caught_up(stream):
        time.sleep(0.05)
    seconds = time.monotonic() - start
    drain_cpu = cpu_seconds(redis.pid) - redis_cpu
    det_cpu = [cpu_seconds(p.pid) for p in procs]
    det_rss = [rss_mb(p.pid) for p in procs]
    stop(procs)
    cli("del", *streams(stream), *[f"{s}:profiles" for s in streams(stream)])
    cli("memory", "purge")
    events = sent["events"]
    return dict(events=events, ingest_rate=sent["events_per_second"], seconds=seconds, rate=events / seconds,
                detector_cpu_us=sum(det_cpu) / events * 1e6, detector_rss=max(det_rss),
                redis_ingest_cpu_per_m=ingest_cpu / events * 1e6, redis_drain_cpu_per_m=drain_cpu / events * 1e6,
                redis_bytes_per_event=memory / events)


def latency(rate, seconds):
    """Two detectors, stable profiles, a steady rate; a novel file every 5,000 events."""
    stream = f"scale-latency-{rate}"
    learning = ["--learn-min-seconds", "2", "--learn-novelty", "1", "--alert-window-seconds", "0",
                "--alert-rate-per-minute", "0"]
    alerts = [f"{work}/latency-{rate}-{i}.jsonl" for i in range(2)]
    procs = [detector(stream, f"lat-{rate}-{i}", *learning, "--alert-json", alerts[i]) for i in range(2)]
    time.sleep(4)  # leases settle
    run_loadgen(stream, "--events", "4000")
    time.sleep(4)  # profiles stable
    arrived = {}

    def watch():
        for path in alerts:
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for line in f:
                    a = json.loads(line)
                    key = (a["output_fields"]["container_name"], a["output_fields"]["time_ns"])
                    if key not in arrived:  # when we first saw it, and when its event happened
                        arrived[key] = (time.time(), a["output_fields"]["time_ns"] / 1e9)

    gen = subprocess.Popen([loadgen, "--redis", url, "--stream", stream, "--shards", str(SHARDS), "--agents", str(AGENTS),
                            "--images", str(IMAGES), "--events", str(int(rate * seconds / AGENTS / IMAGES)),
                            "--rate", str(rate), "--novel-every", "5000"], stdout=subprocess.PIPE, text=True)
    while gen.poll() is None:
        watch()
        time.sleep(0.01)
    end = time.time() + 5
    while time.time() < end:
        watch()
        time.sleep(0.01)
    stop(procs)
    lat = []
    for seen, happened in arrived.values():
        lat.append(seen - happened)
    lat.sort()
    expected = int(rate * seconds) // 5000
    return dict(rate=rate, alerts=len(lat), expected=expected, p50=lat[len(lat) // 2] if lat else float("nan"),
                p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"))


def recovery(lease_ms, rate):
    """Two detectors at a steady rate; one is killed: until its shards are held and caught up."""
    stream = f"scale-recovery-{lease_ms}"
    procs = [detector(stream, f"rec-{lease_ms}-{i}", "--lease-ms", str(lease_ms), "--learn-min-seconds", "3600")
             for i in range(2)]
    survivor = f"rec-{lease_ms}-1".encode()
    time.sleep(lease_ms / 1000 + 2)
    gen = subprocess.Popen([loadgen, "--redis", url, "--stream", stream, "--shards", str(SHARDS), "--agents", str(AGENTS),
                            "--images", str(IMAGES), "--events", str(int(rate * (lease_ms / 1000 + 12) / AGENTS / IMAGES)),
                            "--rate", str(rate)], stdout=subprocess.PIPE, text=True)
    time.sleep(3)
    procs[0].send_signal(signal.SIGKILL)
    killed = time.monotonic()
    at_kill = last_ids(stream)  # caught up: everything published before the kill is handled
    held = None
    while True:
        holders = {cli("get", f"{s}:lease") for s in streams(stream)}
        if held is None and holders == {survivor}:
            held = time.monotonic() - killed
        if held is not None and caught_up(stream, at_kill):
            break
        time.sleep(0.05)
    caught = time.monotonic() - killed
    gen.wait()
    stop(procs[1:])
    return dict(lease_ms=lease_ms, rate=rate, taken_over=held, caught_up=caught)


try:
    results = {d: [drain(d, r) for r in range(rounds)] for d in (1, 2, 4)}
    print(f"# {rounds} rounds, medians; {AGENTS} agents x {IMAGES} containers replaying "
          f"{sum(1 for _ in open(recording))} recorded redis-server calls each; {SHARDS} shards")
    print("| detectors | events | drained in | events/s (all) | detector CPU per event | detector RSS | Redis CPU per M events (ingest + drain) | Redis memory per event |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for d, rs in results.items():
        m = lambda k: statistics.median(r[k] for r in rs)
        print(f"| {d} | {m('events') / 1e6:.2f} M | {m('seconds'):.2f} s | {m('rate') / 1e6:.2f} M | "
              f"{m('detector_cpu_us'):.2f} µs | {m('detector_rss'):.0f} MB | "
              f"{m('redis_ingest_cpu_per_m'):.2f} + {m('redis_drain_cpu_per_m'):.2f} s | {m('redis_bytes_per_event'):.0f} B |")
    print(f"# loadgen ingest rate (median): {statistics.median(r['ingest_rate'] for rs in results.values() for r in rs) / 1e6:.2f} M events/s")
    for rate in (50000, 200000):
        l = latency(rate, 20)
        print(f"latency at {rate} events/s: {l['alerts']} of {l['expected']} alerts, p50 {l['p50']:.3f} s, p99 {l['p99']:.3f} s")
    for lease in (2000, 10000):
        r = recovery(lease, 100000)
        print(f"recovery (lease {lease} ms, 100 k events/s): shards held again after {r['taken_over']:.1f} s, "
              f"caught up after {r['caught_up']:.1f} s")
finally:
    redis.terminate()
    redis.wait()
