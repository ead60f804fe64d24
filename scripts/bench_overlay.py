"""The multi-host overlay figures of `scripts/bench.sh --only overlay`: Shoal vs a Docker 20.10 swarm, side by side.

Both engines get three hosts, each a network namespace of this machine with its own daemon, joined by one bridge,
formed into a swarm with one manager (host 1) and two workers, the same busybox image on every host and one
attachable overlay network made on host 1 with `docker network create -d overlay --attachable`:
  Docker   this script makes the namespaces (`ip netns add`, names unique to the run), a bridge with one veth per
           namespace and addresses on a free 10.198.x.0/24 inside them, starts Debian's dockerd 20.10 in each with
           `nsenter --net=/run/netns/NS -- dockerd …` (own --data-root, --exec-root, --pidfile, -H unix socket; not
           `ip netns exec`, which hides the cgroup mounts), then `swarm init --advertise-addr` on host 1 and
           `swarm join` on hosts 2 and 3.
  Shoal    `shoal cluster up --nodes 3 --managers 1` with SHOAL_CLUSTER_ROOT in the run's directory; the same
           docker commands as on Docker afterwards (`docker load`, `network create -d overlay --attachable`).
Every command below goes through the stock docker CLI to one host's socket. The engines alternate iteration by
iteration (both clusters stay up for the whole run). An engine whose setup fails is reported with the step that
failed and removed; the other engine goes on.

Workloads (select with --only, comma-separated; `overlay` is all four; `shoal`/`docker` select an engine):
  overlay-resolve     host 2 runs a client container on the overlay; N times: `docker run -d --name X --network
                      NET busybox sleep 1000` on host 1 -> X resolves in the client on host 2; `docker rm -f X` on
                      host 1 -> X no longer resolves there. Both are times from the CLI command returning, so a name
                      that resolves (or is gone) before the CLI returns gives a negative figure.
                      How: a poller (stdlib python of the host, run with nsenter in the client container's network
                      namespace, started once and idle between measurements) sends an A query for X to 127.0.0.11
                      every 2 ms without waiting for answers (an unknown name may get no answer at all from Docker
                      when its upstream is dead), from just before the CLI command is started. "Resolves" is the send
                      time of the first query answered with an address; "gone" is the send time of the first query
                      after the last one answered with an address (decided once no query sent in the following 1 s
                      got an address). The poller stamps with CLOCK_MONOTONIC, the clock the script stamps the CLI's
                      return with, so no `docker exec` and no process start is inside the figure; the resolution is
                      the 2 ms poll interval plus one DNS round trip. The poller adds ~500 queries/s to host 2's
                      DNS server while a measurement runs.
  overlay-run         `docker run -d --network NET busybox sleep 1000` on host 1 until the CLI returns (rm untimed).
  overlay-dns-qps     embedded DNS answers per second for a container on host 1 (a remote name), 16 queries in flight,
                      asked from the client container on host 2 (bench.py's in-netns UDP client, `flight` mode).
  overlay-throughput  one TCP connection from the client container on host 2 to a container on host 1 over the
                      overlay, sending 4 MiB writes for 3 s (bench.py's in-netns python sender/receiver, run with
                      nsenter in the containers' namespaces; the time runs until the receiver has counted the last
                      byte), and the same between the two hosts' underlay addresses (in the hosts' namespaces, not in
                      containers) as the reference, back to back in each round (which goes first alternates);
                      --tcp-rounds rounds. MB/s (10^6 bytes), overlay/underlay of the medians and the median of each
                      round's overlay/underlay (the steadier figure on a busy machine: both runs of a round see the
                      same load). The JSON also has each side's CPU time per GB.
The upstream DNS of both engines is a dead loopback address (127.0.0.254): only container names are queried.

Cleanup, also on Ctrl-C or error (unless --keep): containers, the overlay, `swarm leave` and each dockerd (and its
containerd) stopped by pid, mounts under the run's roots, the namespaces (with what Docker left inside them, such as
docker_gwbridge), the veths and bridge, /run/netns itself when this run made it a mount point, `shoal cluster down`,
and bench.py's host network snapshot restored (links, iptables, nftables tables, sysctls of the host namespace).
"""

import datetime
import ipaddress
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import bench as B

WORKLOADS = B.OVERLAY_WORKLOADS
PER_ITERATION = ("overlay-resolve", "overlay-run")  # --iterations; the others --net-rounds
HOSTS = 3
NET = "shoalbench-ov"
CLIENT = "sb-ov-client"   # on host 2: the poller, the DNS client and the TCP sender live in its namespace
TARGET = "sb-ov-target"   # on host 1: the remote name of overlay-dns-qps and the TCP receiver
POLL_INTERVAL = 0.002
GONE_HOLD = 1.0
WAIT_LIMIT = 30.0
# A timed transfer rather than a fixed size: 100 MB lasted 40-80 ms, too short to average out the machine's noise.
TCP_SECONDS = 3.0
TCP_PORT = 5201
NETNS_DIR = "/run/netns"

