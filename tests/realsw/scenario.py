#!/usr/bin/python3
"""One real-software run: the agent watches the lab (lab.py) under steady load; attacks are made
while the profile learns (indicators must catch them), it must converge, a soak of the same load
must raise nothing, then every attack must raise an alert naming container, process and what
was new, and `profiles allow` must silence an accepted finding.

  scenario.py --agent BUILD/docker-anomalies --build-dir BUILD [--backend ebpf|ptrace]
              [--min-seconds 180] [--max-seconds 900] [--soak-seconds 1800] [--json OUT]

Exits 0 when every check held, 1 otherwise (the e2e test and `make bench` both run it; the
benchmark with the long durations of issue 9). Needs DOCKER_HOST and root.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

LEARNING_ATTACKS = ["redis-ssh-key", "reverse-shell"]
STABLE_ATTACKS = ["postgres-program", "redis-file-outside", "web-injection", "download-run", "docker-exec"]
# Made again once stable only after a long soak: within the alert gate's 300 s window the same
# alert in the same container is a counted repeat, sent when the window closes.
REPEATED_ATTACKS = LEARNING_ATTACKS
ALERT_SECONDS = 10


class Agent:
    def __init__(self, binary, backend, state_dir, alerts, min_seconds, learning_flags):
        self.log_path = os.path.join(state_dir, "..", "agent.log")
        self.log = open(self.log_path, "w")
        self.alerts = alerts
        self.proc = subprocess.Popen(
            [binary, "run", "--backend", backend, "--state-dir", state_dir, "--alert-json", alerts,
             "--learn-min-seconds", str(min_seconds), "--progress-seconds", "30"] + learning_flags,
            stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_output(self, needle, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if needle in self.output():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.5)
        return False

    def read_alerts(self):
        try:
            with open(self.alerts) as f:
                # Falco-compatible lines: our own fields are inside output_fields.
                return [json.loads(line)["output_fields"] for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def summary_line(a):
    return (f"{a['severity']} {a['kind']}{'/' + a['indicator'] if a.get('indicator') else ''} in "
            f"{a['container_name']}: {a['comm']} ({' '.join(a['cmdline'][:4])}) — {a['explanation'][:140]}")


def attack_and_wait(agent, state, name, label):
    """Runs one attack; the first new alert from the expected container within ALERT_SECONDS."""
    before = len(agent.read_alerts())
    started = time.time()
    info = lab.ATTACKS[name](state)
    container = state["containers"][info["container"]]
    deadline = started + ALERT_SECONDS + 5
    while time.time() < deadline:
        fresh = [a for a in agent.read_alerts()[before:] if a["container_name"] == container]
        # The alert that names what the attack did (others may come first: a new peer, a sequence).
        # Judged on what the alert says was new, not on its command line (which holds the attack).
        naming = [a for a in fresh if any(e in " ".join([a["subject"], a["explanation"], a.get("indicator", ""), a["exe"]])
                                          for e in info["expect"])]
        if naming or (fresh and time.time() > started + ALERT_SECONDS):
            a = (naming or fresh)[0]
            latency = a["time_ns"] / 1e9 - started
            ok = bool(naming) and a["pid"] > 0 and bool(a["comm"]) and bool(a["explanation"])
            ok = ok and latency <= ALERT_SECONDS
            print(f"  {label} {name}: {'ok' if ok else 'WRONG'} after {latency:.1f}s: {summary_line(a)}", flush=True)
            return {"attack": name, "phase": label, "detected": bool(ok), "latency_s": round(latency, 2),
                    "alerts": len(fresh), "first": summary_line(a)}
        time.sleep(0.25)
    print(f"  {label} {name}: MISSED (no alert from {container} in {ALERT_SECONDS}s)", flush=True)
    return {"attack": name, "phase": label, "detected": False}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--backend", default="ebpf")
    ap.add_argument("--min-seconds", type=int, default=180)
    ap.add_argument("--max-seconds", type=int, default=900)
    ap.add_argument("--novelty", type=float, default=1e-3)
    ap.add_argument("--soak-seconds", type=int, default=1800)
    ap.add_argument("--legacy-quiet-seconds", type=int,
                    help="run an agent from before convergence (it has --learn-quiet-seconds instead of "
                         "--learn-novelty/--learn-max-seconds), for the side-by-side baseline")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.environ.get("DOCKER_HOST") or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            print("FAILED: CI must run this as root with the private dockerd of tests/harness/run-e2e.sh")
            return 1
        print("SKIPPED: needs root and DOCKER_HOST of a private dockerd (make test starts one)")
        return 77

    work = tempfile.mkdtemp(prefix="da-realsw.")
    state_dir = os.path.join(work, "state")
    os.makedirs(state_dir)
    result = {"backend": args.backend, "min_seconds": args.min_seconds, "max_seconds": args.max_seconds,
              "novelty": args.novelty, "soak_seconds": args.soak_seconds, "attacks": []}
    learning_flags = (["--learn-quiet-seconds", str(args.legacy_quiet_seconds)] if args.legacy_quiet_seconds
                      else ["--learn-max-seconds", str(args.max_seconds), "--learn-novelty", str(args.novelty)])
    result["learning_flags"] = learning_flags
    agent = Agent(args.agent, args.backend, state_dir, os.path.join(work, "alerts.jsonl"), args.min_seconds,
                  learning_flags)
    state = None
    failures = []
    stop_load = threading.Event()
    loader = None
    try:
        if not agent.wait_output("Listening for docker events", 30):
            raise RuntimeError("the agent did not start:\n" + agent.output())
        state = lab.up(os.path.join(work, "lab.json"), args.build_dir)
        image = state["image"]
        t0 = time.time()

        def background_load():
            while not stop_load.is_set():
                lab.load(state, 20, stop_load)
        loader = threading.Thread(target=background_load, daemon=True)
        loader.start()

        # Attacks while learning: only indicators can see them.
        time.sleep(15)
        print("while learning:", flush=True)
        for name in LEARNING_ATTACKS:
            r = attack_and_wait(agent, state, name, "learning")
            result["attacks"].append(r)
            if not r["detected"]:
                failures.append(f"{name} while learning was not reported")

        # Convergence.
        stable = agent.wait_output(f"profile of {image} is stable", args.max_seconds + 120)
        result["seconds_to_stable"] = round(time.time() - t0, 1)
        line = next((l for l in agent.output().splitlines() if f"profile of {image} is stable" in l), "")
        result["stable_line"] = line
        print(f"stable after {result['seconds_to_stable']}s: {line}", flush=True)
        if not stable:
            failures.append("the profile never became stable")
            raise RuntimeError("not stable")
        result["converged"] = "converged" in line

        # Soak: the same load must raise nothing.
        soak_start_alerts = len(agent.read_alerts())
        soak_started = time.time()
        time.sleep(args.soak_seconds)
        soak = agent.read_alerts()[soak_start_alerts:]
        result["soak_alerts"] = len(soak)
        result["soak_alert_lines"] = [summary_line(a) for a in soak[:20]]
        print(f"soak of {args.soak_seconds}s under load: {len(soak)} alerts", flush=True)
        for a in soak[:20]:
            print("  " + summary_line(a), flush=True)
        if soak:
            failures.append(f"{len(soak)} alerts during the soak")

        print("after learning:", flush=True)
        for name in STABLE_ATTACKS + (REPEATED_ATTACKS if args.soak_seconds >= 300 else []):
            r = attack_and_wait(agent, state, name, "stable")
            result["attacks"].append(r)
            if not r["detected"]:
                failures.append(f"{name} was not reported")
            time.sleep(2)

        # Accepting a finding: allow what the web injection ran, and it is silent next time.
        allowed = subprocess.run([args.agent, "profiles", "allow", image, "--state-dir", state_dir,
                                  "--program", "/usr/bin/id", "--program", "/usr/bin/uname"],
                                 capture_output=True, text=True)
        print("profiles allow:", allowed.stdout.strip(), allowed.stderr.strip(), flush=True)
        reloaded = agent.wait_output(f"profile of {image} was replaced on disk", 15)
        before = len(agent.read_alerts())
        lab.inject(state, "id; uname -a")
        time.sleep(ALERT_SECONDS)
        app = state["containers"]["app"]
        again = [a for a in agent.read_alerts()[before:] if a["container_name"] == app]
        result["allow_silenced"] = allowed.returncode == 0 and reloaded and not again
        print(f"after allow: {len(again)} alerts for the same injection", flush=True)
        for a in again:
            print("  " + summary_line(a), flush=True)
        if not result["allow_silenced"]:
            failures.append("profiles allow did not silence the accepted finding")
    except Exception as e:  # noqa: BLE001 — report, then clean up
        failures.append(f"error: {e}")
    finally:
        # The load's clients end before the services go: a redis-benchmark whose server vanishes
        # spins at full CPU for ever, and a daemon thread's children outlive this process.
        stop_load.set()
        if loader:
            loader.join(timeout=90)
        agent.stop()
        if state:
            lab.down(state)
    out = agent.output()
    result["capture_summary"] = [l for l in out.splitlines() if l.startswith("captured ")]
    result["failures"] = failures
    print("agent summary:", "; ".join(result["capture_summary"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    if failures:
        print("FAILED: " + "; ".join(failures), flush=True)
        print("agent output (last 60 lines, without per-process lines):")
        print("\n".join([l for l in out.splitlines() if "onitoring process" not in l][-60:]))
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
