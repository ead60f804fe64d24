#!/usr/bin/env python3
"""Shoal vs Docker, side by side: the project's benchmark command.

Starts a Shoal daemon (release build) and Debian's dockerd 20.10, each on its own socket, data root and exec root,
loads the same busybox image into both, and times the stock docker CLI against each, alternating run by run so that
drift on the machine hits both equally. Prints a table (median, p90, Shoal/Docker ratio of medians) and writes the
raw samples to bench-results/<timestamp>.json.

Workloads (select with --only, comma-separated or repeated; engine names select engines):
  run-true, run-detached, batch     containers with `--network none` on both sides (network setup not compared);
  commit-diff                       `docker diff` and `docker commit` of a stopped container that wrote 50 files of
                                    1 MiB (the container's run and the image's removal untimed);
                                    dockerd runs with --bridge=none --iptables=false for these.
  health-cpu                        100 containers with a 1 s healthcheck (`--health-cmd true`), all healthy: the
                                    CPU the daemon process itself (shoal / dockerd) and the whole machine (the
                                    engine and its checks' runc, however parented: run it on a quiet machine) use
                                    over 60 s, one engine at a time; --health-rounds.
  net-create                        `docker network create` (rm untimed).
  run-net                           `docker run -d --network <user net>` until it returns; a peer on the same
                                    network then resolves the new name at once (failures counted and printed).
  dns-p50, dns-qps                  the embedded DNS, from inside a container's netns (nsenter + a stdlib python
                                    UDP client on 127.0.0.11:53): one query in flight (p50/p99), 16 in flight
                                    (q/s, p99).
  tcp-throughput                    ~2 GiB over TCP between two containers on one user network (python in each netns).
  logs-read, logs-follow            `docker logs` of a container that wrote --logs-mb MiB (100) of 100-byte lines, and
                                    `logs -f` throughput (first byte to end, MB/s) while a container writes as much;
                                    default log driver (json-file) on both sides, `--network none`.
  Groups: "classic" (the first five), "network" (the five after them), "logs" (the two log workloads).
  cluster                           Shoal only, not combinable with the others: a 5-host local cluster (3 managers)
                                    per round: `shoal cluster up` time, worker Down (5 s and 1 s heartbeat), leader
                                    killed -> new Leader and a write (see scripts/bench_cluster.py); --cluster-rounds.
  overlay                           Shoal vs a Docker 20.10 swarm, not combinable with the workloads above: 3 hosts
                                    per engine (network namespaces, one manager), an attachable overlay, alternating:
                                    overlay-resolve (run/rm on host 1 -> the name resolves/is gone on host 2),
                                    overlay-run, overlay-dns-qps (a remote name), overlay-throughput (overlay vs the
                                    underlay); `overlay` is all four, `shoal`/`docker` select an engine; --iterations,
                                    --net-rounds, --tcp-rounds (see scripts/bench_overlay.py).
  vip-balancer                      Shoal only, not combinable with the others: new connections/s and requests/s
                                    through a service VIP balanced by nftables in a client's network namespace,
                                    against straight to a backend (scripts/bench_vip.py); --vip-rounds,
                                    --vip-seconds.
  control-plane                     Shoal only, alone: the control plane's scale simulation (issue 12): a real
                                    leader and simulated nodes (real agents over a fake engine) in child
                                    processes; join, create, scale, rolling update, node loss, each timed until
                                    converged; placements/s, leader RSS/CPU, etcd RSS and db size, dispatcher
                                    messages/s, beside the Swarm2K and C1M anchors; --sim-nodes, --sim-tasks …
                                    (full scale by default; see scripts/bench_control_plane.py).
  endpoint                          Shoal's cluster endpoint (5 hosts, a credentials bundle) vs the node itself vs
                                    Docker 20.10's node-local run, alone: docker run -d three ways, docker ps -a
                                    with 1,000 containers, 200 runs 8 at a time and their spread; --iterations is
                                    the rounds of the first, 20 by default (see scripts/bench_endpoint.py).
  services                          Shoal vs a Docker 20.10 swarm, alone like overlay and on the same 3-host clusters:
                                    swarm services through the manager, alternating round by round: service-create-1,
                                    service-create-10, service-create-50 (create until all Running),
                                    service-scale-50-100, service-update-50 (rolling update, parallelism 10, until
                                    completed), service-dns-scale (tasks.X on every host after a scale, lag from the
                                    tasks' Running), service-update-load (failed requests through the mesh during a
                                    start-first update), service-mesh-rate (mesh from a host with no task against
                                    direct), service-rebalance (a drained host set active under load: time until
                                    even, failed requests), service-node-loss (a host's daemon killed: Down, then
                                    its tasks Running elsewhere), runc-floor (no engine: 50 task containers
                                    started by runc alone, the floor of service-create-50); `services` is all
                                    eleven, `shoal`/`docker` select an engine; --iterations
                                    is the rounds, 3 by default here (see scripts/bench_services.py).
For the network workloads dockerd is (re)started with networking on: iptables, its own pre-made bridge, its own
address pool. Each engine gets a bridge name and a 10.x.0.0/16 of its own that no host route overlaps, and a dead
loopback upstream DNS (only container names are queried: no traffic leaves the machine). Everything they add to
the host is undone at the end: bridges, Shoal's nftables table, the DOCKER* iptables chains and the rules dockerd
added, chain policies, ip_forward.

Everything the bench starts is stopped by pid, and its roots are unmounted and deleted, also on Ctrl-C or error
(unless --keep). Needs root. Python 3 standard library only.
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import io
import ipaddress
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER_CLI = "/usr/local/bin/docker" if os.path.exists("/usr/local/bin/docker") else "docker"
IMAGE = "shoalbench/busybox:latest"
APPLETS = ["sh", "true", "sleep", "echo", "cat", "yes", "head"]
BATCH_SIZE = 100
PARALLELISM = 8
SYSTEM_CONTAINERD_SOCK = "/run/containerd/containerd.sock"
ENGINES = ("shoal", "docker")
CLASSIC_WORKLOADS = ("run-true", "run-detached", "batch", "commit-diff", "health-cpu")
NETWORK_WORKLOADS = ("net-create", "run-net", "dns-p50", "dns-qps", "tcp-throughput")
LOG_WORKLOADS = ("logs-read", "logs-follow")
WORKLOADS = CLASSIC_WORKLOADS + NETWORK_WORKLOADS + LOG_WORKLOADS
GROUPS = {"classic": CLASSIC_WORKLOADS, "network": NETWORK_WORKLOADS, "logs": LOG_WORKLOADS}
OVERLAY_WORKLOADS = ("overlay-resolve", "overlay-run", "overlay-dns-qps", "overlay-throughput")  # bench_overlay.py
SERVICES_WORKLOADS = ("service-create-1", "service-create-10", "service-create-50", "service-scale-50-100",
                      "service-update-50", "service-dns-scale", "service-update-load",
                      "service-mesh-rate", "service-rebalance", "service-node-loss",
                      "runc-floor")  # bench_services.py
BENCH_NET = "shoalbench-net"          # the user network of the network workloads (one per engine)
DEAD_DNS = "127.0.0.254"              # upstream of both embedded DNS servers: nothing listens there
DNS_SECONDS = 3.0
DNS_IN_FLIGHT = 16
TCP_BYTES = 2 << 30
TCP_PORT = 5201


class Interrupted(BaseException):
    """Raised by the signal handler; a BaseException so that no `except Exception` swallows it."""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes and /proc

def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def alive(pid):
    stat = read(f"/proc/{pid}/stat")
    if stat is None:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def cmdline(pid):
    raw = read(f"/proc/{pid}/cmdline", "")
    return raw.split("\0")[:-1] if raw else []


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def ppid(pid):
    stat = read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])


def children(pid):
    return [p for p in all_pids() if ppid(p) == pid]


def memory_kib(pid):
    """(PSS, RSS) in KiB; PSS is None when smaps_rollup is not readable."""
    pss = None
    rollup = read(f"/proc/{pid}/smaps_rollup")
    if rollup:
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
                break
    rss = 0
    for line in (read(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return pss, rss


def stop_pid(pid, name, expect=None, timeout=30.0):
    """SIGTERM, wait, SIGKILL. `expect` (a substring of argv[0]) guards against a reused pid."""
    if pid is None or not alive(pid):
        return
    if expect and not any(expect in a for a in cmdline(pid)[:1]):
        log(f"not stopping pid {pid} ({name}): it is no longer {expect}")
        return
    log(f"stopping {name} (pid {pid})")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    if alive(pid):
        log(f"{name} (pid {pid}) still alive after {timeout:.0f}s: SIGKILL")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.05)


def kill_tree(pid, expect):
    """SIGKILL a leftover monitor (conmon / shim) and its container process tree."""
    if not alive(pid) or not any(expect in a for a in cmdline(pid)[:1]):
        return
    stack, tree = [pid], []
    while stack:
        p = stack.pop()
        tree.append(p)
        stack.extend(children(p))
    for p in reversed(tree):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def ping(sock_path, timeout=1.0):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = s.recv(64)
        s.close()
        return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def api_ms(sock_path, method, path, timeout=300.0):
    """One Engine API call over the unix socket, read to its end: (milliseconds, status, body). The CLI's own
    start (~15 ms here, the same for both engines) is not in it."""
    start = time.perf_counter()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                  .encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    ms = (time.perf_counter() - start) * 1000.0
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return ms, status, body


# ---------------------------------------------------------------- mounts

def mountpoints_under(prefixes):
    points = []
    for line in (read("/proc/self/mountinfo") or "").splitlines():
        mp = line.split()[4].replace("\\040", " ")
        if any(mp == p or mp.startswith(p.rstrip("/") + "/") for p in prefixes):
            points.append(mp)
    return points


def unmount_all(prefixes):
    for _ in range(5):
        points = mountpoints_under(prefixes)
        if not points:
            return True
        for mp in sorted(set(points), key=lambda p: -p.count("/")):
            if subprocess.run(["umount", mp], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", mp], capture_output=True)
    left = mountpoints_under(prefixes)
    if left:
        log(f"mounts left under {prefixes}: {left}")
    return not left


# ---------------------------------------------------------------- the host's network: plan, snapshot, restore

def run_quiet(argv, timeout=30):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return subprocess.CompletedProcess(argv, 1, "", str(e))


def stop_netns_helpers(owner, helpers):
    """Kills (by pid) and reaps the helper processes an engine started in its containers' namespaces."""
    for proc in helpers:
        if proc.poll() is None:
            log(f"{owner}: stopping netns helper (pid {proc.pid})")
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def link_names():
    try:
        return set(os.listdir("/sys/class/net"))
    except OSError:
        return set()


