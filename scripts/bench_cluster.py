"""The cluster figures of `scripts/bench.sh --only cluster` (Shoal only: Docker swarm mode's figures on this
machine are the reference numbers in the cluster issue).

Each round makes a fresh local cluster with `shoal cluster up --nodes 5 --managers 3` in a directory of its own
(SHOAL_CLUSTER_ROOT), then, in order:
  cluster-up         wall time of `shoal cluster up` (it returns once the first manager lists all 5 nodes Ready);
  worker-down-5s     a worker's daemon killed (SIGKILL by pid) -> `node inspect` on the leader says down, with the
                     default 5 s heartbeat;
  leader-failover    the leader's daemon and its etcd killed by pid -> another manager's `node ls` shows a new Leader,
                     and -> that manager accepts a write (`node update --label-add`);
  worker-down-1s     `swarm update --dispatcher-heartbeat 1s`, the workers told (one old period), then another
                     worker killed -> down.
The cluster is removed with `shoal cluster down` (every daemon by its recorded pid) after each round, also on error.
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

NODES, MANAGERS = 5, 3


def _docker(docker_cli, socket, *args, timeout=15):
    env = dict(os.environ, DOCKER_HOST=f"unix://{socket}")
    return subprocess.run([docker_cli, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _wait(seconds, condition, interval=0.05):
    """Polls condition until true; returns the seconds it took, or None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def one_round(binary, docker_cli, index, log):
    root = tempfile.mkdtemp(prefix="shoal-bench-cluster-", dir="/var/tmp")
    env = dict(os.environ, SHOAL_CLUSTER_ROOT=root)
    name = f"bench{os.getpid() % 10000}r{index}"
    out = {}
    try:
        started = time.monotonic()
        up = subprocess.run([binary, "cluster", "up", "--name", name, "--nodes", str(NODES), "--managers",
                             str(MANAGERS)], env=env, capture_output=True, text=True, timeout=300)
        if up.returncode != 0:
            raise RuntimeError(f"cluster up failed: {up.stdout}{up.stderr}")
        out["cluster_up_s"] = time.monotonic() - started
        state = json.load(open(f"{root}/data/{name}/cluster.json"))
        nodes = {n["index"]: n for n in state["nodes"]}

        def sock(i):
            return nodes[i]["socket"]

        def host(i):
            return nodes[i]["hostname"]

        def state_of(on, i):
            r = _docker(docker_cli, sock(on), "node", "inspect", "-f", "{{.Status.State}}", host(i))
            return r.stdout.strip() if r.returncode == 0 else None

        # Worker Down, default heartbeat (5 s): Docker marks it after 3 missed periods.
        killed = time.monotonic()
        os.kill(nodes[5]["pid"], signal.SIGKILL)
        if _wait(40, lambda: state_of(1, 5) == "down") is None:
            raise RuntimeError("worker 5 not down within 40 s (5 s heartbeat)")
        out["worker_down_5s_s"] = time.monotonic() - killed

        # Leader failover: daemon and etcd of node 1 killed by pid.
        with open(f"{root}/data/{name}/node-1/swarm/etcd.pid") as f:
            etcd_pid = int(f.read().split()[0])
        killed = time.monotonic()
        os.kill(nodes[1]["pid"], signal.SIGKILL)
        os.kill(etcd_pid, signal.SIGKILL)
        seen = {}

        def new_leader():
            r = _docker(docker_cli, sock(2), "node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}")
            if r.returncode != 0:
                return False
            leaders = [line for line in r.stdout.splitlines()
                       if line.endswith(" Leader") and not line.startswith(host(1) + " ")]
            if leaders and "leader_s" not in seen:
                seen["leader_s"] = time.monotonic() - killed
            if not leaders:
                return False
            w = _docker(docker_cli, sock(2), "node", "update", "--label-add", f"bench={index}", host(2))
            return w.returncode == 0

        if _wait(30, new_leader, interval=0.02) is None:
            raise RuntimeError("no new leader accepting writes within 30 s")
        out["leader_s"] = seen["leader_s"]
        out["leader_write_s"] = time.monotonic() - killed

        # Worker Down with a 1 s heartbeat (set on the new leader's cluster; workers learn it at their next beat).
        r = _docker(docker_cli, sock(2), "swarm", "update", "--dispatcher-heartbeat", "1s")
        if r.returncode != 0:
            raise RuntimeError(f"swarm update: {r.stderr}")
        time.sleep(6)
        killed = time.monotonic()
        os.kill(nodes[4]["pid"], signal.SIGKILL)
        if _wait(20, lambda: state_of(2, 4) == "down") is None:
            raise RuntimeError("worker 4 not down within 20 s (1 s heartbeat)")
        out["worker_down_1s_s"] = time.monotonic() - killed
        log(f"cluster round {index}: up {out['cluster_up_s']:.2f} s, worker down (5 s) {out['worker_down_5s_s']:.2f} s, "
            f"new leader {out['leader_s']:.2f} s, write {out['leader_write_s']:.2f} s, "
            f"worker down (1 s) {out['worker_down_1s_s']:.2f} s")
        return out
    finally:
        subprocess.run([binary, "cluster", "down", "--name", name], env=env, capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


ROWS = [
    ("cluster up --nodes 5 --managers 3, all Ready", "cluster_up_s", "-"),
    ("worker killed -> Down, 5 s heartbeat", "worker_down_5s_s", "<= 16 s (Docker here: 10-15 s)"),
    ("leader killed -> new Leader in node ls", "leader_s", "-"),
    ("leader killed -> new Leader accepts a write", "leader_write_s", "<= 3 s (Docker here: 9.5-15 s)"),
    ("worker killed -> Down, 1 s heartbeat", "worker_down_1s_s", "<= 4 s"),
]


def run(binary, docker_cli, rounds, log):
    """Runs `rounds` rounds; returns (samples by key, errors)."""
    samples, errors = {}, []
    for i in range(rounds):
        try:
            for key, value in one_round(binary, docker_cli, i, log).items():
                samples.setdefault(key, []).append(value)
        except (RuntimeError, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
            errors.append(f"round {i}: {e}")
            log(f"cluster round {i} failed: {e}")
    return samples, errors


def print_table(samples, rounds):
    print(f"Shoal local cluster ({NODES} hosts, {MANAGERS} managers, one network namespace each), {rounds} rounds:")
    widths = (46, 3, 9, 9, 9, 34)
    header = ("workload", "n", "median", "min", "max", "issue 4 target")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for label, key, target in ROWS:
        xs = samples.get(key, [])
        if not xs:
            continue
        row = (label, str(len(xs)), f"{statistics.median(xs):.2f} s", f"{min(xs):.2f} s", f"{max(xs):.2f} s", target)
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