# The poller: bench.py's in-netns client (query/answer codec, dns_socket) plus a `watch` mode. NETNS_CLIENT's own
# dispatch ignores the unknown mode, so this part runs after it.
WATCH_CLIENT = B.NETNS_CLIENT + r'''
def poll(s, name, appear, interval, hold, limit, qid):
    """Queries `name` every `interval` s, never waiting for an answer. appear: until an answer has an address;
    otherwise: until no query sent in `hold` s after the last one answered with an address got one."""
    while True:  # drop answers left from the previous name
        try:
            s.recv(1500)
        except BlockingIOError:
            break
    sent, sends = {}, []
    positive = negative = 0
    last_pos, addrs = None, []
    start = time.monotonic()
    next_send = start
    while True:
        now = time.monotonic()
        if now >= next_send:
            qid = (qid + 1) & 0xFFFF
            s.send(query(name, qid))
            sent[qid] = now
            sends.append(now)
            next_send = max(next_send + interval, now)
        while True:
            try:
                buf = s.recv(1500)
            except BlockingIOError:
                break
            got, rcode, found = answer(buf)
            t = sent.pop(got, None)
            if t is None:
                continue
            if rcode == 0 and found:
                positive += 1
                if appear:
                    return qid, {"ok": True, "sent": t, "answered": time.monotonic(), "addrs": found,
                                 "queries": len(sends), "negative": negative}
                if last_pos is None or t > last_pos:
                    last_pos, addrs = t, found
            else:
                negative += 1
        now = time.monotonic()
        if not appear and now - (start if last_pos is None else last_pos) > hold:
            later = [t for t in sends if last_pos is None or t > last_pos]
            if later:
                return qid, {"ok": True, "sent": later[0], "last_present": last_pos, "addrs": addrs,
                             "queries": len(sends), "positive": positive, "negative": negative,
                             "unanswered": len(sent)}
        if now - start > limit:
            return qid, {"ok": False, "queries": len(sends), "positive": positive, "negative": negative,
                         "unanswered": len(sent), "last_present": last_pos}
        select.select([s], [], [], max(0.0, min(next_send - time.monotonic(), interval)))

def watch(interval, hold, limit):
    s, qid = dns_socket(), 0
    s.setblocking(False)
    print("ready", flush=True)
    for line in sys.stdin:
        what, name = line.split()
        qid, out = poll(s, name, what == "appear", interval, hold, limit, qid)
        out["name"] = name
        print(json.dumps(out), flush=True)

if mode == "watch":
    watch(float(args[0]), float(args[1]), float(args[2]))
'''


def nsenter_argv(net, script, *args):
    """The host's python3 running `script` in the network namespace `net` (a path: /proc/PID/ns/net, /run/netns/NS,
    or a Shoal host's namespace file)."""
    return ["nsenter", f"--net={net}", sys.executable, "-c", script, *[str(a) for a in args]]