def link_ipv4(name):
    out = run_quiet(["ip", "-4", "-o", "addr", "show", "dev", name]).stdout
    return [f.split("/")[0] for line in out.splitlines() for i, f in enumerate(line.split())
            if i > 0 and line.split()[i - 1] == "inet"]


def host_ipv4_networks():
    """Every IPv4 destination in any routing table and every address on the host (default routes left out)."""
    nets = []
    out = run_quiet(["ip", "-4", "-o", "route", "show", "table", "all"]).stdout
    out += run_quiet(["ip", "-4", "-o", "addr"]).stdout.replace(" inet ", "\n")
    for line in out.splitlines():
        for token in line.split()[:2]:
            try:
                nets.append(ipaddress.ip_network(token, strict=False))
                break
            except ValueError:
                continue
    return nets


def nft_tables():
    out = run_quiet(["nft", "list", "tables"]).stdout if shutil.which("nft") else ""
    return {line[len("table "):].strip() for line in out.splitlines() if line.startswith("table ")}


def fnv1a32(text):
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{h:08x}"


def iptables_save(binary):
    """{table: {"chains": {name: policy}, "rules": ["-A CHAIN ...", ...]}} from `<binary>-save`."""
    tables, cur = {}, None
    for line in run_quiet([binary + "-save"]).stdout.splitlines():
        if line.startswith("*"):
            cur = tables.setdefault(line[1:].strip(), {"chains": {}, "rules": []})
        elif line.startswith(":") and cur is not None:
            name, policy = line[1:].split()[:2]
            cur["chains"][name] = policy
        elif line.startswith("-A ") and cur is not None:
            cur["rules"].append(line)
    return tables


BUILTIN_CHAINS = {"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"}
SYSCTLS = ("net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables")


class NetPlan:
    """One engine's share of the host: its default bridge and a 10.x.0.0/16 (bridge /24 at 10.x.255.0, user
    networks /24s from 10.x.0.0/17)."""

    def __init__(self, bridge, octet):
        self.bridge = bridge
        self.octet = octet
        self.range = ipaddress.ip_network(f"10.{octet}.0.0/16")
        self.bip = f"10.{octet}.255.1/24"
        self.pool = f"base=10.{octet}.0.0/17,size=24"

    def owns_address(self, address):
        try:
            return ipaddress.ip_address(address) in self.range
        except ValueError:
            return False


class HostNetwork:
    """What the engines change on the host's network, taken before they start and undone after they stopped:
    links (bridges, and veths left on them), Shoal's nftables table, the iptables chains and rules dockerd adds,
    tables iptables-nft created for it, chain policies and the forwarding / bridge-netfilter sysctls."""

    def __init__(self):
        self.links = link_names()
        self.tables = nft_tables()
        self.sysctls = {k: read("/proc/sys/" + k) for k in SYSCTLS}
        self.iptables = {b: iptables_save(b) for b in ("iptables", "ip6tables") if shutil.which(b + "-save")}
        self.iptables_nft = "nf_tables" in run_quiet(["iptables", "--version"]).stdout
        taken = host_ipv4_networks()
        free = [o for o in range(239, 199, -1)
                if not any(n.overlaps(ipaddress.ip_network(f"10.{o}.0.0/16")) for n in taken)]
        if len(free) < 2:
            raise RuntimeError("no two free 10.x.0.0/16 (x in 200..239) for the engines' networks")
        tag = os.getpid() % 100000
        self.shoal = NetPlan(f"shbs{tag}", free[0])
        self.docker = NetPlan(f"shbd{tag}", free[1])
        for plan in (self.shoal, self.docker):
            if plan.bridge in self.links:
                raise RuntimeError(f"link {plan.bridge} exists already")
        self.shoal_table = None  # set when Shoal starts: ip shoal_<fnv1a(exec root)>

    def make_docker_bridge(self):
        """dockerd's `-b` needs an existing bridge: ours, with the /24 its default network takes."""
        name = self.docker.bridge
        for argv in (["ip", "link", "add", name, "type", "bridge"], ["ip", "addr", "add", self.docker.bip, "dev", name],
                     ["ip", "link", "set", name, "up"]):
            result = run_quiet(argv)
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
        log(f"host: made bridge {name} ({self.docker.bip}) for dockerd")

    def restore(self):
        """Undo, in order: links, Shoal's table, dockerd's iptables, empty tables iptables-nft made, sysctls."""
        plans = (self.shoal, self.docker)
        ours = set()
        for name in link_names() - self.links:
            if name in (self.shoal.bridge, self.docker.bridge) or (
                    os.path.isdir(f"/sys/class/net/{name}/bridge") and
                    any(p.owns_address(a) for p in plans for a in link_ipv4(name))):
                ours.add(name)
        for name in link_names() - self.links:  # veths still on our bridges go first
            master = os.path.realpath(f"/sys/class/net/{name}/master")
            if name not in ours and os.path.basename(master) in ours:
                self._run(["ip", "link", "del", name])
        for name in sorted(ours):
            self._run(["ip", "link", "del", name])
        if self.shoal_table and ("ip " + self.shoal_table) in nft_tables() - self.tables:
            self._run(["nft", "delete", "table", "ip", self.shoal_table])
        bridges = [p.bridge for p in plans] + sorted(ours)
        marks = re.compile(r"(?<![\w.-])(%s)(?![\w.-])|(?<![\d.])10\.%d\." % (
            "|".join(re.escape(b) for b in bridges), self.docker.octet))
        for binary, before in self.iptables.items():
            self._restore_iptables(binary, before, marks)
        for key, value in self.sysctls.items():
            now = read("/proc/sys/" + key)
            if value is not None and now is not None and now.strip() != value.strip():
                log(f"host: restoring {key.replace('/', '.')} = {value.strip()} (was {now.strip()})")
                try:
                    with open("/proc/sys/" + key, "w") as f:
                        f.write(value.strip())
                except OSError as e:
                    log(f"host: cannot restore {key}: {e}")

    def _restore_iptables(self, binary, before, marks):
        after = iptables_save(binary)
        for table, now in after.items():
            old = before.get(table, {"chains": {}, "rules": []})
            new_chains = [c for c in now["chains"] if c not in old["chains"] and c.startswith("DOCKER")]
            remaining = {}
            for rule in old["rules"]:
                remaining[rule] = remaining.get(rule, 0) + 1
            for rule in now["rules"]:
                if remaining.get(rule):
                    remaining[rule] -= 1
                    continue
                args = shlex.split(rule)
                if args[1] in new_chains:
                    continue  # flushed with its chain below
                target = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-j", "-g", "--jump", "--goto")),
                              None)
                if target in new_chains or marks.search(rule):
                    self._run([binary, "-t", table, "-D", *args[1:]])
            for chain in new_chains:
                self._run([binary, "-t", table, "-F", chain])
            for chain in new_chains:
                self._run([binary, "-t", table, "-X", chain])
            for chain, policy in old["chains"].items():
                if policy != "-" and now["chains"].get(chain, policy) != policy:
                    self._run([binary, "-t", table, "-P", chain, policy])
        if self.iptables_nft:  # tables iptables-nft created for dockerd, now empty: gone as they came
            family = "ip" if binary == "iptables" else "ip6"
            for table, now in iptables_save(binary).items():
                if (f"{family} {table}" not in self.tables and f"{family} {table}" in nft_tables()
                        and not now["rules"] and set(now["chains"]) <= BUILTIN_CHAINS
                        and all(p in ("ACCEPT", "-") for p in now["chains"].values())):
                    self._run(["nft", "delete", "table", family, table])

    @staticmethod
    def _run(argv):
        result = run_quiet(argv)
        log(f"host: {' '.join(argv)}" + ("" if result.returncode == 0 else f" failed: {result.stderr.strip()}"))


# ---------------------------------------------------------------- the test image