def run_checked(argv, what, timeout=60):
    result = B.run_quiet(argv, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{what}: {' '.join(argv)}: {(result.stderr or result.stdout).strip()}")
    return result


class SetupFailed(RuntimeError):
    """An engine's cluster could not be made; `step` says where."""

    def __init__(self, engine, step, error):
        super().__init__(f"{engine}: setup failed at {step}: {error}")
        self.step = step


# ---------------------------------------------------------------- hosts and clusters

class DockerHost(B.DockerEngine):
    """One Docker 20.10 host: dockerd in its own network namespace (bench.py's DockerEngine: containerd, shims, the
    CLI environment, stop by pid)."""

    def __init__(self, index, netns, address, base, run_base, cli_config, own_containerd):
        B.Engine.__init__(self, f"docker-{index}", base, run_base, cli_config)
        self.index, self.netns, self.address = index, netns, address
        self.netns_path = os.path.join(NETNS_DIR, netns)
        self.socket = os.path.join(self.exec_root, "docker.sock")
        self.log_path = os.path.join(self.data_root, "dockerd.log")
        self.own_containerd = own_containerd or os.path.exists(B.SYSTEM_CONTAINERD_SOCK)
        self.containerd_proc = None
        self.containerd_sock = os.path.join(self.exec_root, "containerd", "containerd.sock")

    def start(self):
        os.makedirs(self.data_root, exist_ok=True)
        config = os.path.join(self.data_root, "daemon.json")
        with open(config, "w") as f:
            # Never read /etc/docker/daemon.json; keep the trust key (20.10 writes /etc/docker/key.json) in our root.
            json.dump({"deprecated-key-path": os.path.join(self.data_root, "key.json")}, f)
        argv = ["nsenter", f"--net={self.netns_path}", "--",
                "dockerd", "--data-root", os.path.join(self.data_root, "root"), "--exec-root", self.exec_root,
                "-H", "unix://" + self.socket, "--pidfile", os.path.join(self.exec_root, "dockerd.pid"),
                "--config-file", config, "--dns", B.DEAD_DNS, "--userland-proxy=false", "--storage-driver=overlay2"]
        if self.own_containerd:
            if self.containerd_proc is None or self.containerd_proc.poll() is not None:  # a restart keeps it
                self.start_containerd()
            argv += ["--containerd", self.containerd_sock]
        self.spawn(argv)  # nsenter execs dockerd: the pid is dockerd's
        self.wait_ready()


class ShoalHost(B.Engine):
    """One host of a Shoal local cluster, as `shoal cluster up` recorded it in cluster.json."""

    def __init__(self, node, cli_config):
        B.Engine.__init__(self, f"shoal-{node['index']}", node["dataRoot"], node["execRoot"], cli_config)
        self.index, self.address, self.netns_path = node["index"], node["address"], node["netns"]
        self.data_root, self.exec_root = node["dataRoot"], node["execRoot"]
        self.socket = node["socket"]
        self.pid = node["pid"]


class Cluster:
    """One engine's three hosts and what the workloads keep on them."""

    name = None

    def __init__(self):
        self.hosts = []
        self.helpers = []   # nsenter + python processes in the containers' namespaces
        self.fixture = {}
        self.info = {}

    def setup_step(self, step, fn, *args):
        try:
            return fn(*args)
        except (RuntimeError, subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
            raise SetupFailed(self.name, step, e) from e

    def load_and_network(self, tarball):
        for host in self.hosts:
            self.setup_step(f"docker load on {host.name}", lambda h=host: h.docker("load", "-i", tarball, timeout=300))
        h1 = self.hosts[0]
        self.setup_step("docker network create -d overlay --attachable",
                        lambda: h1.docker("network", "create", "-d", "overlay", "--attachable", NET))

    def make_fixture(self):
        """The client on host 2 with its poller, the target on host 1."""
        h1, h2 = self.hosts[0], self.hosts[1]
        self.setup_step(f"run {CLIENT} on host 2 (overlay attachment on a worker)",
                        lambda: h2.docker("run", "-d", "--name", CLIENT, "--network", NET, B.IMAGE, "sleep", "1000000"))
        self.setup_step(f"run {TARGET} on host 1",
                        lambda: h1.docker("run", "-d", "--name", TARGET, "--network", NET, B.IMAGE, "sleep", "1000000"))
        f = self.fixture
        f["client_pid"] = self.setup_step("inspect the client", B.container_pid, h2, CLIENT)
        f["target_pid"] = self.setup_step("inspect the target", B.container_pid, h1, TARGET)
        f["target_ip"] = self.setup_step("the target's overlay address", overlay_ip, h1, TARGET)
        f["client_ip"] = self.setup_step("the client's overlay address", overlay_ip, h2, CLIENT)

        def start_poller():
            proc = subprocess.Popen(nsenter_argv(f"/proc/{f['client_pid']}/ns/net", WATCH_CLIENT, "watch",
                                                 POLL_INTERVAL, GONE_HOLD, WAIT_LIMIT),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
            self.helpers.append(proc)
            if B.read_line(proc, 15, f"{self.name}: poller").strip() != "ready":
                raise RuntimeError("the poller did not start")
            return proc

        f["poller"] = self.setup_step("start the DNS poller in the client's namespace", start_poller)
        B.log(f"{self.name}: {CLIENT} {f['client_ip']} on host 2, {TARGET} {f['target_ip']} on host 1 (overlay {NET})")

    def kill_helpers(self):
        B.stop_netns_helpers(self.name, self.helpers)
        self.helpers = []

    def remove_workload_objects(self):
        """Containers on every host, then the overlay (on the manager)."""
        self.kill_helpers()
        for host in self.hosts:
            host.remove_all_containers()
        if self.hosts and self.hosts[0].pid and B.alive(self.hosts[0].pid):
            for attempt in range(5):  # a worker's detach reaches the manager a moment later
                result = self.hosts[0].docker("network", "rm", NET, timeout=60, check=False)
                if result.returncode == 0 or "not found" in result.stderr:
                    break
                if attempt == 4:
                    B.log(f"{self.name}: network rm {NET}: {result.stderr.strip()}")
                time.sleep(1)


class DockerSwarm(Cluster):
    name = "docker"

    def __init__(self, base, run_base, cli_config, own_containerd):
        super().__init__()
        tag = os.getpid() % 100000
        self.base = os.path.join(base, "docker")
        self.run_base = os.path.join(run_base, "docker")
        self.bridge = f"sbo{tag}br"
        self.netns = [f"shoalbench-ov{tag}-d{i}" for i in range(1, HOSTS + 1)]
        self.veths = [f"sbo{tag}v{i}" for i in range(1, HOSTS + 1)]
        self.subnet = None
        self.cli_config = cli_config
        self.own_containerd = own_containerd
        self.made_links = []
        self.made_netns = []
        self.netns_dir = None   # (existed, was a mount point) before this run

    @staticmethod
    def free_subnet():
        taken = B.host_ipv4_networks()
        for x in range(255, -1, -1):
            net = ipaddress.ip_network(f"10.198.{x}.0/24")
            if not any(n.overlaps(net) for n in taken):
                return net
        raise RuntimeError("no free /24 in 10.198.0.0/16 for the hosts' underlay")

    def up(self, tarball):
        self.setup_step("the hosts' namespaces, veths and bridge", self.make_hosts)
        for host in self.hosts:
            self.setup_step(f"dockerd on {host.name}", host.start)
        self.setup_step("swarm init / join", self.form_swarm)
        self.load_and_network(tarball)
        self.make_fixture()

    def make_hosts(self):
        existing = B.link_names()
        for name in [self.bridge] + self.veths:
            if name in existing:
                raise RuntimeError(f"link {name} exists already")
        for ns in self.netns:
            if os.path.exists(os.path.join(NETNS_DIR, ns)):
                raise RuntimeError(f"network namespace {ns} exists already")
        self.subnet = self.free_subnet()
        self.netns_dir = (os.path.isdir(NETNS_DIR), is_mountpoint(NETNS_DIR))
        run_checked(["ip", "link", "add", self.bridge, "type", "bridge"], "bridge")
        self.made_links.append(self.bridge)
        run_checked(["ip", "link", "set", self.bridge, "up"], "bridge")
        addresses = list(self.subnet.hosts())
        os.makedirs(self.base, exist_ok=True)
        os.makedirs(self.run_base, exist_ok=True)
        for i, (ns, veth) in enumerate(zip(self.netns, self.veths), start=1):
            address = str(addresses[i])  # .2, .3, .4: .1 stays free (the bridge has no address)
            run_checked(["ip", "netns", "add", ns], "netns")
            self.made_netns.append(ns)
            run_checked(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns], "veth")
            self.made_links.append(veth)
            run_checked(["ip", "link", "set", veth, "master", self.bridge, "up"], "veth")
            for argv in (["ip", "-n", ns, "link", "set", "lo", "up"],
                         ["ip", "-n", ns, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", "eth0"],
                         ["ip", "-n", ns, "link", "set", "eth0", "up"]):
                run_checked(argv, f"host {i}")
            self.hosts.append(DockerHost(i, ns, address, self.base, self.run_base, self.cli_config,
                                         self.own_containerd))
        self.info = {"subnet": str(self.subnet), "bridge": self.bridge, "netns": self.netns,
                     "addresses": [h.address for h in self.hosts]}
        B.log(f"docker: hosts {', '.join(f'{h.netns}={h.address}' for h in self.hosts)} on bridge {self.bridge}")

    def form_swarm(self):
        manager = self.hosts[0]
        manager.docker("swarm", "init", "--advertise-addr", manager.address, timeout=120)
        token = manager.docker("swarm", "join-token", "-q", "worker").stdout.strip()
        for host in self.hosts[1:]:
            host.docker("swarm", "join", "--token", token, "--advertise-addr", host.address,
                        f"{manager.address}:2377", timeout=120)
        deadline = time.monotonic() + 60
        while True:
            states = manager.docker("node", "ls", "--format", "{{.Status}}").stdout.split()
            if len(states) == HOSTS and all(s == "Ready" for s in states):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"swarm not Ready after 60 s: {states}")
            time.sleep(0.2)
        B.log(f"docker: swarm of {HOSTS} hosts Ready (manager {manager.address})")

    def down(self, keep=False):
        """Undo everything `up` made, whatever state it reached. Returns the problems left (empty: clean)."""
        problems = []
        self.remove_workload_objects()
        for host in reversed(self.hosts):  # workers first, the manager last
            if host.pid and B.alive(host.pid):
                result = host.docker("swarm", "leave", "--force", timeout=60, check=False)
                if result.returncode != 0 and "not part of a swarm" not in result.stderr:
                    B.log(f"{host.name}: swarm leave: {result.stderr.strip()}")
        for host in self.hosts:
            try:
                host.stop()
            except Exception as e:  # go on with the others
                problems.append(f"{host.name}: stop: {e}")
        if not B.unmount_all([self.base, self.run_base]):
            problems.append(f"mounts left under {self.base} or {self.run_base}")
        # Deleting a namespace takes what Docker made inside it (docker0, docker_gwbridge, its iptables/nft tables,
        # the eth0 end of our veth, whose host end then goes too).
        for ns in self.made_netns:
            left = B.run_quiet(["ip", "-n", ns, "-o", "link", "show"]).stdout
            left = [line.split(":")[1].strip().split("@")[0] for line in left.splitlines() if ":" in line]
            left = [name for name in left if name not in ("lo", "eth0")]
            if left:
                B.log(f"docker: left in {ns} after swarm leave and stop: {', '.join(left)} (gone with the namespace)")
            result = B.run_quiet(["ip", "netns", "delete", ns])
            if result.returncode != 0:
                problems.append(f"ip netns delete {ns}: {result.stderr.strip()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and set(self.veths) & B.link_names():
            time.sleep(0.1)  # a namespace is torn down asynchronously by the kernel
        for name in [v for v in self.veths if v in B.link_names()] + [self.bridge]:
            if name in self.made_links and name in B.link_names():
                result = B.run_quiet(["ip", "link", "del", name])
                if result.returncode != 0:
                    problems.append(f"ip link del {name}: {result.stderr.strip()}")
        if self.netns_dir is not None:
            problems += restore_netns_dir(*self.netns_dir)
        if not keep and not problems:
            shutil.rmtree(self.base, ignore_errors=True)
            shutil.rmtree(self.run_base, ignore_errors=True)
        return problems

    def log_paths(self):
        return [(h.name, h.log_path) for h in self.hosts]


class ShoalCluster(Cluster):
    name = "shoal"

    def __init__(self, binary, base, cli_config, run_base=None):
        super().__init__()
        self.binary = binary
        self.root = os.path.join(base, "shoal-cluster")
        self.cluster = f"sbo{os.getpid() % 100000}"
        self.cli_config = cli_config
        self.env = dict(os.environ, SHOAL_CLUSTER_ROOT=self.root)
        # The hosts' runtime state (exec roots: runc's and conmon's files, namespaces, sockets) on the tmpfs beside
        # Docker's exec roots, as /run is for both daemons outside a benchmark; the data roots stay on disk for both.
        self.run_root = os.path.join(run_base, "shoal-cluster-run") if run_base else None
        if self.run_root:
            self.env["SHOAL_CLUSTER_RUN_ROOT"] = self.run_root
        self.state = None
        self.conmon_pids = []

    def up(self, tarball):
        self.setup_step("shoal cluster up", self.cluster_up)
        self.load_and_network(tarball)
        self.make_fixture()

    def cluster_up(self):
        os.makedirs(self.root, exist_ok=True)
        argv = [self.binary, "cluster", "up", "--name", self.cluster, "--nodes", str(HOSTS), "--managers", "1",
                "--dns", B.DEAD_DNS]
        B.log(f"shoal: SHOAL_CLUSTER_ROOT={self.root} {' '.join(argv)}")
        # A session of its own, and on Ctrl-C we let it finish (it records every step; `down` then removes them):
        # killed half-way it could leave a namespace or daemon it had not recorded yet.
        proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=300)
        except BaseException:
            try:
                proc.communicate(timeout=180)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            raise
        self.load_state()
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {(err or out).strip()[-500:]}")
        line = (out.strip().splitlines() or [""])[0]
        B.log(f"shoal: {line}")

    def load_state(self):
        path = os.path.join(self.root, "data", self.cluster, "cluster.json")
        if not os.path.exists(path):
            return
        with open(path) as f:
            self.state = json.load(f)
        self.hosts = [ShoalHost(n, self.cli_config) for n in sorted(self.state["nodes"], key=lambda n: n["index"])]
        self.info = {"cluster": self.cluster, "subnet": self.state.get("subnet"), "bridge": self.state.get("bridge"),
                     "addresses": [h.address for h in self.hosts]}

    def down(self, keep=False):
        problems = []
        if self.state is None:
            self.load_state()
        if self.state is not None:
            self.remove_workload_objects()
            conmons = [pid for host in self.hosts for pid in B.conmon_pids(host.exec_root)]
            result = subprocess.run([self.binary, "cluster", "down", "--name", self.cluster], env=self.env,
                                    capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                problems.append(f"shoal cluster down: {(result.stderr or result.stdout).strip()}")
            for pid in conmons:  # cluster down kills them; a guard, by pid
                B.kill_tree(pid, "conmon")
            bridge = self.state.get("bridge")
            if bridge and bridge in B.link_names():
                problems.append(f"link {bridge} left by cluster down")
        roots = [self.root] + ([self.run_root] if self.run_root else [])
        if not B.unmount_all(roots):
            problems.append(f"mounts left under {' or '.join(roots)}")
        if not keep and not problems:
            for root in roots:
                shutil.rmtree(root, ignore_errors=True)
        return problems

    def log_paths(self):
        return [(h.name, os.path.join(h.data_root, "daemon.log")) for h in self.hosts]


def is_mountpoint(path):
    return any(line.split()[4] == path for line in (B.read("/proc/self/mountinfo") or "").splitlines())


def restore_netns_dir(existed, was_mountpoint):
    """`ip netns add` makes /run/netns a (shared) bind mount of itself: undone when this run made it and nothing else
    lives there now."""
    problems = []
    if not os.path.isdir(NETNS_DIR):
        return problems
    others = os.listdir(NETNS_DIR)
    if others:
        if not was_mountpoint and is_mountpoint(NETNS_DIR):
            B.log(f"{NETNS_DIR} became a mount point during this run; left as it is: other namespaces live there "
                  f"({', '.join(sorted(others)[:5])})")
        return problems
    if not was_mountpoint and is_mountpoint(NETNS_DIR):
        if B.run_quiet(["umount", NETNS_DIR]).returncode != 0:
            problems.append(f"cannot unmount {NETNS_DIR}")
            return problems
    if not existed:
        try:
            os.rmdir(NETNS_DIR)
        except OSError as e:
            problems.append(f"rmdir {NETNS_DIR}: {e}")
    return problems


def overlay_ip(host, name):
    ip = host.docker("inspect", "-f", '{{(index .NetworkSettings.Networks "%s").IPAddress}}' % NET, name).stdout.strip()
    if not ip:
        raise RuntimeError(f"{host.name}: {name} has no address on {NET}")
    return ip


# ---------------------------------------------------------------- workloads

def poller_ask(cluster, what, name):
    poller = cluster.fixture["poller"]
    poller.stdin.write(f"{what} {name}\n")
    poller.stdin.flush()


def poller_answer(cluster, what, name):
    out = json.loads(B.read_line(cluster.fixture["poller"], WAIT_LIMIT + 10, f"{cluster.name}: poller ({what} {name})"))
    if out.get("name") != name:
        raise RuntimeError(f"{cluster.name}: poller answered for {out.get('name')}, not {name}")
    return out


def polled(cluster, what, name, command):
    """Starts the poller on `name`, runs the docker `command` on host 1; (CLI return time, the poller's answer).
    When the command fails, the poller's answer is awaited anyway (it gives up after WAIT_LIMIT), so that the next
    measurement does not read this one's."""
    poller_ask(cluster, what, name)
    try:
        cluster.hosts[0].docker(*command)
    except (RuntimeError, subprocess.TimeoutExpired):
        poller_answer(cluster, what, name)
        raise
    returned = time.monotonic()
    return returned, poller_answer(cluster, what, name)


def w_resolve(cluster, tag):
    """(appear ms, gone ms, details): run -d on host 1 -> the name resolves on host 2; rm -f -> it is gone."""
    h1 = cluster.hosts[0]
    name = f"sb-ovr-{tag}"
    try:
        returned, appear = polled(cluster, "appear", name,
                                  ("run", "-d", "--name", name, "--network", NET, B.IMAGE, "sleep", "1000"))
        expected = overlay_ip(h1, name)
    except BaseException:
        h1.docker("rm", "-f", name, check=False)
        raise
    details = {"name": name, "expected": expected, "appear": appear}
    if not appear["ok"]:
        h1.docker("rm", "-f", name, check=False)
        raise RuntimeError(f"{cluster.name}: {name} did not resolve on host 2 within {WAIT_LIMIT:g} s "
                           f"({appear['queries']} queries)")
    appear_ms = (appear["sent"] - returned) * 1000.0
    if expected not in appear["addrs"]:
        details["wrong_address"] = True
    returned, gone = polled(cluster, "gone", name, ("rm", "-f", name))
    details["gone"] = gone
    if not gone["ok"]:
        raise RuntimeError(f"{cluster.name}: {name} still resolves on host 2 {WAIT_LIMIT:g} s after rm -f")
    return appear_ms, (gone["sent"] - returned) * 1000.0, details


def w_run(cluster):
    ms, result = B.timed(cluster.hosts[0], "run", "-d", "--network", NET, B.IMAGE, "sleep", "1000")
    cluster.hosts[0].docker("rm", "-f", result.stdout.strip())
    return ms


def w_dns(cluster, seconds=B.DNS_SECONDS):
    argv = nsenter_argv(f"/proc/{cluster.fixture['client_pid']}/ns/net", B.NETNS_CLIENT, "flight", seconds, TARGET,
                        B.DNS_IN_FLIGHT)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"{cluster.name}: DNS client failed ({result.returncode}): {result.stderr.strip()[-300:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    if not out["n"]:
        raise RuntimeError(f"{cluster.name}: no DNS answers for {TARGET} from host 2: {out}")
    return out


def tcp_once(cluster, server_net, client_net, address, seconds):
    server = subprocess.Popen(nsenter_argv(server_net, B.NETNS_CLIENT, "tcp-server", TCP_PORT), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    cluster.helpers.append(server)
    try:
        if B.read_line(server, 15, f"{cluster.name}: tcp server").strip() != "ready":
            raise RuntimeError(f"{cluster.name}: tcp server did not start")
        result = subprocess.run(nsenter_argv(client_net, B.NETNS_CLIENT, "tcp-timed", address, TCP_PORT, seconds),
                                capture_output=True, text=True, timeout=seconds + 120)
        if result.returncode != 0 or not result.stdout.strip():
            raise RuntimeError(f"{cluster.name}: tcp client to {address} failed ({result.returncode}): "
                               f"{result.stderr.strip()[-300:]}")
        out = json.loads(result.stdout.strip().splitlines()[-1])
        server.wait(timeout=30)
        received = json.loads(server.stdout.read().strip().splitlines()[-1])
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=5)
        cluster.helpers.remove(server)
    if out["received"] != out["sent"]:
        raise RuntimeError(f"{cluster.name}: tcp receiver at {address} got {out['received']} of {out['sent']} bytes")
    out["mbps"] = out["sent"] / out["seconds"] / 1e6
    gb = out["sent"] / 1e9
    out["sender_cpu_ms_per_gb"] = out.pop("cpu_s") * 1e3 / gb
    out["receiver_cpu_ms_per_gb"] = received["cpu_s"] * 1e3 / gb
    return out


def w_throughput(cluster, round_index, seconds=TCP_SECONDS):
    """(overlay run, underlay run): host 2 -> host 1, between containers over the overlay and between the hosts' own
    addresses; which goes first alternates round by round."""
    f, h1, h2 = cluster.fixture, cluster.hosts[0], cluster.hosts[1]

    def overlay():
        return tcp_once(cluster, f"/proc/{f['target_pid']}/ns/net", f"/proc/{f['client_pid']}/ns/net",
                        f["target_ip"], seconds)

    def underlay():
        return tcp_once(cluster, h1.netns_path, h2.netns_path, h1.address, seconds)

    if round_index % 2 == 0:
        first = overlay()
        return first, underlay()
    first = underlay()
    return overlay(), first


# ---------------------------------------------------------------- output

ROWS = [  # (label, sample key, unit)
    ("overlay-resolve: run -d on host 1 -> resolves on host 2", "resolve_appear_ms", "ms"),
    ("overlay-resolve: rm -f on host 1 -> gone on host 2", "resolve_gone_ms", "ms"),
    ("overlay-run: run -d --network <overlay>", "run_ms", "ms"),
    (f"overlay-dns-qps: remote name, {B.DNS_IN_FLIGHT} in flight, q/s", "dns_qps", "q/s"),
    (f"overlay-dns-qps: remote name, {B.DNS_IN_FLIGHT} in flight, p99", "dns_p99_us", "us"),
    (f"overlay-throughput: {TCP_SECONDS:g} s, overlay, MB/s", "overlay_mbps", "MB/s"),
    (f"overlay-throughput: {TCP_SECONDS:g} s, underlay, MB/s", "underlay_mbps", "MB/s"),
    ("overlay-throughput: overlay/underlay (of medians)", "overlay_ratio", "x"),
    ("overlay-throughput: overlay/underlay (median of rounds)", "overlay_round_ratio", "x"),
]


def fmt(x, unit):
    if x is None:
        return "-"
    if unit == "x":
        return f"{x:.2f}x"
    return B.fmt(x, unit) if x >= 0 else f"{x:.1f} {unit}"


def print_table(samples):
    header = ["workload", "n", "shoal median", "shoal p90", "docker median", "docker p90", "shoal/docker"]
    lines = []
    for label, key, unit in ROWS:
        s, d = samples["shoal"].get(key, []), samples["docker"].get(key, [])
        if not s and not d:
            continue
        sm, dm = B.median(s), B.median(d)
        ratio = f"{sm / dm:.2f}x" if s and d and sm > 0 and dm > 0 else "-"
        n = "-" if unit == "x" else str(max(len(s), len(d)))
        p90s = [fmt(B.p90(xs), unit) if unit != "x" else "" for xs in (s, d)]
        lines.append([label, n, fmt(sm, unit), p90s[0], fmt(dm, unit), p90s[1], ratio])
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    out = []
    for i, r in enumerate([header] + lines):
        out.append("  ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(r)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    print("\n".join(out))


# ---------------------------------------------------------------- the end of a run (also bench_services.py)

def tear_down(clusters, host, base, run_base, record, failed, keep, keep_logs, logs_of_engine_errors=False):
    """The `finally:` of a cluster bench, with SIGINT/SIGTERM/SIGHUP ignored until it is done. Each cluster's daemon
    logs go to `keep_logs(cluster)` when the run `failed`, and with `logs_of_engine_errors` also when record["errors"]
    names that engine; each cluster is brought down (its problems logged and recorded as "cleanup" errors); then the
    mounts under the roots are undone, bench.py's host network snapshot (`host`, if taken) is restored and, unless
    `keep` or mounts remain, the roots are removed."""
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    if failed:
        B.log(f"FAILED: {failed}; cleaning up")
    for name, cluster in list(clusters.items()):
        if failed or (logs_of_engine_errors and any(e["engine"] == name for e in record["errors"])):
            keep_logs(cluster)
        try:
            problems = cluster.down(keep=keep)
        except Exception as e:  # the other engine and the host are still cleaned below
            problems = [f"{type(e).__name__}: {e}"]
        for p in problems:
            B.log(f"{name}: cleanup: {p}")
            record["errors"].append({"engine": name, "workload": "cleanup", "error": p})
    clean = B.unmount_all([base, run_base])
    if host is not None:
        try:
            host.restore()
        except Exception as e:
            B.log(f"host network restore failed: {type(e).__name__}: {e}")
    if keep:
        B.log(f"--keep: roots left at {base} and {run_base}")
    elif clean:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(run_base, ignore_errors=True)
    else:
        B.log(f"NOT deleting {base} / {run_base}: mounts remain under them")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)


def write_record(record, results_dir, file_name, failed, **extra):
    """Writes the run's JSON into results_dir, with the load average at its end, `failed` and the `extra` keys;
    returns its path."""
    os.makedirs(results_dir, exist_ok=True)
    record["machine"]["loadavg_end"] = B.read("/proc/loadavg", "").strip()
    record["failed"] = failed
    record.update(extra)
    out = os.path.join(results_dir, file_name)
    with open(out, "w") as f:
        json.dump(record, f, indent=1)
    return out


def print_end(record, out, failed, interrupted):
    """The last lines of a cluster bench's report (the first errors, the JSON's path); returns the exit status."""
    if record["errors"]:
        print(f"{len(record['errors'])} errors (see JSON): " +
              "; ".join(f"{e['engine']} {e['workload']}: {e['error']}" for e in record["errors"][:3]))
    print(f"raw samples: {out}")
    if failed:
        print(f"bench failed: {failed}", file=sys.stderr)
        return 130 if interrupted["signal"] else 1
    return 1 if record["engine_errors"] else 0


# ---------------------------------------------------------------- main

def main(args, tokens):
    """`--only overlay[,workloads][,engine]`; returns the exit status."""
    names = [n for n in B.ENGINES if n in tokens] or list(B.ENGINES)
    selected = [w for w in WORKLOADS if w in tokens] or list(WORKLOADS)
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    for tool in ("nsenter", "ip"):
        if not shutil.which(tool):
            raise SystemExit(f"--only overlay needs {tool}")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(B.REPO, "bench-results")
    interrupted = {"signal": None}

    def on_signal(signum, _frame):
        interrupted["signal"] = signum
        raise B.Interrupted(signal.Signals(signum).name)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    base = tempfile.mkdtemp(prefix="shoal-bench-ov-", dir="/var/tmp")
    run_base = tempfile.mkdtemp(prefix="shoal-bench-ov-", dir="/run")
    clusters, host, failed = {}, None, None
    record = {"timestamp": stamp, "mode": "overlay", "machine": {}, "options": vars(args), "workloads": selected,
              "hosts": HOSTS, "poll_interval_ms": POLL_INTERVAL * 1000, "gone_hold_s": GONE_HOLD,
              "tcp_seconds": TCP_SECONDS, "topology": {}, "engine_errors": {}, "samples": {n: {} for n in B.ENGINES},
              "resolve_runs": {n: [] for n in B.ENGINES}, "dns_runs": {n: [] for n in B.ENGINES},
              "tcp_runs": {n: [] for n in B.ENGINES}, "errors": []}

    def engine_failed(name, error):
        record["engine_errors"][name] = str(error)
        B.log(f"{name}: ENGINE FAILED: {error}; going on without it")
        cluster = clusters.pop(name, None)
        if cluster is not None:
            keep_logs(cluster)
            problems = cluster.down(keep=args.keep)
            for p in problems:
                B.log(f"{name}: cleanup: {p}")

    def keep_logs(cluster):
        os.makedirs(results_dir, exist_ok=True)
        for host_name, path in cluster.log_paths():
            if path and os.path.exists(path):
                keep = os.path.join(results_dir, f"{stamp}-overlay-{host_name}.log")
                shutil.copyfile(path, keep)
                B.log(f"{host_name}: daemon log copied to {keep}")

    def order(i):
        live = [n for n in names if n in clusters]
        return live if i % 2 == 0 else list(reversed(live))

    def attempt(name, workload, i, fn):
        try:
            return fn()
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError, OSError) as e:
            record["errors"].append({"engine": name, "workload": workload, "iteration": i, "error": str(e)})
            B.log(f"{name} {workload} #{i} failed: {e}")
            return None

    def add(name, key, value):
        record["samples"][name].setdefault(key, []).append(value)

    try:
        if "docker" in names:
            B.ensure_docker_io()
        binary = None
        if "shoal" in names:
            binary = args.shoal_binary or B.build_shoal()
        record["machine"] = B.machine_facts()
        host = B.HostNetwork()
        cli_config = os.path.join(base, "cli-config")
        os.makedirs(cli_config)
        tarball = os.path.join(base, "busybox.tar")
        B.busybox_image_tarball(tarball)

        for name in names:
            cluster = (DockerSwarm(base, run_base, cli_config, args.own_containerd) if name == "docker"
                       else ShoalCluster(binary, base, cli_config, run_base))
            clusters[name] = cluster
            try:
                started = time.monotonic()
                cluster.up(tarball)
                record["topology"][name] = dict(cluster.info, setup_s=round(time.monotonic() - started, 2))
                B.log(f"{name}: {HOSTS} hosts, swarm, image and overlay {NET} ready in "
                      f"{time.monotonic() - started:.1f} s")
            except SetupFailed as e:
                record["topology"][name] = cluster.info
                engine_failed(name, e)
                continue
            # Untimed warm-ups: first use of the overlay on each host, the DNS path, a TCP connection.
            try:
                if "overlay-resolve" in selected:
                    w_resolve(cluster, "warm")
                if "overlay-run" in selected:
                    w_run(cluster)
                if "overlay-dns-qps" in selected:
                    w_dns(cluster, seconds=0.5)
                if "overlay-throughput" in selected:
                    w_throughput(cluster, 0, seconds=0.5)
            except (RuntimeError, subprocess.SubprocessError, ValueError, KeyError, OSError) as e:
                engine_failed(name, SetupFailed(name, "warm-up", e))

        if not clusters:
            raise RuntimeError("no engine could be set up: " + "; ".join(record["engine_errors"].values()))

        if "overlay-resolve" in selected:
            B.log(f"workload overlay-resolve: {args.iterations} iterations per engine, alternating")
            for i in range(args.iterations):
                for name in order(i):
                    out = attempt(name, "overlay-resolve", i, lambda: w_resolve(clusters[name], i))
                    if out is None:
                        continue
                    appear_ms, gone_ms, details = out
                    add(name, "resolve_appear_ms", appear_ms)
                    add(name, "resolve_gone_ms", gone_ms)
                    record["resolve_runs"][name].append(dict(details, appear_ms=appear_ms, gone_ms=gone_ms))
                    if details.get("wrong_address"):
                        record["errors"].append({"engine": name, "workload": "overlay-resolve", "iteration": i,
                                                 "error": f"{details['name']} resolved to {details['appear']['addrs']}"
                                                          f", not {details['expected']}"})
                    B.log(f"{name} resolve #{i}: appears {appear_ms:+.1f} ms, gone {gone_ms:+.1f} ms after the CLI")

        if "overlay-run" in selected:
            B.log(f"workload overlay-run: {args.iterations} iterations per engine, alternating")
            for i in range(args.iterations):
                for name in order(i):
                    ms = attempt(name, "overlay-run", i, lambda: w_run(clusters[name]))
                    if ms is not None:
                        add(name, "run_ms", ms)

        if "overlay-dns-qps" in selected:
            B.log(f"workload overlay-dns-qps: {args.net_rounds} rounds per engine of {B.DNS_SECONDS:g} s, alternating")
            for i in range(args.net_rounds):
                for name in order(i):
                    out = attempt(name, "overlay-dns-qps", i, lambda: w_dns(clusters[name]))
                    if out is None:
                        continue
                    record["dns_runs"][name].append(dict(out, round=i))
                    add(name, "dns_qps", out["qps"])
                    add(name, "dns_p99_us", out["p99_us"])
                    if out["errors"] or out["lost"]:
                        record["errors"].append({"engine": name, "workload": "overlay-dns-qps", "iteration": i,
                                                 "error": f"{out['n']} answers, {out['errors']} errors, "
                                                          f"{out['lost']} lost"})
                    B.log(f"{name} dns {B.DNS_IN_FLIGHT} in flight #{i}: {out['qps']:.0f} q/s, "
                          f"p99 {out['p99_us']:.0f} us, {out['errors']} errors, {out['lost']} lost")

        if "overlay-throughput" in selected:
            B.log(f"workload overlay-throughput: {args.tcp_rounds} rounds per engine of {TCP_SECONDS:g} s "
                  "over the overlay and over the underlay, alternating")
            for i in range(args.tcp_rounds):
                for name in order(i):
                    out = attempt(name, "overlay-throughput", i, lambda: w_throughput(clusters[name], i))
                    if out is None:
                        continue
                    overlay, underlay = out
                    record["tcp_runs"][name].append({"round": i, "overlay": overlay, "underlay": underlay})
                    add(name, "overlay_mbps", overlay["mbps"])
                    add(name, "underlay_mbps", underlay["mbps"])
                    B.log(f"{name} tcp #{i}: overlay {overlay['mbps']:.0f} MB/s, underlay {underlay['mbps']:.0f} MB/s "
                          f"({overlay['mbps'] / underlay['mbps']:.2f}x); CPU ms/GB sender+receiver: overlay "
                          f"{overlay['sender_cpu_ms_per_gb']:.0f}+{overlay['receiver_cpu_ms_per_gb']:.0f}, underlay "
                          f"{underlay['sender_cpu_ms_per_gb']:.0f}+{underlay['receiver_cpu_ms_per_gb']:.0f}")
            for name in names:
                s = record["samples"][name]
                if s.get("overlay_mbps") and s.get("underlay_mbps"):
                    s["overlay_ratio"] = [B.median(s["overlay_mbps"]) / B.median(s["underlay_mbps"])]
                    s["overlay_round_ratio"] = [o / u for o, u in zip(s["overlay_mbps"], s["underlay_mbps"])]
    except B.Interrupted as e:
        failed = f"interrupted by {e}"
    except BaseException as e:  # report, clean up, then exit non-zero
        failed = f"{type(e).__name__}: {e}"
    finally:
        tear_down(clusters, host, base, run_base, record, failed, args.keep, keep_logs)

    out = write_record(record, results_dir, f"{stamp}-overlay.json", failed)
    print()
    counts = ([f"{args.iterations} iterations of {'/'.join(w[8:] for w in selected if w in PER_ITERATION)}"]
              if set(selected) & set(PER_ITERATION) else [])
    per_round = [w for w in selected if w not in PER_ITERATION and w != "overlay-throughput"]
    counts += [f"{args.net_rounds} rounds of {'/'.join(w[8:] for w in per_round)}"] if per_round else []
    counts += ([f"{args.tcp_rounds} rounds of throughput ({TCP_SECONDS:g} s each way)"]
               if "overlay-throughput" in selected else [])
    print(f"Shoal vs Docker {record['machine'].get('dockerd', '')} swarm: {HOSTS} hosts each (network namespaces on "
          f"one bridge, 1 manager), an attachable overlay; docker CLI {B.DOCKER_CLI}; alternating engines; "
          f"{', '.join(counts)}.")
    for name in names:
        if name in record["engine_errors"]:
            print(f"NOT MEASURED: {record['engine_errors'][name]}")
    print_table(record["samples"])
    print(f"resolve: a poller in the client's netns on host 2 queries every {POLL_INTERVAL * 1000:g} ms; times are "
          "from the CLI's return (negative: before it). Ratios of q/s and MB/s: higher is better.")
    return print_end(record, out, failed, interrupted)