def busybox_image_tarball(path):
    """A docker-save tarball: one layer (busybox-static + applet links + /etc/passwd), config, manifest."""
    busybox = "/bin/busybox"
    if not os.path.exists(busybox):
        raise SystemExit("/bin/busybox missing: apt-get install busybox-static")
    mtime = 1700000000

    def add_dir(tar, name):
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
        tar.addfile(info)

    def add_file(tar, name, data, mode=0o644):
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), mode, mtime
        tar.addfile(info, io.BytesIO(data))

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ("bin", "etc", "dev", "proc", "sys", "tmp", "root"):
            add_dir(tar, d)
        with open(busybox, "rb") as f:
            add_file(tar, "bin/busybox", f.read(), 0o755)
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "busybox", 0o777, mtime
            tar.addfile(info)
        add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
        add_file(tar, "etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = {
        "architecture": "amd64" if os.uname().machine == "x86_64" else "arm64",
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "scripts/bench.py"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_dir = hashlib.sha256(layer_bytes).hexdigest()
    manifest = [{"Config": config_name, "RepoTags": [IMAGE], "Layers": [f"{layer_dir}/layer.tar"]}]
    with tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_dir(tar, layer_dir)
        add_file(tar, f"{layer_dir}/VERSION", b"1.0")
        add_file(tar, f"{layer_dir}/layer.tar", layer_bytes)
        add_file(tar, config_name, config_bytes)
        add_file(tar, "manifest.json", json.dumps(manifest).encode())


# ---------------------------------------------------------------- the in-netns client (run with nsenter --net)

NETNS_CLIENT = r'''
import json, os, resource, select, socket, struct, sys, time

DNS = ("127.0.0.11", 53)

def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        b = label.encode()
        q += bytes([len(b)]) + b
    return bytearray(q + b"\0" + struct.pack(">HH", 1, 1))

def skip_name(buf, i):
    while True:
        n = buf[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n

def answer(buf):
    """(id, rcode, [IPv4 addresses])"""
    qid, flags, qd, an = struct.unpack_from(">HHHH", buf)
    i, addrs = 12, []
    for _ in range(qd):
        i = skip_name(buf, i) + 4
    for _ in range(an):
        i = skip_name(buf, i)
        typ, _cls, _ttl, rdlen = struct.unpack_from(">HHIH", buf, i)
        i += 10
        if typ == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(bytes(buf[i:i + 4])))
        i += rdlen
    return qid, flags & 0xF, addrs

def dns_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(DNS)
    return s

def ask(s, name, qid, timeout):
    """One query, waiting for its own answer: (rcode or None on timeout, addrs, seconds)."""
    s.settimeout(timeout)
    t0 = time.perf_counter()
    s.send(query(name, qid))
    while True:
        try:
            buf = s.recv(1500)
        except socket.timeout:
            return None, [], time.perf_counter() - t0
        got, rcode, addrs = answer(buf)
        if got == qid:
            return rcode, addrs, time.perf_counter() - t0

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else None

def resolve():
    """stdin: one name a line; stdout: one JSON line each. First try at once; when that fails, retry every 10 ms
    for 2 s to tell a late name from a missing one."""
    s, qid = dns_socket(), 0
    for line in sys.stdin:
        name = line.strip()
        qid = (qid + 1) & 0xFFFF
        rcode, addrs, secs = ask(s, name, qid, 1.0)
        out = {"name": name, "rcode": rcode, "addrs": addrs, "ms": secs * 1000}
        if rcode != 0 or not addrs:
            start = time.perf_counter()
            while time.perf_counter() - start < 2.0:
                time.sleep(0.01)
                qid = (qid + 1) & 0xFFFF
                r2, a2, _ = ask(s, name, qid, 0.5)
                if r2 == 0 and a2:
                    out["resolved_after_ms"] = (time.perf_counter() - start) * 1000
                    out["later_addrs"] = a2
                    break
        print(json.dumps(out), flush=True)

def serial(seconds, name):
    s, qid = dns_socket(), 0
    for _ in range(50):  # warm-up
        qid = (qid + 1) & 0xFFFF
        ask(s, name, qid, 1.0)
    lat, errors, timeouts = [], 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        qid = (qid + 1) & 0xFFFF
        rcode, addrs, secs = ask(s, name, qid, 1.0)
        if rcode is None:
            timeouts += 1
        elif rcode != 0 or not addrs:
            errors += 1
        else:
            lat.append(secs * 1e6)
    print(json.dumps({"n": len(lat), "p50_us": pct(lat, 50), "p99_us": pct(lat, 99), "errors": errors,
                      "timeouts": timeouts, "seconds": seconds}))

def flight(seconds, name, depth):
    s = dns_socket()
    s.setblocking(False)
    template = query(name, 0)
    sent = {}
    qid = 0
    def send():
        nonlocal qid
        while True:
            qid = (qid + 1) & 0xFFFF
            if qid not in sent:
                break
        struct.pack_into(">H", template, 0, qid)
        sent[qid] = time.perf_counter()
        s.send(template)
    for _ in range(depth):
        send()
    lat, errors, lost = [], 0, 0
    buf = bytearray(1500)
    start = time.perf_counter()
    end = start + seconds
    fd = s.fileno()
    now = checked = start
    while now < end:
        try:
            n = s.recv_into(buf)
        except BlockingIOError:
            ready = select.select([fd], [], [], 0.2)[0]
            now = time.perf_counter()
            if not ready:  # stalled: queries older than 1 s are lost, replaced by fresh ones
                for k in [k for k, t in sent.items() if now - t > 1.0]:
                    del sent[k]
                    lost += 1
                    send()
            continue
        now = time.perf_counter()
        if now - checked > 0.2:  # a query unanswered for 1 s is lost; keep `depth` in flight anyway
            checked = now
            for k in [k for k, t in sent.items() if now - t > 1.0]:
                del sent[k]
                lost += 1
                send()
        got = buf[0] << 8 | buf[1]
        t = sent.pop(got, None)
        if t is None:
            continue
        if buf[3] & 0xF or not (buf[6] << 8 | buf[7]):
            errors += 1
        else:
            lat.append((now - t) * 1e6)
        send()
    elapsed = now - start
    print(json.dumps({"n": len(lat), "qps": len(lat) / elapsed, "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
                      "errors": errors, "lost": lost, "seconds": elapsed, "in_flight": depth}))

def cpu_seconds():
    # user + system time of this process. A veth hands a frame to the receive path in the softirq of the process
    # that sent it, and without CONFIG_IRQ_TIME_ACCOUNTING (off on the machines measured) that time is charged to
    # the process: so this is the CPU each side spends, the network stack's included.
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def tcp_server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    print("ready", flush=True)
    ls.settimeout(60)
    c, _ = ls.accept()
    cpu = cpu_seconds()
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    total = 0
    while True:
        n = c.recv_into(view)
        if not n:
            break
        total += n
    c.sendall(struct.pack(">Q", total))
    c.close()
    print(json.dumps({"received": total, "cpu_s": cpu_seconds() - cpu}), flush=True)

def tcp_client(host, port, total, seconds=None):
    """Sends `total` bytes, or (with `seconds`) 4 MiB writes until that long has passed; the time runs until the
    receiver has counted the last byte."""
    chunk = memoryview(bytearray(4 << 20))
    c = socket.create_connection((host, port), timeout=60)
    cpu = cpu_seconds()
    start = time.perf_counter()
    if seconds is not None:
        total, deadline = 0, start + seconds
        while time.perf_counter() < deadline:
            c.sendall(chunk)
            total += len(chunk)
    left = total if seconds is None else 0
    while left > 0:
        c.sendall(chunk[:min(left, len(chunk))])
        left -= min(left, len(chunk))
    c.shutdown(socket.SHUT_WR)
    got = b""
    while len(got) < 8:
        part = c.recv(8 - len(got))
        if not part:
            break
        got += part
    secs = time.perf_counter() - start
    received = struct.unpack(">Q", got)[0] if len(got) == 8 else None
    print(json.dumps({"sent": total, "received": received, "seconds": secs, "gbps": total * 8 / secs / 1e9,
                      "cpu_s": cpu_seconds() - cpu}))

mode, args = sys.argv[1], sys.argv[2:]
if mode == "resolve":
    resolve()
elif mode == "serial":
    serial(float(args[0]), args[1])
elif mode == "flight":
    flight(float(args[0]), args[1], int(args[2]))
elif mode == "tcp-server":
    tcp_server(int(args[0]))
elif mode == "tcp-client":
    tcp_client(args[0], int(args[1]), int(args[2]))
elif mode == "tcp-timed":
    tcp_client(args[0], int(args[1]), 0, seconds=float(args[2]))
'''


def netns_argv(pid, *args):
    """python3 (the host's) running NETNS_CLIENT in the network namespace of process `pid`."""
    return ["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", NETNS_CLIENT, *[str(a) for a in args]]


# ---------------------------------------------------------------- engines

class Engine:
    """One daemon under test: how to start it, which processes make up its memory, how to clean it away."""

    def __init__(self, name, base, run_base, cli_config):
        self.name = name
        self.data_root = os.path.join(base, name)
        self.exec_root = os.path.join(run_base, name)
        self.cli_config = cli_config
        self.pid = None
        self.proc = None
        self.log_path = None
        self.log_file = None
        self.helpers = []  # processes of ours in the containers' netns (nsenter + python)

    @property
    def env(self):
        env = dict(os.environ)
        env["DOCKER_HOST"] = "unix://" + self.socket
        env["DOCKER_CONFIG"] = self.cli_config
        env.pop("DOCKER_CONTEXT", None)
        env.pop("DOCKER_TLS_VERIFY", None)
        return env

    def docker(self, *args, timeout=120, check=True):
        result = subprocess.run([DOCKER_CLI, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            first = (result.stderr.strip().splitlines() or [""])[0]
            raise RuntimeError(f"{self.name}: docker {' '.join(args)} failed ({result.returncode}): {first}")
        return result

    def spawn(self, argv):
        os.makedirs(self.data_root, exist_ok=True)
        os.makedirs(self.exec_root, exist_ok=True)
        self.log_file = open(self.log_path, "ab")
        log(f"starting {self.name}: {' '.join(argv)}")
        # A session of its own: Ctrl-C on the terminal reaches us, and we stop the daemon in order.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=self.log_file,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} daemon exited with {self.proc.returncode}; log: {self.log_path}")
            if ping(self.socket):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} daemon not answering /_ping on {self.socket} after {timeout}s")

    def kill_helpers(self):
        stop_netns_helpers(self.name, self.helpers)
        self.helpers = []

    def remove_user_networks(self):
        if self.pid is None or not alive(self.pid):
            return
        result = self.docker("network", "prune", "-f", timeout=120, check=False)
        if result.returncode != 0:
            log(f"{self.name}: network prune failed: {result.stderr.strip()}")

    def remove_all_containers(self):
        if self.pid is None or not alive(self.pid):
            return
        try:
            ids = self.docker("ps", "-aq", timeout=60).stdout.split()
            if ids:
                log(f"{self.name}: removing {len(ids)} leftover containers")
                for i in range(0, len(ids), 20):
                    self.docker("rm", "-f", *ids[i:i + 20], timeout=180, check=False)
        except Exception as e:  # cleanup goes on regardless
            log(f"{self.name}: removing containers failed: {e}")

    def reap(self):
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        if self.log_file:
            self.log_file.close()
            self.log_file = None


def conmon_pids(exec_root):
    """The live conmon processes of a Shoal daemon's containers, from the pid files under its exec root."""
    pids = []
    root = os.path.join(exec_root, "runtime", "containers")
    for cid in (os.listdir(root) if os.path.isdir(root) else []):
        text = read(os.path.join(root, cid, "conmon.pid"))
        if text and text.strip().isdigit():
            pid = int(text.strip())
            if alive(pid) and "conmon" in " ".join(cmdline(pid)[:1]):
                pids.append(pid)
    return pids


class ShoalEngine(Engine):
    def __init__(self, base, run_base, cli_config, binary, host):
        super().__init__("shoal", base, run_base, cli_config)
        self.binary = binary
        self.socket = os.path.join(self.exec_root, "shoal.sock")
        self.log_path = os.path.join(self.data_root, "shoal-daemon.log")
        self.plan = host.shoal
        # Shoal names its nftables table after the exec root (Daemon.networkOptions): the host cleanup removes it.
        host.shoal_table = "shoal_" + fnv1a32(self.exec_root)

    def start(self):
        self.spawn([self.binary, "daemon", "--data-root", self.data_root, "--exec-root", self.exec_root,
                    "-H", "unix://" + self.socket, "--bridge", self.plan.bridge, "--bip", self.plan.bip,
                    "--default-address-pool", self.plan.pool, "--dns", DEAD_DNS])
        self.wait_ready()

    def conmon_pids(self):
        return conmon_pids(self.exec_root)

    def memory_processes(self):
        return {"shoal": [self.pid], "conmon": self.conmon_pids()}

    def stop(self):
        stop_pid(self.pid, "shoal daemon", expect="shoal")
        self.reap()
        # conmon outlives the daemon by design; after `rm -f` of everything there should be none left.
        left = self.conmon_pids()
        if left:
            log(f"shoal: killing {len(left)} leftover conmon processes and their containers")
            for pid in left:
                kill_tree(pid, "conmon")


class DockerEngine(Engine):
    def __init__(self, base, run_base, cli_config, own_containerd, host):
        super().__init__("docker", base, run_base, cli_config)
        self.host = host
        self.plan = host.docker
        self.network = False  # networking on (iptables, own bridge and pool): for the network workloads
        self.socket = os.path.join(self.exec_root, "docker.sock")
        self.log_path = os.path.join(self.data_root, "dockerd.log")
        # dockerd 20.10 uses a containerd whose socket exists at the system path; otherwise it starts its own.
        self.own_containerd = own_containerd or os.path.exists(SYSTEM_CONTAINERD_SOCK)
        self.containerd_proc = None
        self.containerd_sock = os.path.join(self.exec_root, "containerd", "containerd.sock")

    def start(self, network=False):
        self.network = network
        argv = ["dockerd", "--data-root", os.path.join(self.data_root, "root"), "--exec-root", self.exec_root,
                "-H", "unix://" + self.socket, "--pidfile", os.path.join(self.exec_root, "dockerd.pid")]
        if network:
            if self.plan.bridge not in link_names():
                self.host.make_docker_bridge()
            argv += ["--bridge", self.plan.bridge, "--default-address-pool", self.plan.pool, "--dns", DEAD_DNS,
                     "--iptables=true", "--ip-forward=true", "--ip-masq=true"]
        else:
            argv += ["--bridge=none", "--iptables=false", "--ip-forward=false", "--ip-masq=false"]
        argv += ["--userland-proxy=false", "--storage-driver=overlay2", "--config-file",
                 os.path.join(self.data_root, "daemon.json")]
        os.makedirs(self.data_root, exist_ok=True)
        with open(os.path.join(self.data_root, "daemon.json"), "w") as f:
            # Never read /etc/docker/daemon.json; keep the trust key (20.10 writes /etc/docker/key.json) in our root.
            json.dump({"deprecated-key-path": os.path.join(self.data_root, "key.json")}, f)
        if self.own_containerd:
            self.containerd_proc = None
            self.start_containerd()
            argv += ["--containerd", self.containerd_sock]
        self.spawn(argv)
        self.wait_ready()
        if not self.own_containerd:
            self.containerd_sock = os.path.join(self.exec_root, "containerd", "containerd.sock")

    def start_containerd(self):
        root = os.path.join(self.data_root, "containerd")
        state = os.path.join(self.exec_root, "containerd")
        os.makedirs(root, exist_ok=True)
        os.makedirs(state, exist_ok=True)
        config = os.path.join(self.data_root, "containerd.toml")
        with open(config, "w") as f:
            f.write(f'version = 2\nroot = "{root}"\nstate = "{state}"\n'
                    f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.containerd_sock}"\n'
                    f'[ttrpc]\n  address = "{self.containerd_sock}.ttrpc"\n'
                    f'[debug]\n  address = ""\n[metrics]\n  address = ""\n')
        log_file = open(os.path.join(self.data_root, "containerd.log"), "ab")
        log(f"starting own containerd on {self.containerd_sock}")
        self.containerd_proc = subprocess.Popen(["containerd", "--config", config], stdin=subprocess.DEVNULL,
                                                stdout=log_file, stderr=log_file, start_new_session=True)
        log_file.close()
        deadline = time.monotonic() + 30
        while not os.path.exists(self.containerd_sock):
            if self.containerd_proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("containerd did not start; see " + os.path.join(self.data_root, "containerd.log"))
            time.sleep(0.1)

    def containerd_pid(self):
        if self.containerd_proc is not None:
            return self.containerd_proc.pid if alive(self.containerd_proc.pid) else None
        for child in children(self.pid) if self.pid else []:
            if os.path.basename((cmdline(child) or [""])[0]) == "containerd":
                return child
        return None

    def shim_pids(self):
        """containerd-shim-runc-v2 processes serving our containerd: children of it, or (the shim daemonizes and
        is re-parented) any shim whose -address is our containerd socket."""
        cpid = self.containerd_pid()
        shims = []
        for pid in all_pids():
            argv = cmdline(pid)
            if not argv or "containerd-shim" not in os.path.basename(argv[0]):
                continue
            if ppid(pid) == cpid or (self.containerd_sock in argv):
                shims.append(pid)
        return shims

    def memory_processes(self):
        cpid = self.containerd_pid()
        return {"dockerd": [self.pid], "containerd": [cpid] if cpid else [], "containerd-shim": self.shim_pids()}

    def stop(self):
        shims_before = self.shim_pids() if self.pid else []
        stop_pid(self.pid, "dockerd", expect="dockerd")
        self.reap()
        if self.containerd_proc is not None:
            stop_pid(self.containerd_proc.pid, "containerd", expect="containerd")
            try:
                self.containerd_proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        left = [p for p in shims_before + self.shim_pids() if alive(p)]
        if left:
            log(f"docker: killing {len(set(left))} leftover containerd-shim processes and their containers")
            for pid in set(left):
                kill_tree(pid, "containerd-shim")


# ---------------------------------------------------------------- workloads

def timed(engine, *args, timeout=120):
    start = time.perf_counter()
    result = engine.docker(*args, timeout=timeout)
    return (time.perf_counter() - start) * 1000.0, result


def w_run_true(engine):
    ms, _ = timed(engine, "run", "--rm", "--network", "none", IMAGE, "true")
    return ms


def w_run_detached(engine):
    ms, result = timed(engine, "run", "-d", "--network", "none", IMAGE, "sleep", "1000")
    engine.docker("rm", "-f", result.stdout.strip(), timeout=120)
    return ms


LOG_LINE = "0123456789" * 9 + "abcdefghi"  # 99 characters + newline: 100-byte lines


def log_writer(nbytes, delay=0):
    """A busybox shell command writing `nbytes` of 100-byte lines to stdout (after `delay` seconds)."""
    pause = f"sleep {delay}; " if delay else ""
    return f"{pause}yes {LOG_LINE} | head -c {nbytes}"


def read_all(argv, env, timeout):
    """Runs argv, reading its stdout to the end; (bytes, seconds from the first byte to the end)."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    total, first = 0, None
    deadline = time.monotonic() + timeout
    try:
        while True:
            chunk = proc.stdout.read1(1 << 20)
            if not chunk:
                break
            if first is None:
                first = time.perf_counter()
            total += len(chunk)
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(argv, timeout)
    finally:
        proc.stdout.close()
        if proc.wait(timeout=30) != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    return total, (time.perf_counter() - first) if first is not None else 0.0


def w_logs_setup(engine, nbytes):
    """The container whose log `logs-read` reads: it wrote `nbytes` and exited."""
    engine.docker("rm", "-f", "bench-logs", check=False)
    engine.docker("run", "--name", "bench-logs", "--network", "none", "-d", IMAGE, "sh", "-c", log_writer(nbytes))
    engine.docker("wait", "bench-logs", timeout=600)


def w_logs_read(engine, nbytes):
    """`docker logs` of the whole log, until the CLI has written its last byte: ms."""
    start = time.perf_counter()
    got, _ = read_all([DOCKER_CLI, "logs", "bench-logs"], engine.env, timeout=600)
    ms = (time.perf_counter() - start) * 1000.0
    if got != nbytes:
        raise RuntimeError(f"{engine.name}: docker logs gave {got} bytes of {nbytes}")
    return ms


def w_logs_follow(engine, nbytes, i):
    """`docker logs -f` while the container writes `nbytes`: MB/s from its first byte to its end."""
    name = f"bench-follow-{i}"
    engine.docker("rm", "-f", name, check=False)
    engine.docker("run", "--name", name, "--network", "none", "-d", IMAGE, "sh", "-c", log_writer(nbytes, 1))
    try:
        got, seconds = read_all([DOCKER_CLI, "logs", "-f", name], engine.env, timeout=600)
    finally:
        engine.docker("rm", "-f", name, check=False, timeout=120)
    if got != nbytes:
        raise RuntimeError(f"{engine.name}: docker logs -f gave {got} bytes of {nbytes}")
    return nbytes / 1e6 / seconds if seconds > 0 else None


COMMIT_FILES = 50  # of 1 MiB each: the "container with a 50 MB change"


def w_commit_diff(engine, i):
    """`docker diff` then `docker commit` of a stopped container with a 50 MB change, through the CLI, then the
    same two calls straight on the API (another image): (diff ms, commit ms, API diff ms, API commit ms)."""
    name, image = f"bench-commit-{i}", f"bench-commit:{i}"
    engine.docker("rm", "-f", name, check=False)
    engine.docker("run", "--name", name, "--network", "none", IMAGE, "sh", "-c",
                  f"mkdir /data && for i in $(seq {COMMIT_FILES}); do "
                  "head -c 1048576 /dev/urandom > /data/f$i; done", timeout=300)
    try:
        diff_ms, diff = timed(engine, "diff", name)
        if len(diff.stdout.splitlines()) != COMMIT_FILES + 1:
            raise RuntimeError(f"{engine.name}: docker diff listed {len(diff.stdout.splitlines())} changes")
        commit_ms, _ = timed(engine, "commit", name, image, timeout=300)
        api_diff_ms, status, body = api_ms(engine.socket, "GET", f"/v1.41/containers/{name}/changes")
        if status != 200 or len(json.loads(body)) != COMMIT_FILES + 1:
            raise RuntimeError(f"{engine.name}: GET changes answered {status}")
        api_commit_ms, status, _ = api_ms(engine.socket, "POST", f"/v1.41/commit?container={name}&repo=bench-commit"
                                                                  f"&tag={i}-api")
        if status != 201:
            raise RuntimeError(f"{engine.name}: POST /commit answered {status}")
    finally:
        engine.docker("rm", "-f", name, check=False)
        engine.docker("rmi", image, f"bench-commit:{i}-api", check=False)
    return diff_ms, commit_ms, api_diff_ms, api_commit_ms


HEALTH_CONTAINERS = 100
HEALTH_SECONDS = 60.0


def process_cpu(pid, reaped=True):
    """user + system seconds of `pid`, with those of the children it has reaped (a health check's runc) unless
    `reaped` is false; 0 when gone."""
    text = read(f"/proc/{pid}/stat")
    if not text:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15 if reaped else 13]) / os.sysconf("SC_CLK_TCK")


def machine_cpu():
    """CPU seconds the machine has spent busy (every CPU: user, nice, system, irq, softirq, steal)."""
    fields = [int(f) for f in read("/proc/stat").splitlines()[0].split()[1:]]
    return (sum(fields[0:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")


def w_health_cpu(engine, i):
    """`HEALTH_CONTAINERS` containers checked every second, all healthy: the CPU seconds the daemon process uses
    itself over `HEALTH_SECONDS`, and those the whole machine uses meanwhile (every process of the engine and of
    its checks, however they are parented: run it on a quiet machine)."""
    names = [f"bench-health-{i}-{n}" for n in range(HEALTH_CONTAINERS)]

    def start(name):
        engine.docker("run", "-d", "--name", name, "--network", "none", "--health-cmd", "true",
                      "--health-interval", "1s", "--health-timeout", "10s", IMAGE, "sleep", "100000", timeout=300)

    try:
        _, errors = parallel(start, names)
        if errors:
            raise RuntimeError(f"{engine.name}: {len(errors)} containers did not start: {errors[0]}")
        deadline = time.monotonic() + 300
        while True:
            healthy = engine.docker("ps", "-q", "--filter", "health=healthy", timeout=120).stdout.split()
            if len(healthy) >= HEALTH_CONTAINERS:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{engine.name}: {len(healthy)} of {HEALTH_CONTAINERS} healthy after 300 s")
            time.sleep(1)
        time.sleep(5)  # the starts' own work settles
        parts = engine.memory_processes()
        before = {part: sum(process_cpu(p) for p in pids) for part, pids in parts.items()}
        # The checks that end meanwhile, counted live (dockerd keeps only its last 256 events for --since).
        follower = subprocess.Popen([DOCKER_CLI, "events", "--filter", "event=exec_die", "--format", "{{.TimeNano}}"],
                                    env=engine.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(1)
        since = time.time()
        daemon_before, machine_before = process_cpu(engine.pid, reaped=False), machine_cpu()
        time.sleep(HEALTH_SECONDS)
        daemon, machine = process_cpu(engine.pid, reaped=False) - daemon_before, machine_cpu() - machine_before
        until = time.time()
        time.sleep(1)
        follower.terminate()
        lines = follower.communicate(timeout=30)[0].split()
        # How many checks ran meanwhile: on two cores 100 checks a second are more than runc can start, so both
        # engines fall behind the interval and the machine's CPU is all used; the cost per check compares them.
        ended = [t for t in lines if t.isdigit() and since <= int(t) / 1e9 <= until]
        if not ended:
            raise RuntimeError(f"{engine.name}: no check ended in the window")
        after = {part: sum(process_cpu(p) for p in pids) for part, pids in parts.items()}
        still = engine.docker("ps", "-q", "--filter", "health=healthy", timeout=120).stdout.split()
        if len(still) < HEALTH_CONTAINERS:
            raise RuntimeError(f"{engine.name}: only {len(still)} healthy at the end of the window")
        # The checks kept running: a container's last check began within the last few rounds. A round is the
        # interval, or longer when the engine falls behind it: the time the measured rate takes to check them all.
        checks = json.loads(engine.docker("inspect", "-f", "{{json .State.Health.Log}}", names[-1]).stdout)
        started = datetime.datetime.fromisoformat(checks[-1]["Start"][:26].rstrip("Z") + "+00:00")
        age = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
        round_seconds = max(1.0, HEALTH_CONTAINERS * HEALTH_SECONDS / len(ended))
        if age > 5 + 3 * round_seconds:
            # The cost per check still holds (only ended checks count); the stall is the engine's own, told.
            log(f"warning: {engine.name}: the last check of {names[-1]} began {age:.1f} s ago, over three rounds "
                f"of {round_seconds:.1f} s: its checks stall")
        log(f"{engine.name} health-cpu #{i}: {len(ended)} checks; {engine.name} daemon itself {daemon:.2f} s, the "
            f"machine {machine:.2f} s; with the children they reaped: " +
            ", ".join(f"{part} {after[part] - before[part]:.2f} s" for part in parts) + f" in {HEALTH_SECONDS:g} s")
        return len(ended), daemon, machine
    finally:
        for k in range(0, len(names), 20):
            engine.docker("rm", "-f", *names[k:k + 20], timeout=300, check=False)


def parallel(fn, items):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=PARALLELISM)
    try:
        futures = [pool.submit(fn, item) for item in items]
        results, errors = [], []
        for f in futures:
            try:
                results.append(f.result())
            except Exception as e:
                errors.append(str(e))
        pool.shutdown(wait=True)
        return results, errors
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise


def w_batch(engine, record):
    """100 containers started 8 at a time; memory with them running; removed 8 at a time."""
    start = time.perf_counter()
    ids, errors = parallel(
        lambda _: engine.docker("run", "-d", "--network", "none", IMAGE, "sleep", "1000",
                                timeout=300).stdout.strip(), range(BATCH_SIZE))
    start_ms = (time.perf_counter() - start) * 1000.0
    if errors:
        record["errors"].append({"engine": engine.name, "workload": "batch_start", "count": len(errors),
                                 "first": errors[0]})
        log(f"{engine.name}: {len(errors)} of {BATCH_SIZE} starts failed; first: {errors[0]}")
    time.sleep(1.0)  # let the daemons settle before measuring memory
    running = engine.docker("ps", "-q", timeout=60).stdout.split()
    procs = engine.memory_processes()
    pss_total, rss_total, pss_ok, by_part = 0, 0, True, {}
    for part, pids in procs.items():
        part_pss, part_rss = 0, 0
        for pid in pids:
            pss, rss = memory_kib(pid)
            part_rss += rss
            if pss is None:
                pss_ok = False
            else:
                part_pss += pss
        by_part[part] = {"processes": len(pids), "pss_kib": part_pss, "rss_kib": part_rss}
        pss_total += part_pss
        rss_total += part_rss
    memory = {"running": len(running), "pss_kib": pss_total if pss_ok else None, "rss_kib": rss_total,
              "processes": {k: len(v) for k, v in procs.items()}, "parts": by_part}
    start = time.perf_counter()
    _, rm_errors = parallel(lambda cid: engine.docker("rm", "-f", cid, timeout=300), ids)
    rm_ms = (time.perf_counter() - start) * 1000.0
    if rm_errors:
        record["errors"].append({"engine": engine.name, "workload": "batch_remove", "count": len(rm_errors),
                                 "first": rm_errors[0]})
        log(f"{engine.name}: {len(rm_errors)} removals failed; first: {rm_errors[0]}")
    return start_ms, rm_ms, memory, len(errors)


# ---------------------------------------------------------------- network workloads (a user network per engine)

def container_pid(engine, name):
    pid = engine.docker("inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
    if not pid.isdigit() or int(pid) <= 0:
        raise RuntimeError(f"{engine.name}: container {name} has no pid ({pid!r})")
    return int(pid)


def container_ip(engine, name):
    return engine.docker("inspect", "-f", '{{(index .NetworkSettings.Networks "%s").IPAddress}}' % BENCH_NET,
                         name).stdout.strip()


def start_on_net(engine, name):
    engine.docker("run", "-d", "--name", name, "--network", BENCH_NET, IMAGE, "sleep", "100000")
    return container_pid(engine, name)


def read_line(proc, timeout, what):
    ready = select.select([proc.stdout], [], [], timeout)[0]
    line = proc.stdout.readline() if ready else ""
    if not line:
        raise RuntimeError(f"{what}: no answer within {timeout:.0f}s (exit status {proc.poll()})")
    return line


def netns_json(engine, pid, *args, timeout=120):
    result = subprocess.run(netns_argv(pid, *args), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"{engine.name}: netns client {args[0]} failed ({result.returncode}): "
                           f"{result.stderr.strip()[-300:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def setup_network(engine, selected):
    """The user network, and the containers (and netns helpers) the selected workloads use."""
    engine.docker("network", "create", BENCH_NET)
    engine.fixture = {}
    if "run-net" in selected:
        pid = start_on_net(engine, "sb-peer")
        proc = subprocess.Popen(netns_argv(pid, "resolve"), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, start_new_session=True)
        engine.helpers.append(proc)
        engine.fixture["resolver"] = proc
    if selected & {"dns-p50", "dns-qps"}:
        engine.fixture["dns_pid"] = start_on_net(engine, "sb-dns-client")
        start_on_net(engine, "sb-dns-target")
    if "tcp-throughput" in selected:
        engine.fixture["tcp_a_pid"] = start_on_net(engine, "sb-tcp-a")
        engine.fixture["tcp_a_ip"] = container_ip(engine, "sb-tcp-a")
        engine.fixture["tcp_b_pid"] = start_on_net(engine, "sb-tcp-b")


def w_net_create(engine, tag):
    name = f"shoalbench-nc-{tag}"
    ms, _ = timed(engine, "network", "create", name)
    engine.docker("network", "rm", name)
    return ms


def w_run_net(engine, tag):
    """(ms, None or the failed name check): `run -d` on the user network, then the peer asks the embedded DNS
    for the new name at once."""
    name = f"sb-run-{tag}"
    ms, _ = timed(engine, "run", "-d", "--name", name, "--network", BENCH_NET, IMAGE, "sleep", "1000")
    resolver = engine.fixture["resolver"]
    resolver.stdin.write(name + "\n")
    resolver.stdin.flush()
    answer = json.loads(read_line(resolver, 10, f"{engine.name}: resolver for {name}"))
    ip = container_ip(engine, name)
    engine.docker("rm", "-f", name)
    if answer["rcode"] == 0 and ip in answer["addrs"]:
        return ms, None
    return ms, {"name": name, "expected": ip, "rcode": answer["rcode"], "addrs": answer["addrs"],
                "query_ms": round(answer["ms"], 2), "resolved_after_ms": answer.get("resolved_after_ms"),
                "later_addrs": answer.get("later_addrs")}


def w_dns(engine, record, which, seconds=DNS_SECONDS):
    pid = engine.fixture["dns_pid"]
    if which == "serial":
        out = netns_json(engine, pid, "serial", seconds, "sb-dns-target")
    else:
        out = netns_json(engine, pid, "flight", seconds, "sb-dns-target", DNS_IN_FLIGHT)
    if not out["n"] or out["errors"] or out.get("timeouts") or out.get("lost"):
        record["errors"].append({"engine": engine.name, "workload": f"dns-{which}",
                                 "error": f"{out['n']} answers, {out['errors']} errors, "
                                          f"{out.get('timeouts', 0)} timeouts, {out.get('lost', 0)} lost"})
    if not out["n"]:
        raise RuntimeError(f"{engine.name}: no DNS answers for sb-dns-target: {out}")
    return out


def w_tcp(engine, nbytes=TCP_BYTES):
    f = engine.fixture
    server = subprocess.Popen(netns_argv(f["tcp_a_pid"], "tcp-server", TCP_PORT), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    engine.helpers.append(server)
    try:
        if read_line(server, 15, f"{engine.name}: tcp server").strip() != "ready":
            raise RuntimeError(f"{engine.name}: tcp server did not start")
        out = netns_json(engine, f["tcp_b_pid"], "tcp-client", f["tcp_a_ip"], TCP_PORT, nbytes, timeout=300)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=5)
        engine.helpers.remove(server)
    if out["received"] != nbytes:
        raise RuntimeError(f"{engine.name}: tcp server received {out['received']} of {nbytes} bytes")
    return out


# ---------------------------------------------------------------- statistics and output

def median(xs):
    return statistics.median(xs) if xs else None


def p90(xs):
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=10, method="inclusive")[8]


def fmt(x, unit):
    if x is None:
        return "-"
    return f"{x:,.0f} {unit}" if x >= 100 else f"{x:.1f} {unit}"


# (label, sample key, unit, issue-3 target: (kind, value)); "max"/"min" bound the ratio, "abs_max" Shoal's median.
TABLE_ROWS = [
    ("run --rm true", "run_true", "ms", None),
    ("run -d sleep (until started)", "run_detached", "ms", None),
    (f"{BATCH_SIZE} x run -d, {PARALLELISM} parallel", "batch_start", "ms", None),
    (f"{BATCH_SIZE} x rm -f, {PARALLELISM} parallel", "batch_remove", "ms", None),
    (None, "memory_mib", "MiB", None),
    (f"diff: {COMMIT_FILES} x 1 MiB written", "diff", "ms", ("max", 0.5)),
    (f"commit: {COMMIT_FILES} x 1 MiB written", "commit", "ms", ("max", 0.5)),
    ("diff, the API call alone", "api_diff", "ms", ("max", 0.5)),
    ("commit, the API call alone", "api_commit", "ms", ("max", 0.5)),
    (f"health-cpu: {HEALTH_CONTAINERS} x 1 s checks, checks in {HEALTH_SECONDS:g} s", "health_checks", "", None),
    (f"health-cpu: daemon CPU in {HEALTH_SECONDS:g} s", "health_daemon_cpu", "s", None),
    ("health-cpu: daemon CPU per check", "health_daemon_per_check", "ms", ("max", 0.5)),
    ("health-cpu: the machine's CPU per check", "health_machine_per_check", "ms", None),
    ("net-create: network create", "net_create", "ms", ("max", 1.0)),
    ("run-net: run -d --network <user net>", "run_net", "ms", ("max", 0.5)),
    ("dns-p50: 1 in flight, p50", "dns_p50_us", "us", ("max", 1.0)),
    ("dns-p50: 1 in flight, p99", "dns_p99_serial_us", "us", None),
    (f"dns-qps: {DNS_IN_FLIGHT} in flight, q/s", "dns_qps", "q/s", ("min", 1.5)),
    (f"dns-qps: {DNS_IN_FLIGHT} in flight, p99", "dns_p99_us", "us", ("abs_max", 1000.0)),
    ("tcp-throughput: 2 GiB, Gb/s", "tcp_gbps", "Gb/s", ("min", 0.95)),
    ("logs-read: docker logs of the log", "logs_read", "ms", ("max", 1.0)),
    ("logs-follow: logs -f, MB/s", "logs_follow_mbps", "MB/s", ("min", 1.0)),
]


def target_text(target, s, d):
    if target is None:
        return ""
    kind, value = target
    if kind == "abs_max":
        verdict = "" if not s else (" met" if median(s) <= value else " MISSED")
        return f"shoal <= {value / 1000:g} ms{verdict}"
    sign = "<=" if kind == "max" else ">="
    if not s or not d or not median(d):
        return f"{sign} {value:.2f}x"
    ratio = median(s) / median(d)
    ok = ratio <= value if kind == "max" else ratio >= value
    return f"{sign} {value:.2f}x {'met' if ok else 'MISSED'}"


def print_table(samples, memory_kind, engines):
    header = ["workload", "n", "shoal median", "shoal p90", "docker median", "docker p90", "shoal/docker",
              "issue 3 target"]
    lines = []
    for label, key, unit, target in TABLE_ROWS:
        s, d = samples["shoal"].get(key, []), samples["docker"].get(key, [])
        if not s and not d:
            continue
        label = label or f"memory, {BATCH_SIZE} running ({memory_kind})"
        ratio = f"{median(s) / median(d):.2f}x" if s and d and median(d) else "-"
        lines.append([label, str(max(len(s), len(d))), fmt(median(s), unit), fmt(p90(s), unit),
                      fmt(median(d), unit), fmt(p90(d), unit), ratio, target_text(target, s, d)])
    if not any(line[-1] for line in lines):
        header, lines = header[:-1], [line[:-1] for line in lines]
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    out = []
    for i, r in enumerate([header] + lines):
        out.append("  ".join(c.ljust(widths[j]) if header[j] in ("workload", "issue 3 target")
                             else c.rjust(widths[j]) for j, c in enumerate(r)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    print("\n".join(out))


# ---------------------------------------------------------------- setup

def ensure_docker_io():
    if shutil.which("dockerd") and shutil.which("containerd"):
        return
    log("installing Debian's docker.io (its services are neither started nor enabled)")
    policy = "/usr/sbin/policy-rc.d"
    made_policy = not os.path.exists(policy)
    if made_policy:
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "docker.io"], env=env, check=True)
    finally:
        if made_policy:
            os.unlink(policy)
    # The maintainer scripts enable the units; undo that (we only ever run dockerd by hand).
    for package, units in (("docker.io", ["docker.service", "docker.socket"]), ("containerd", ["containerd.service"])):
        subprocess.run(["deb-systemd-helper", "disable", *units], env=dict(os.environ, DPKG_MAINTSCRIPT_PACKAGE=package),
                       capture_output=True)


def build_shoal():
    env = dict(os.environ)
    env["PATH"] = "/opt/swift/usr/bin:" + env.get("PATH", "")
    log("building shoal (release, scratch path .build-release)")
    subprocess.run(["swift", "build", "-c", "release", "--product", "shoal", "--scratch-path", ".build-release"],
                   cwd=REPO, env=env, check=True)
    return os.path.join(REPO, ".build-release", "release", "shoal")


def machine_facts():
    facts = {"kernel": os.uname().release, "cpus": os.cpu_count()}
    try:
        facts["dockerd"] = subprocess.run(["dockerd", "--version"], capture_output=True, text=True).stdout.strip()
        facts["docker_cli"] = subprocess.run([DOCKER_CLI, "--version"], capture_output=True, text=True).stdout.strip()
        facts["loadavg_start"] = read("/proc/loadavg", "").strip()
        facts["git_head"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                                           text=True).stdout.strip() or None
    except OSError:
        pass
    return facts


# ---------------------------------------------------------------- main

def cluster_main(args):
    """`--only cluster`: the cluster issue's figures (scripts/bench_cluster.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_cluster
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    binary = args.shoal_binary or build_shoal()
    facts = machine_facts()
    samples, errors = bench_cluster.run(binary, DOCKER_CLI, args.cluster_rounds, log)
    return report_run(stamp, "cluster", facts, args, {"samples": samples}, errors,
                      lambda: bench_cluster.print_table(samples, args.cluster_rounds))


def report_run(stamp, kind, facts, args, payload, errors, print_table):
    """Writes bench-results/STAMP-KIND.json (the machine, the options, `payload`, the errors), prints the table
    and the errors; the exit status."""
    facts["loadavg_end"] = read("/proc/loadavg", "").strip()
    results_dir = os.path.join(REPO, "bench-results")
    os.makedirs(results_dir, exist_ok=True)
    out = os.path.join(results_dir, f"{stamp}-{kind}.json")
    with open(out, "w") as f:
        json.dump(dict({"timestamp": stamp, "machine": facts, "options": vars(args)}, **payload, errors=errors), f,
                  indent=1)
    print()
    print_table()
    if errors:
        print(f"{len(errors)} errors: " + "; ".join(errors[:3]))
    print(f"raw samples: {out}")
    return 1 if errors else 0


def control_plane_main(args):
    """`--only control-plane`: the control plane's scale simulation (scripts/bench_control_plane.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_control_plane
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    binary = args.shoal_binary or build_shoal()
    facts = machine_facts()
    report, errors = bench_control_plane.run(binary, args, log)
    return report_run(stamp, "control-plane", facts, args, {"report": report}, errors,
                      lambda: bench_control_plane.print_table(report) if report else None)


def vip_main(args):
    """`--only vip-balancer`: the VIP balancer against straight to a backend (scripts/bench_vip.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_vip
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    facts = machine_facts()
    record = bench_vip.run(REPO, args.vip_rounds, args.vip_seconds, log)
    facts["loadavg_end"] = read("/proc/loadavg", "").strip()
    results_dir = os.path.join(REPO, "bench-results")
    os.makedirs(results_dir, exist_ok=True)
    out = os.path.join(results_dir, f"{stamp}-vip.json")
    with open(out, "w") as f:
        json.dump(dict(record, timestamp=stamp, machine=facts), f, indent=1)
    print()
    bench_vip.print_table(record)
    if record["errors"]:
        print(f"{len(record['errors'])} errors: " + "; ".join(record["errors"][:3]))
    print(f"raw samples: {out}")
    return 1 if record["errors"] else 0


def overlay_main(args, tokens):
    """`--only overlay`: Shoal vs a Docker swarm, 3 hosts each (scripts/bench_overlay.py)."""
    # bench_overlay imports this module as `bench`: make that name this running copy, not a second one.
    sys.modules.setdefault("bench", sys.modules[__name__])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_overlay
    return bench_overlay.main(args, tokens)


def services_main(args, tokens):
    """`--only services`: swarm services, Shoal vs a Docker swarm, 3 hosts each (scripts/bench_services.py)."""
    sys.modules.setdefault("bench", sys.modules[__name__])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_services
    return bench_services.main(args, tokens)


def endpoint_main(args, tokens):
    """`--only endpoint`: the cluster endpoint's figures (scripts/bench_endpoint.py)."""
    sys.modules.setdefault("bench", sys.modules[__name__])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_endpoint
    return bench_endpoint.main(args, tokens)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", metavar="LIST",
                        help="engines and/or workloads to run, comma-separated or repeated: "
                        f"{', '.join(ENGINES)}; {', '.join(WORKLOADS)}; groups {', '.join(GROUPS)} "
                        "(default: both engines, every workload); alone: cluster; vip-balancer; overlay or "
                        f"{', '.join(OVERLAY_WORKLOADS)}; services or {', '.join(SERVICES_WORKLOADS)}")
    parser.add_argument("--iterations", type=int, default=None, help="runs per single-container workload and of "
                        "net-create / run-net / overlay-resolve / overlay-run (20); rounds of the services "
                        "workloads (3)")
    parser.add_argument("--batch-iterations", type=int, default=3, help=f"rounds of the {BATCH_SIZE}-container "
                        "workload (3)")
    parser.add_argument("--health-rounds", type=int, default=1, help="rounds of the health-cpu workload, "
                        f"{HEALTH_SECONDS:g} s per engine each (1)")
    parser.add_argument("--net-rounds", type=int, default=3, help="rounds of the DNS and TCP workloads, "
                        "overlay-dns-qps too (3)")
    parser.add_argument("--tcp-rounds", type=int, default=5, help="rounds of overlay-throughput, each a timed "
                        "transfer over the overlay and one over the underlay (5)")
    parser.add_argument("--cluster-rounds", type=int, default=3, help="rounds of the cluster workload (3)")
    parser.add_argument("--vip-rounds", type=int, default=5, help="rounds of the vip-balancer workload (5)")
    parser.add_argument("--vip-seconds", type=float, default=3.0, help="seconds per set-up and metric of the "
                        "vip-balancer workload (3)")
    parser.add_argument("--sim-nodes", type=int, default=1000, help="control-plane: simulated nodes (1000)")
    parser.add_argument("--sim-tasks", type=int, default=100000, help="control-plane: replicas in all (100000)")
    parser.add_argument("--sim-services", type=int, default=100, help="control-plane: services (100)")
    parser.add_argument("--sim-scaled", type=int, default=10, help="control-plane: services scaled up by half, "
                        "and as many down (10)")
    parser.add_argument("--sim-updated", type=int, default=10, help="control-plane: services in the rolling "
                        "update (10)")
    parser.add_argument("--sim-parallelism", type=int, default=100, help="control-plane: the update's "
                        "parallelism per service (100)")
    parser.add_argument("--sim-lost", type=int, default=100, help="control-plane: nodes lost at the end (100)")
    parser.add_argument("--sim-nodes-per-process", type=int, default=500, help="control-plane: simulated nodes "
                        "per process (500)")
    parser.add_argument("--sim-heartbeat", type=float, default=5.0, help="control-plane: heartbeat period, s (5)")
    parser.add_argument("--sim-port", type=int, default=4577, help="control-plane: the leader's control port; "
                        "etcd takes the next two (4577)")
    parser.add_argument("--logs-mb", type=float, default=100, help="MiB each container writes in logs-read and "
                        "logs-follow (100)")
    parser.add_argument("--keep", action="store_true", help="keep the data and exec roots (for debugging)")
    parser.add_argument("--shoal-binary", help="use this shoal binary instead of building the release one")
    parser.add_argument("--own-containerd", action="store_true",
                        help="start a containerd for dockerd ourselves (automatic when a system containerd runs)")
    args = parser.parse_args()
    tokens = [t.strip() for value in (args.only or []) for t in value.split(",") if t.strip()]
    if "cluster" in tokens:
        if set(tokens) - {"cluster", "shoal"}:
            parser.error("--only cluster runs alone (Shoal only)")
        return cluster_main(args)
    if "control-plane" in tokens:
        if set(tokens) - {"control-plane", "shoal"}:
            parser.error("--only control-plane runs alone (Shoal only)")
        return control_plane_main(args)
    if "vip-balancer" in tokens:
        if set(tokens) - {"vip-balancer", "shoal"}:
            parser.error("--only vip-balancer runs alone (Shoal only)")
        return vip_main(args)
    if "endpoint" in tokens:
        if set(tokens) - {"endpoint"}:
            parser.error("--only endpoint runs alone")
        return endpoint_main(args, tokens)
    if "services" in tokens or set(tokens) & set(SERVICES_WORKLOADS):
        if set(tokens) - {"services", *SERVICES_WORKLOADS, *ENGINES}:
            parser.error("--only services runs alone (with service-* workloads and engine names)")
        if args.iterations is None:
            args.iterations = 3
        return services_main(args, tokens)
    if args.iterations is None:
        args.iterations = 20
    if "overlay" in tokens or set(tokens) & set(OVERLAY_WORKLOADS):
        if set(tokens) - {"overlay", *OVERLAY_WORKLOADS, *ENGINES}:
            parser.error("--only overlay runs alone (with overlay-* workloads and engine names)")
        return overlay_main(args, tokens)
    chosen = set()
    for t in tokens:
        if t in GROUPS:
            chosen |= set(GROUPS[t])
        elif t in WORKLOADS:
            chosen.add(t)
        elif t not in ENGINES:
            parser.error(f"--only: {t!r} is no engine ({', '.join(ENGINES)}), workload ({', '.join(WORKLOADS)}) "
                         f"or group ({', '.join(GROUPS)})")
    names = [n for n in ENGINES if n in tokens] or list(ENGINES)
    selected = chosen or set(WORKLOADS)
    classic = [w for w in CLASSIC_WORKLOADS if w in selected]
    network = [w for w in NETWORK_WORKLOADS if w in selected]
    logs = [w for w in LOG_WORKLOADS if w in selected]
    log_bytes = int(args.logs_mb * (1 << 20)) // 100 * 100
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    if network and not shutil.which("nsenter"):
        raise SystemExit("the network workloads need nsenter (util-linux)")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(REPO, "bench-results")

    interrupted = {"signal": None}

    def on_signal(signum, _frame):
        interrupted["signal"] = signum
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    base = tempfile.mkdtemp(prefix="shoal-bench-", dir="/var/tmp")
    run_base = tempfile.mkdtemp(prefix="shoal-bench-", dir="/run")
    engines = {}
    host = None
    failed = None
    record = {"timestamp": stamp, "machine": {}, "options": vars(args), "workloads": classic + network + logs,
              "network": "classic workloads: --network none (both engines); network workloads: a user bridge "
                         "network (dockerd with iptables, its own bridge and pool)",
              "memory_kind": None, "samples": {n: {} for n in ENGINES}, "memory": {n: [] for n in ENGINES},
              "dns_runs": {n: [] for n in ENGINES}, "tcp_runs": {n: [] for n in ENGINES},
              "run_net_checks": {n: {"checked": 0, "failed": []} for n in ENGINES}, "errors": []}

    def order(i):
        return names if i % 2 == 0 else list(reversed(names))

    def attempt(name, workload, i, fn):
        try:
            return fn()
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            record["errors"].append({"engine": name, "workload": workload, "iteration": i, "error": str(e)})
            log(f"{name} {workload} #{i} failed: {e}")
            return None

    def alternate(workload, measure, keep):
        """`measure(name, i)` on each engine in turn, `args.iterations` times; `keep(name, i, result)` for each
        that did not fail."""
        log(f"workload {workload}: {args.iterations} iterations per engine, alternating")
        for i in range(args.iterations):
            for name in order(i):
                result = attempt(name, workload, i, lambda: measure(name, i))
                if result is not None:
                    keep(name, i, result)

    def keep_sample(key):
        return lambda name, i, ms: record["samples"][name].setdefault(key, []).append(ms)

    try:
        if "docker" in names:
            ensure_docker_io()
        binary = args.shoal_binary or (build_shoal() if "shoal" in names else None)
        record["machine"] = machine_facts()
        host = HostNetwork()
        record["host_network"] = {p: {"bridge": plan.bridge, "bip": plan.bip, "pool": plan.pool, "dns": DEAD_DNS}
                                  for p, plan in (("shoal", host.shoal), ("docker", host.docker))}
        cli_config = os.path.join(base, "cli-config")
        os.makedirs(cli_config)
        tarball = os.path.join(base, "busybox.tar")
        busybox_image_tarball(tarball)
        for name in names:
            if name == "shoal":
                engine = ShoalEngine(base, run_base, cli_config, binary, host)
                engines[name] = engine
                engine.start()
            else:
                engine = DockerEngine(base, run_base, cli_config, args.own_containerd, host)
                engines[name] = engine
                engine.start(network=bool(network) and not classic)
            engine.docker("load", "-i", tarball, timeout=300)
            log(f"{name}: image loaded")
            # One untimed warm-up of each workload (first-use caches) before measuring.
            if classic:
                w_run_true(engine)
                w_run_detached(engine)

        for workload, key, fn in (("run-true", "run_true", w_run_true), ("run-detached", "run_detached",
                                                                         w_run_detached)):
            if workload in classic:
                alternate(workload, lambda name, i: fn(engines[name]), keep_sample(key))

        def keep_commit_diff(name, i, times):
            for key, ms in zip(("diff", "commit", "api_diff", "api_commit"), times):
                keep_sample(key)(name, i, ms)

        if "commit-diff" in classic:
            alternate("commit-diff", lambda name, i: w_commit_diff(engines[name], i), keep_commit_diff)

        if "health-cpu" in classic:
            log(f"workload health-cpu: {HEALTH_CONTAINERS} containers, {HEALTH_SECONDS:g} s, "
                f"{args.health_rounds} rounds per engine, alternating")
        for i in range(args.health_rounds if "health-cpu" in classic else 0):
            for name in order(i):
                measured = attempt(name, "health-cpu", i, lambda: w_health_cpu(engines[name], i))
                if measured:
                    checks, daemon, machine = measured
                    keep_sample("health_checks")(name, i, checks)
                    keep_sample("health_daemon_cpu")(name, i, daemon)
                    keep_sample("health_daemon_per_check")(name, i, daemon * 1000.0 / checks)
                    keep_sample("health_machine_per_check")(name, i, machine * 1000.0 / checks)

        if "batch" in classic:
            log(f"workload batch: {BATCH_SIZE} containers, {PARALLELISM} at a time, {args.batch_iterations} rounds")
        for i in range(args.batch_iterations if "batch" in classic else 0):
            for name in order(i):
                start_ms, rm_ms, memory, nerr = w_batch(engines[name], record)
                s = record["samples"][name]
                s.setdefault("batch_start", []).append(start_ms)
                s.setdefault("batch_remove", []).append(rm_ms)
                record["memory"][name].append(memory)
                kind = "PSS" if memory["pss_kib"] is not None else "RSS"
                record["memory_kind"] = kind if record["memory_kind"] in (None, kind) else "mixed"
                kib = memory["pss_kib"] if memory["pss_kib"] is not None else memory["rss_kib"]
                s.setdefault("memory_mib", []).append(kib / 1024.0)
                log(f"{name} batch #{i}: start {start_ms:.0f} ms, remove {rm_ms:.0f} ms, "
                    f"{memory['running']} running, {kind} {kib / 1024.0:.1f} MiB = " +
                    ", ".join(f"{part} x{v['processes']} {v['pss_kib' if kind == 'PSS' else 'rss_kib'] / 1024.0:.1f}"
                              for part, v in memory["parts"].items()))

        if "logs-read" in logs:
            for name in names:
                w_logs_setup(engines[name], log_bytes)
                w_logs_read(engines[name], log_bytes)  # untimed warm-up (page cache)
            alternate("logs-read", lambda name, i: w_logs_read(engines[name], log_bytes), keep_sample("logs_read"))
        if "logs-follow" in logs:
            alternate("logs-follow", lambda name, i: w_logs_follow(engines[name], log_bytes, i),
                      keep_sample("logs_follow_mbps"))

        if network:
            docker = engines.get("docker")
            if docker is not None and not docker.network:
                log("docker: restarting dockerd with networking on (iptables, own bridge and pool)")
                docker.remove_all_containers()
                docker.stop()
                docker.start(network=True)
            selected_net = set(network)
            for name in names:
                engine = engines[name]
                setup_network(engine, selected_net)
                log(f"{name}: network {BENCH_NET} and its containers ready")
                # Untimed warm-ups.
                if "net-create" in selected_net:
                    w_net_create(engine, "warm")
                if "run-net" in selected_net:
                    w_run_net(engine, "warm")
                if selected_net & {"dns-p50", "dns-qps"}:
                    w_dns(engine, {"errors": []}, "serial", seconds=0.5)
                if "tcp-throughput" in selected_net:
                    w_tcp(engine, nbytes=256 << 20)

            if "net-create" in selected_net:
                alternate("net-create", lambda name, i: w_net_create(engines[name], i), keep_sample("net_create"))

            def keep_run_net(name, i, out):
                ms, failure = out
                keep_sample("run_net")(name, i, ms)
                checks = record["run_net_checks"][name]
                checks["checked"] += 1
                if failure:
                    checks["failed"].append(failure)
                    log(f"{name} run-net #{i}: name check failed: {failure}")

            if "run-net" in selected_net:
                alternate("run-net", lambda name, i: w_run_net(engines[name], i), keep_run_net)

            dns_modes = [m for m, w in (("serial", "dns-p50"), ("flight", "dns-qps")) if w in selected_net]
            if dns_modes:
                log(f"workload dns: {args.net_rounds} rounds per engine of {DNS_SECONDS:g} s "
                    f"({', '.join(dns_modes)}), alternating")
            for i in range(args.net_rounds if dns_modes else 0):
                for name in order(i):
                    for mode in dns_modes:
                        out = attempt(name, f"dns-{mode}", i, lambda: w_dns(engines[name], record, mode))
                        if out is None:
                            continue
                        record["dns_runs"][name].append(dict(out, mode=mode, round=i))
                        s = record["samples"][name]
                        if mode == "serial":
                            s.setdefault("dns_p50_us", []).append(out["p50_us"])
                            s.setdefault("dns_p99_serial_us", []).append(out["p99_us"])
                            log(f"{name} dns 1 in flight #{i}: p50 {out['p50_us']:.0f} us, "
                                f"p99 {out['p99_us']:.0f} us, {out['n']} queries")
                        else:
                            s.setdefault("dns_qps", []).append(out["qps"])
                            s.setdefault("dns_p99_us", []).append(out["p99_us"])
                            log(f"{name} dns {DNS_IN_FLIGHT} in flight #{i}: {out['qps']:.0f} q/s, "
                                f"p99 {out['p99_us']:.0f} us")

            if "tcp-throughput" in selected_net:
                log(f"workload tcp-throughput: {args.net_rounds} rounds per engine of {TCP_BYTES >> 30} GiB, "
                    "alternating")
                for i in range(args.net_rounds):
                    for name in order(i):
                        out = attempt(name, "tcp-throughput", i, lambda: w_tcp(engines[name]))
                        if out is None:
                            continue
                        record["tcp_runs"][name].append(out)
                        record["samples"][name].setdefault("tcp_gbps", []).append(out["gbps"])
                        log(f"{name} tcp #{i}: {out['gbps']:.2f} Gb/s ({out['seconds']:.2f} s)")
    except Interrupted as e:
        failed = f"interrupted by {e}"
    except BaseException as e:  # report, clean up, then exit non-zero
        failed = f"{type(e).__name__}: {e}"
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        if failed:
            log(f"FAILED: {failed}; cleaning up")
        for engine in engines.values():
            engine.kill_helpers()
        for engine in engines.values():
            engine.remove_all_containers()
            engine.remove_user_networks()
        for engine in engines.values():
            engine.stop()
        if failed and engines:
            os.makedirs(results_dir, exist_ok=True)
            for engine in engines.values():
                if engine.log_path and os.path.exists(engine.log_path):
                    keep = os.path.join(results_dir, f"{stamp}-{engine.name}.log")
                    shutil.copyfile(engine.log_path, keep)
                    log(f"{engine.name} daemon log copied to {keep}")
        clean = unmount_all([base, run_base])
        if host is not None:
            try:
                host.restore()
            except Exception as e:  # report; the roots are still cleaned below
                log(f"host network restore failed: {type(e).__name__}: {e}")
        if args.keep:
            log(f"--keep: roots left at {base} and {run_base}")
        elif clean:
            shutil.rmtree(base, ignore_errors=True)
            shutil.rmtree(run_base, ignore_errors=True)
        else:
            log(f"NOT deleting {base} / {run_base}: mounts remain under them")
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)

    if any(record["samples"][n] for n in names):
        os.makedirs(results_dir, exist_ok=True)
        record["machine"]["loadavg_end"] = read("/proc/loadavg", "").strip()
        record["failed"] = failed
        out = os.path.join(results_dir, f"{stamp}.json")
        with open(out, "w") as f:
            json.dump(record, f, indent=1)
        print()
        what = []
        if classic:
            what.append(f"{', '.join(classic)}: --network none (network setup not compared), " +
                        ", ".join(([f"{args.iterations} iterations"] if set(classic) - {"batch"} else []) +
                                  ([f"{args.batch_iterations} batch rounds"] if "batch" in classic else [])))
        if logs:
            what.append(f"{', '.join(logs)}: {log_bytes / (1 << 20):g} MiB of 100-byte lines, json-file, "
                        f"{args.iterations} iterations")
        if network:
            what.append(f"{', '.join(network)}: a user bridge network, dockerd with iptables; " +
                        ", ".join(([f"{args.iterations} iterations"] if {"net-create", "run-net"} & set(network)
                                   else []) +
                                  ([f"{args.net_rounds} DNS/TCP rounds"] if {"dns-p50", "dns-qps", "tcp-throughput"}
                                   & set(network) else [])))
        print(f"Shoal vs Docker {record['machine'].get('dockerd', '')}, docker CLI {DOCKER_CLI}; alternating "
              f"engines. " + "; ".join(what) + ".")
        print_table(record["samples"], record["memory_kind"] or "PSS", names)
        if "batch" in classic:
            print("memory: shoal = daemon + conmons; docker = dockerd + containerd + containerd-shims.")
        if {"dns-p50", "dns-qps"} & set(network):
            print(f"DNS: stdlib python UDP client in the container's netns (nsenter) -> 127.0.0.11:53, "
                  f"A queries for a peer container's name, {DNS_SECONDS:g} s per round; "
                  "ratios of q/s and Gb/s: higher is better.")
        if "run-net" in network:
            parts = []
            for name in names:
                checks = record["run_net_checks"][name]
                parts.append(f"{name} {checks['checked'] - len(checks['failed'])}/{checks['checked']} resolved")
            print("run-net name check (a peer on the network asks 127.0.0.11 for the new name as soon as "
                  "`docker run -d` returns): " + ", ".join(parts))
            for name in names:
                for failure in record["run_net_checks"][name]["failed"][:10]:
                    print(f"  {name} FAILED: {failure}")
        if record["errors"]:
            print(f"{len(record['errors'])} errors (see JSON): " +
                  "; ".join(f"{e['engine']} {e['workload']}: {e.get('first') or e.get('error')}"
                            for e in record["errors"][:3]))
        print(f"raw samples: {out}")
    if failed:
        print(f"bench failed: {failed}", file=sys.stderr)
        return 130 if interrupted["signal"] else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
