"""The swarm services figures of `scripts/bench.sh --only services`: Shoal vs a Docker 20.10 swarm, side by side.

The clusters are bench_overlay.py's: three hosts per engine, each a network namespace of this machine with its own
daemon, joined by one bridge, one manager (host 1) and two workers, the same busybox image loaded on every host:
  Docker   bench_overlay.DockerSwarm (namespaces, veths, a bridge, `nsenter --net=… dockerd`, swarm init / join).
           Each dockerd runs with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 (as Docker's own integration tests do): a
           task's image is taken from the host as it is, without the registry lookup a tag otherwise costs each task
           (a lookup that would fail here anyway: the namespaces have no way out).
  Shoal    bench_overlay.ShoalCluster (`shoal cluster up --nodes 3 --managers 1`).
No overlay network: the services have none (their tasks are on each host's default network). Every command goes
through the stock docker CLI to the manager's socket; the engines alternate round by round (which goes first
alternates too), both clusters staying up for the whole run. An engine whose setup fails is reported with the step
that failed and removed; the other engine goes on.

A service here is `docker service create --detach --no-resolve-image --stop-grace-period 1s --name X --replicas N
IMAGE sh -c "trap 'exit 0' TERM; sleep 86400 & wait"` (a PID 1 that ends at once on SIGTERM, so that removals do
not wait out the grace period; busybox `sleep` as PID 1 would ignore SIGTERM). "Running": a task of the service
whose desired state and observed state are both `running`, as `GET /tasks?filters={"service":["X"]}` on the manager
reports it; the bench asks that every POLL_INTERVAL (20 ms) and a figure ends at the reply of the first answer that
shows the goal reached (resolution: the interval plus one request). Times start just before the CLI is started.

Workloads (select with --only, comma-separated; `services` is all eleven; `shoal`/`docker` select an engine):
  service-create-1 / -10 / -50  `service create` with N replicas until N tasks are Running.
  service-scale-50-100          50 replicas created and Running (untimed), then `service scale --detach X=100`
                                until 100 tasks are Running.
  service-update-50             50 replicas created and Running (untimed), then `service update --detach
                                --no-resolve-image --update-parallelism 10 --update-delay 0s --env-add
                                BENCH_ROUND=<round> X` until 50 tasks with that variable are Running and the
                                service's UpdateStatus.State is `completed` (both engines keep their default update
                                monitor, failure action and order).
  service-dns-scale             `tasks.X` catching up with a scale: an attachable overlay with one probe container
                                per host, X with 1 replica on it, Running (untimed); a poller in each probe's
                                namespace asks 127.0.0.11 for `tasks.X` every 2 ms; `service scale --detach X=4`; the
                                figure is, over the 3 new tasks and the 3 hosts, the latest time a host's answer
                                first held a task's address, counted from that task's Running timestamp (the agent's,
                                same clock; negative: the name resolved before the task ran). The issue's bound is
                                100 ms.
  service-update-load           issue 12's rolling update under load: 10 replicas of a busybox httpd with a health
                                check (200 ms), published on the routing mesh, Running (untimed); a client in host
                                1's namespace asks host 3's published port without pause, each request on a new
                                connection (5 s timeout), during `service update --update-order start-first
                                --update-parallelism 2 --update-delay 0s`, until completed and 2 s after; the figure
                                is the failed requests (target 0). The server's PID 1 lets it answer 2 s after
                                SIGTERM, as a server with a grace period does.
  service-mesh-rate             one httpd task on host 1 published on the mesh and in host mode: requests per second
                                (4 client threads, new connections, 5 s) from host 2's namespace through the mesh on
                                host 3, which runs no task, against straight to host 1's host-mode port; the figure
                                is mesh / direct (target >= 0.8).
  service-rebalance             issue 12's rebalancing: host 3 drained, 6 web replicas published on the mesh
                                Running on hosts 1 and 2 (untimed); a client in host 1's namespace asks host 2's
                                published port without pause; host 3 set active: the figure is the time until the
                                running tasks are spread 2-2-2 (Docker never moves them: its figure is the limit,
                                REBALANCE_LIMIT), and the failed requests until then and 2 s after (target 0).
  service-node-loss             6 replicas Running, 2 per host (untimed); host 3's daemon killed (SIGKILL by pid:
                                its containers run on, as after a daemon crash); the manager polled every 20 ms:
                                the figure is the time from the node's first `down` (GET /nodes) until 6 tasks are
                                Running on the other hosts (the issue's bound: 1 s), `down_s` the time from the kill
                                to that `down` (both engines' default 5 s heartbeat). Then (untimed) the daemon is
                                started again as it was, and the bench waits for the node to be Ready and the host
                                to have stopped its old copies (`rejoin_s`, `old_copies_gone_s`).
  runc-floor                    no engine: runc alone, as a task's start uses it. The config.json Shoal wrote for
                                a task (a 1-replica probe service, removed again) with a new network namespace in
                                place of the task's and a plain directory of the image in place of the overlay;
                                FLOOR_TASKS (50) containers `runc create` + `runc start`, two workers per CPU. The
                                least any engine that starts tasks with runc spends on service-create-50, printed
                                against 0.2x Docker's service-create-50; before them FLOOR_SINGLES (5) containers
                                one at a time, the floor of service-create-1 (needs the Shoal cluster).
The create workloads also record the machine's busy CPU per task started (/proc/stat, every process) and the mean
CPU charged to the running tasks' container cgroups (runc's init from the moment runc puts it there: its Go start,
the seccomp filter's compilation, the mounts; then PID 1's start).
After each measurement (untimed): `service rm X`, then the bench waits until no container is left on any host
before the next one. Each engine first runs one untimed 3-replica service (first use of each host's network).
--iterations is the number of rounds (default 3 here: each round of all eleven takes a few minutes on Docker).
A measurement that does not converge within CONVERGE_LIMIT is an error (with the tasks' states and errors); the
daemons' logs of an engine with errors are copied to bench-results/.

Cleanup, also on Ctrl-C or error (unless --keep): services, containers, then bench_overlay's teardown: `swarm leave`
and each dockerd (and containerd) stopped by pid, mounts, namespaces, veths and bridge, /run/netns when this run
made it a mount point, `shoal cluster down`, and bench.py's host network snapshot restored.
"""

import contextlib
import datetime
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse

import bench as B
import bench_overlay as O

WORKLOADS = B.SERVICES_WORKLOADS
FLOOR_TASKS = 50
FLOOR_SINGLES = 5
FLOOR_SETTLE = 3.0
CREATE = {"service-create-1": 1, "service-create-10": 10, "service-create-50": 50}
SCALE_FROM, SCALE_TO = 50, 100
UPDATE_REPLICAS, UPDATE_PARALLELISM = 50, 10
POLL_INTERVAL = 0.02
CONVERGE_LIMIT = 150.0   # Docker's slowest figure here is ~18 s
GONE_LIMIT = 180.0
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]
SERVICE_FLAGS = ["--detach", "--no-resolve-image", "--stop-grace-period", "1s"]
PREFIX = "sbs-"
DNS_NET = PREFIX + "dnsnet"
DNS_FROM, DNS_TO = 1, 4
DNS_POLL = 0.002
DNS_LIMIT = 30.0
DNS_BOUND = 0.100  # the issue's: tasks.X shows a scale on every host within 100 ms of the tasks running
# The web workloads (issue 12): busybox httpd answering /, a health check on it, and a shell as PID 1 that lets the
# server answer 2 s more after SIGTERM (what a well-behaved server does with its grace period).
WEB_COMMAND = ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && trap 'sleep 2; exit 0' TERM; "
               "httpd -p 80 -h /www; while true; do sleep 0.2; done"]
# busybox's wget -T crashes (Debian 12's too): the check's own timeout bounds it.
WEB_HEALTH = ["--health-cmd", "wget -q -O /dev/null http://127.0.0.1/", "--health-interval", "200ms",
              "--health-timeout", "2s", "--health-retries", "3"]
WEB_REPLICAS, WEB_PARALLELISM, WEB_PORT, DIRECT_PORT = 10, 2, 8080, 8081
MESH_SECONDS = 5.0
# In a host's namespace: HTTP GETs on new connections, `load URL SECONDS|STOPFILE` prints `ok failed` then the
# first failures; `rate URL SECONDS` prints requests per second (4 threads).
WEB_CLIENT = r'''
import os, sys, threading, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
mode, url = sys.argv[1], sys.argv[2]
if mode == "load":
    stop = sys.argv[3]
    ok, failed = 0, []
    print("ready", flush=True)
    while not os.path.exists(stop):
        try:
            opener.open(url, timeout=5).read()
            ok += 1
        except Exception as e:
            failed.append("%.3f %s" % (time.time(), e))
            time.sleep(0.05)
    print(ok, len(failed))
    print("\n".join(failed[:10]))
else:
    seconds, counts, errors = float(sys.argv[3]), [0] * 4, [0] * 4
    end = time.monotonic() + seconds
    def worker(i):
        while time.monotonic() < end:
            try:
                opener.open(url, timeout=5).read()
                counts[i] += 1
            except Exception:
                errors[i] += 1
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(sum(counts) / seconds, sum(errors))
'''

# In a probe's namespace: asks 127.0.0.11 for a name every DNS_POLL s, never waiting for answers, and prints (one
# JSON line, once `want` addresses were seen or after `limit` s) when each address first came in (wall clock).
TASKS_WATCH = B.NETNS_CLIENT + r'''
def first_seen(name, want, interval, limit):
    s, qid = dns_socket(), 0
    s.setblocking(False)
    seen = {}
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    next_send = start
    while len(seen) < want and time.monotonic() - start < limit:
        now = time.monotonic()
        if now >= next_send:
            qid = (qid + 1) & 0xFFFF
            s.send(query(name, qid))
            next_send = max(next_send + interval, now)
        while True:
            try:
                buf = s.recv(1500)
            except BlockingIOError:
                break
            wall = time.time()
            _, rcode, found = answer(buf)
            for address in found if rcode == 0 else []:
                seen.setdefault(address, wall)
        select.select([s], [], [], max(0.0, next_send - time.monotonic()))
    print(json.dumps(seen), flush=True)

if mode == "first-seen":
    first_seen(args[0], int(args[1]), float(args[2]), float(args[3]))
'''


# ---------------------------------------------------------------- the API, for polling (the CLI for the commands)

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def api_get(host, path, timeout=30):
    conn = UnixHTTPConnection(host.socket, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{host.name}: GET {path}: {response.status} {body[:300].decode(errors='replace')}")
    return json.loads(body)


def service_tasks(cluster, name):
    query = urllib.parse.quote(json.dumps({"service": [name]}))
    return api_get(cluster.hosts[0], f"/tasks?filters={query}")


def is_running(task, marker=None):
    if task.get("DesiredState") != "running" or (task.get("Status") or {}).get("State") != "running":
        return False
    if marker is None:
        return True
    env = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Env") or []
    return marker in env


def task_summary(tasks):
    """`state/desired xN` counts and the first few distinct task errors."""
    counts, errors = {}, []
    for t in tasks:
        status = t.get("Status") or {}
        key = f"{status.get('State')}/{t.get('DesiredState')}"
        counts[key] = counts.get(key, 0) + 1
        err = status.get("Err") or ""
        if err and err not in errors:
            errors.append(err)
    text = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
    if errors:
        text += "; task errors: " + " | ".join(e[:200] for e in errors[:3])
    return text or "no tasks"


def wait_running(cluster, name, n, marker=None, completed=False, limit=CONVERGE_LIMIT):
    """Polls the manager until `n` tasks of `name` are Running (with `marker` in their env), and with `completed`
    until the service's update is `completed` too. (monotonic time of the reply that showed it, details)."""
    manager = cluster.hosts[0]
    deadline = time.monotonic() + limit
    polls, tasks, update_state = 0, [], None
    while True:
        asked = time.monotonic()
        tasks = service_tasks(cluster, name)
        polls += 1
        running = sum(1 for t in tasks if is_running(t, marker))
        done = running >= n
        if done and completed:
            update = api_get(manager, f"/services/{name}").get("UpdateStatus") or {}
            update_state = update.get("State")
            if update_state in ("paused", "rollback_started", "rollback_paused", "rollback_completed"):
                raise RuntimeError(f"{cluster.name}: update of {name} is {update_state}: {update.get('Message')}; "
                                   f"tasks: {task_summary(tasks)}")
            done = update_state == "completed"
        if done:
            return time.monotonic(), {"polls": polls, "tasks": len(tasks), "running": running}
        if time.monotonic() > deadline:
            if completed and update_state is None:
                update_state = (api_get(manager, f"/services/{name}").get("UpdateStatus") or {}).get("State")
            raise RuntimeError(f"{cluster.name}: {name}: {running} of {n} tasks Running"
                               + (f", update state {update_state}" if completed else "")
                               + f" after {limit:g} s; tasks: {task_summary(tasks)}")
        time.sleep(max(0.0, asked + POLL_INTERVAL - time.monotonic()))


def task_containers(host, stopped=True):
    """How many service task containers `host` has: running ones, and with `stopped` the others too."""
    query = urllib.parse.quote(json.dumps({"label": ["com.docker.swarm.service.id"]}))
    return len(api_get(host, f"/containers/json?{'all=1&' if stopped else ''}filters={query}"))


def containers_left(cluster):
    """{host name: number of service task containers} for the hosts that still have any."""
    left = {}
    for host in cluster.hosts:
        n = task_containers(host)
        if n:
            left[host.name] = n
    return left


def wait_no_containers(cluster, limit=GONE_LIMIT):
    deadline = time.monotonic() + limit
    while True:
        left = containers_left(cluster)
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{cluster.name}: containers still there {limit:g} s after service rm: {left}")
        time.sleep(0.1)


# ---------------------------------------------------------------- clusters

class ServicesMixin:
    """What the services bench adds to bench_overlay's clusters: the image only (no overlay, no fixture), and a
    cleanup that removes services first."""

    def load_images(self, tarball):
        for host in self.hosts:
            self.setup_step(f"docker load on {host.name}", lambda h=host: h.docker("load", "-i", tarball, timeout=300))

    def remove_workload_objects(self):
        self.kill_helpers()
        manager = self.hosts[0] if self.hosts else None
        if manager is not None and manager.pid and B.alive(manager.pid):
            result = manager.docker("service", "ls", "-q", timeout=60, check=False)
            ids = result.stdout.split() if result.returncode == 0 else []
            if ids:
                B.log(f"{self.name}: removing {len(ids)} services left")
                manager.docker("service", "rm", *ids, timeout=120, check=False)
                try:
                    wait_no_containers(self, limit=60)
                except (RuntimeError, OSError) as e:
                    B.log(f"{self.name}: {e}")
        for host in self.hosts:
            host.remove_all_containers()


class DockerServices(ServicesMixin, O.DockerSwarm):
    def kill_host(self, host):
        os.kill(host.pid, signal.SIGKILL)
        host.reap()

    @staticmethod
    @contextlib.contextmanager
    def offline_images():
        """DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 for the dockerds started inside (they inherit it)."""
        before = os.environ.get("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE")
        os.environ["DOCKER_SERVICE_PREFER_OFFLINE_IMAGE"] = "1"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE", None)
            else:
                os.environ["DOCKER_SERVICE_PREFER_OFFLINE_IMAGE"] = before

    def restart_host(self, host):
        """dockerd again, in its namespace, on its roots: it rejoins the swarm with the state it kept."""
        with self.offline_images():
            host.start()

    def up(self, tarball):
        self.setup_step("the hosts' namespaces, veths and bridge", self.make_hosts)
        with self.offline_images():
            for host in self.hosts:
                self.setup_step(f"dockerd on {host.name}", host.start)
        self.setup_step("swarm init / join", self.form_swarm)
        self.load_images(tarball)


class ShoalServices(ServicesMixin, O.ShoalCluster):
    def kill_host(self, host):
        with open(f"/proc/{host.pid}/cmdline", "rb") as f:
            host.argv = [a.decode() for a in f.read().split(b"\0") if a]
        os.kill(host.pid, signal.SIGKILL)
        try:
            os.waitpid(host.pid, 0)
        except ChildProcessError:
            pass  # not ours: `cluster up` started it (it is reaped by whoever adopted it)

    def restart_host(self, host):
        """The daemon again as `cluster up` starts it (its namespace, its hostname, the same arguments); the
        cluster's state file gets its new pid, so that `cluster down` stops it."""
        path = os.path.join(self.root, "data", self.cluster, "cluster.json")
        with open(path) as f:
            state = json.load(f)
        node = next(n for n in state["nodes"] if n["index"] == host.index)
        log = open(os.path.join(node["dataRoot"], "daemon.log"), "ab")
        try:
            proc = subprocess.Popen(["nsenter", f"--net={node['netns']}", "--", "unshare", "--uts", "--", "sh", "-c",
                                     'hostname "$0" && exec "$@"', node["hostname"], *host.argv],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        finally:
            log.close()
        node["pid"] = host.pid = proc.pid
        with open(path + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(path + ".tmp", path)
        self.state = state
        poll_until(60, f"{host.name} answering again", lambda: B.ping(host.socket))

    def up(self, tarball):
        self.setup_step("shoal cluster up", self.cluster_up)
        self.load_images(tarball)


# ---------------------------------------------------------------- workloads

def create_argv(name, replicas):
    return ["service", "create", *SERVICE_FLAGS, "--name", name, "--replicas", str(replicas), B.IMAGE, *COMMAND]


def remove_service(cluster, name):
    """Untimed: `service rm`, then no container left on any host (seconds it took, for the record)."""
    started = time.monotonic()
    cluster.hosts[0].docker("service", "rm", name, timeout=120)
    wait_no_containers(cluster)
    return time.monotonic() - started


def measured(cluster, name, body):
    """Runs body(); the service is removed afterwards whatever happened (a removal failure after a good figure is an
    error of its own, raised; after a failed body the body's error wins)."""
    try:
        out = body()
    except BaseException:
        try:
            remove_service(cluster, name)
        except Exception as e:
            B.log(f"{cluster.name}: removing {name} after a failure: {e}")
            cluster.remove_workload_objects()
        raise
    try:
        out["rm_s"] = remove_service(cluster, name)
    except (RuntimeError, subprocess.TimeoutExpired, OSError):
        cluster.remove_workload_objects()
        raise
    return out


def container_cgroup_cpu_s(container_id):
    """CPU seconds charged to a container's own cgroup (v1 cpuacct, or v2 cpu.stat): runc's init from the moment
    runc puts it there (its Go start, the seccomp filter's compilation, the mounts), then the container's processes.
    None when no cgroup of that name is found."""
    for path in glob.glob(f"/sys/fs/cgroup/cpuacct/**/{container_id}/cpuacct.usage", recursive=True):
        return int(B.read(path) or 0) / 1e9
    for path in glob.glob(f"/sys/fs/cgroup/**/{container_id}/cpu.stat", recursive=True):
        for line in (B.read(path) or "").splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
    return None


def start_costs(cluster, name, machine_cpu_s, tasks_started):
    """Untimed, after a measurement: the machine's busy CPU seconds per task started, and the mean CPU seconds in
    the running tasks' container cgroups (for a task that just started: its runc init and its PID 1's start)."""
    ids = [((t.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID") for t in service_tasks(cluster, name)
           if is_running(t)]
    cgroup = [c for c in (container_cgroup_cpu_s(i) for i in ids if i) if c is not None]
    return {"machine_cpu_per_task_s": machine_cpu_s / tasks_started,
            "container_cgroup_cpu_s": sum(cgroup) / len(cgroup) if cgroup else None}


def w_create(cluster, name, replicas):
    def body():
        cpu = B.machine_cpu()
        start = time.monotonic()
        cluster.hosts[0].docker(*create_argv(name, replicas))
        returned = time.monotonic()
        done, info = wait_running(cluster, name, replicas)
        costs = start_costs(cluster, name, B.machine_cpu() - cpu, replicas)
        return dict(info, **costs, s=done - start, cli_s=returned - start)
    return measured(cluster, name, body)


def w_scale(cluster, name):
    def body():
        h1 = cluster.hosts[0]
        h1.docker(*create_argv(name, SCALE_FROM))
        wait_running(cluster, name, SCALE_FROM)
        cpu = B.machine_cpu()
        start = time.monotonic()
        h1.docker("service", "scale", "--detach", f"{name}={SCALE_TO}")
        returned = time.monotonic()
        done, info = wait_running(cluster, name, SCALE_TO)
        return dict(info, machine_cpu_per_task_s=(B.machine_cpu() - cpu) / (SCALE_TO - SCALE_FROM),
                    s=done - start, cli_s=returned - start)
    return measured(cluster, name, body)


def runc_floor(cluster, base, count):
    """runc alone, as a task's start uses it: `count` containers made from the config.json Shoal gave a task (its
    seccomp filter, capabilities, masked paths, namespaces: a new network namespace in place of the task's, a
    plain directory of the image in place of the overlay mount, the task's hosts/resolv.conf/hostname files),
    each `runc create` then `runc start` (what conmon and the daemon run), by two workers per CPU. No daemon, no
    store, no network setup, no overlay: the least any engine that starts tasks with runc spends. Returns
    {"s": wall seconds for all, "machine_cpu_per_task_s": ...}."""
    probe = PREFIX + "floor-probe"
    h1 = cluster.hosts[0]
    template = None
    try:
        h1.docker(*create_argv(probe, 1))
        wait_running(cluster, probe, 1)
        task = next(t for t in service_tasks(cluster, probe) if is_running(t))
        container = task["Status"]["ContainerStatus"]["ContainerID"]
        for node in cluster.state["nodes"]:
            path = os.path.join(node["dataRoot"], "containers", container)
            if os.path.exists(os.path.join(path, "config.json")):
                with open(os.path.join(path, "config.json")) as f:
                    template = json.load(f)
                break
        if template is None:
            raise RuntimeError(f"runc floor: no config.json for container {container}")
        work = tempfile.mkdtemp(prefix="runc-floor-", dir=base)
        sandbox = os.path.join(work, "sandbox")
        os.makedirs(sandbox)
        for mount in template.get("mounts", []):
            if mount.get("type") == "bind" and mount["source"].startswith(path + "/"):
                copy = os.path.join(sandbox, os.path.basename(mount["source"]))
                shutil.copyfile(mount["source"], copy)
                mount["source"] = copy
    finally:
        remove_service(cluster, probe)
    rootfs = os.path.join(work, "rootfs")
    os.makedirs(rootfs)
    with tarfile.open(os.path.join(base, "busybox.tar")) as image:
        layer = next(m for m in image.getmembers() if m.name.endswith("layer.tar"))
        with tarfile.open(fileobj=image.extractfile(layer)) as files:
            try:
                files.extractall(rootfs, filter="fully_trusted")
            except TypeError:  # a Python without extraction filters (before 3.11.4)
                files.extractall(rootfs)
    namespaces = template["linux"]["namespaces"]
    template["linux"]["namespaces"] = [n for n in namespaces if n["type"] != "network"] + [{"type": "network"}]
    template["root"] = {"path": rootfs, "readonly": bool(template.get("root", {}).get("readonly"))}
    template.setdefault("process", {})["terminal"] = False
    parent = f"shoal-bench-floor-{os.getpid()}"
    state = os.path.join("/run", parent)
    singles = [f"single{n}" for n in range(FLOOR_SINGLES)]
    names = [f"floor{n}" for n in range(count)]
    for n in singles + names:
        bundle = os.path.join(work, n)
        os.makedirs(bundle)
        config = dict(template, linux=dict(template["linux"], cgroupsPath=f"/{parent}/{n}"))
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(config, f)

    def runc(n, *argv):
        # Not a pipe: the container's PID 1 inherits `runc create`'s stdio and keeps it open.
        with open(os.path.join(work, n, "runc.err"), "w+") as err:
            result = subprocess.run(["runc", "--root", state, *argv], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, timeout=60)
            if result.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"runc {argv[0]} {n}: exit {result.returncode}: {err.read()[-300:]}")

    def create_and_start(n):
        """What conmon (`runc create`) and then the daemon (`runc start`) run for a task's container."""
        runc(n, "create", "--bundle", os.path.join(work, n), n)
        runc(n, "start", n)

    queue = list(names)
    started, errors = [], []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue or errors:
                    return
                n = queue.pop()
            try:
                create_and_start(n)
                with lock:
                    started.append(n)
            except Exception as e:  # every failure ends the run, reported below
                with lock:
                    errors.append(f"{n}: {e}")

    try:
        # The probe's removal settles first (its network namespace's teardown in the kernel slows the next ones).
        time.sleep(FLOOR_SETTLE)
        # One container at a time first: the floor of service-create-1.
        alone = []
        for n in singles:
            began = time.monotonic()
            create_and_start(n)
            alone.append(time.monotonic() - began)
        cpu = B.machine_cpu()
        start = time.monotonic()
        workers = [threading.Thread(target=worker) for _ in range(2 * (os.cpu_count() or 1))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        took = time.monotonic() - start
        used = B.machine_cpu() - cpu
        if errors or len(started) != count:
            raise RuntimeError(f"runc floor: {len(started)} of {count} started; " + "; ".join(errors[:3]))
        return {"s": took, "machine_cpu_per_task_s": used / count, "containers": count, "one_s": B.median(alone)}
    finally:
        for n in singles + names:
            subprocess.run(["runc", "--root", state, "delete", "--force", n], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        for hierarchy in glob.glob(f"/sys/fs/cgroup/*/{parent}") + glob.glob(f"/sys/fs/cgroup/{parent}"):
            with contextlib.suppress(OSError):
                os.rmdir(hierarchy)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def w_update(cluster, name, round_index):
    marker = f"BENCH_ROUND={round_index}"

    def body():
        h1 = cluster.hosts[0]
        h1.docker(*create_argv(name, UPDATE_REPLICAS))
        wait_running(cluster, name, UPDATE_REPLICAS)
        start = time.monotonic()
        h1.docker("service", "update", "--detach", "--no-resolve-image", "--update-parallelism",
                  str(UPDATE_PARALLELISM), "--update-delay", "0s", "--env-add", marker, name)
        returned = time.monotonic()
        done, info = wait_running(cluster, name, UPDATE_REPLICAS, marker=marker, completed=True)
        return dict(info, s=done - start, cli_s=returned - start)
    return measured(cluster, name, body)


def web_argv(name, replicas, *extra):
    return ["service", "create", "--detach", "--no-resolve-image", "--stop-grace-period", "10s", *WEB_HEALTH,
            "--name", name, "--replicas", str(replicas), *extra, B.IMAGE, *WEB_COMMAND]


def w_update_load(cluster, name, round_index):
    """10 web replicas published on the mesh; a client in host 1's namespace asks host 3's published port on new
    connections, without pause, during `service update --update-order start-first --update-parallelism 2`
    (untimed: the figure is the failed requests)."""
    marker = f"BENCH_ROUND={round_index}"

    def body():
        h1, h3 = cluster.hosts[0], cluster.hosts[-1]
        h1.docker(*web_argv(name, WEB_REPLICAS, "--publish", f"published={WEB_PORT},target=80"))
        wait_running(cluster, name, WEB_REPLICAS)
        stop = tempfile.mktemp(prefix="shoal-bench-stop-")
        client = subprocess.Popen(O.nsenter_argv(h1.netns_path, WEB_CLIENT, "load", f"http://{h3.address}:{WEB_PORT}/",
                                                 stop), stdout=subprocess.PIPE, text=True)
        cluster.helpers.append(client)
        try:
            if B.read_line(client, 15, f"{cluster.name}: web client").strip() != "ready":
                raise RuntimeError("the web client did not start")
            time.sleep(1.0)
            start = time.monotonic()
            h1.docker("service", "update", "--detach", "--no-resolve-image", "--update-order", "start-first",
                      "--update-parallelism", str(WEB_PARALLELISM), "--update-delay", "0s", "--env-add", marker, name)
            done, info = wait_running(cluster, name, WEB_REPLICAS, marker=marker, completed=True)
            time.sleep(2.0)   # the last old tasks' grace
        finally:
            open(stop, "w").close()
        out, _ = client.communicate(timeout=30)
        os.unlink(stop)
        lines = out.split("\n")
        ok, failed = (int(x) for x in lines[0].split())
        return dict(info, s=done - start, cli_s=0.0, requests=ok + failed, failed=failed,
                    failures=[line for line in lines[1:] if line])
    return measured(cluster, name, body)


def w_mesh_rate(cluster, name):
    """One web task on host 1, published on the mesh and in host mode: requests per second from host 2's namespace
    through the mesh on host 3 (which runs no task) against straight to the task's own host (host mode)."""
    def body():
        h1, h2, h3 = cluster.hosts[0], cluster.hosts[1], cluster.hosts[2]
        constraint = f"node.id=={h1.docker('info', '--format', '{{.Swarm.NodeID}}').stdout.strip()}"
        h1.docker(*web_argv(name, 1, "--constraint", constraint, "--publish", f"published={WEB_PORT},target=80",
                            "--publish", f"published={DIRECT_PORT},target=80,mode=host"))
        wait_running(cluster, name, 1)
        rates = {}
        for label, url in (("mesh", f"http://{h3.address}:{WEB_PORT}/"), ("direct", f"http://{h1.address}:{DIRECT_PORT}/")):
            result = subprocess.run(O.nsenter_argv(h2.netns_path, WEB_CLIENT, "rate", url, MESH_SECONDS),
                                    capture_output=True, text=True, timeout=MESH_SECONDS + 60)
            rate, errors = result.stdout.split()
            rates[label], rates[label + "_errors"] = float(rate), int(errors)
        ratio = rates["mesh"] / rates["direct"] if rates["direct"] else 0.0
        return dict(rates, s=ratio, cli_s=0.0, polls=0)
    return measured(cluster, name, body)


REBALANCE_REPLICAS = 6
REBALANCE_LIMIT = 60.0


def w_rebalance(cluster, name):
    """Host 3 drained while 6 web replicas start on hosts 1 and 2, then set active under load (see the docstring
    of the module). s: seconds until 2-2-2, or REBALANCE_LIMIT with even False when it never was."""
    def body():
        h1, h2, h3 = cluster.hosts[0], cluster.hosts[1], cluster.hosts[2]
        node3 = h3.docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        h1.docker("node", "update", "--availability", "drain", node3)
        try:
            h1.docker(*web_argv(name, REBALANCE_REPLICAS, "--publish", f"published={WEB_PORT},target=80"))
            wait_running(cluster, name, REBALANCE_REPLICAS)
            stop = tempfile.mktemp(prefix="shoal-bench-stop-")
            client = subprocess.Popen(O.nsenter_argv(h1.netns_path, WEB_CLIENT, "load",
                                                     f"http://{h2.address}:{WEB_PORT}/", stop),
                                      stdout=subprocess.PIPE, text=True)
            cluster.helpers.append(client)
            spread = {}
            try:
                if B.read_line(client, 15, f"{cluster.name}: web client").strip() != "ready":
                    raise RuntimeError("the web client did not start")
                time.sleep(1.0)
                start = time.monotonic()
                h1.docker("node", "update", "--availability", "active", node3)
                even = False
                while time.monotonic() - start < REBALANCE_LIMIT:
                    tasks = [t for t in service_tasks(cluster, name) if is_running(t)]
                    spread = {}
                    for t in tasks:
                        spread[t.get("NodeID")] = spread.get(t.get("NodeID"), 0) + 1
                    if len(tasks) == REBALANCE_REPLICAS and sorted(spread.values()) == [2, 2, 2]:
                        even = True
                        break
                    time.sleep(POLL_INTERVAL)
                took = time.monotonic() - start
                time.sleep(2.0)   # the moved tasks' old copies finish their requests
            finally:
                open(stop, "w").close()
            out, _ = client.communicate(timeout=30)
            os.unlink(stop)
        finally:
            h1.docker("node", "update", "--availability", "active", node3, check=False)
        lines = out.split("\n")
        ok, failed = (int(x) for x in lines[0].split())
        return dict(s=took, cli_s=0.0, polls=0, even=even, spread=sorted(spread.values()), requests=ok + failed,
                    failed=failed, failures=[line for line in lines[1:] if line])
    return measured(cluster, name, body)


NODE_LOSS_REPLICAS = 6
NODE_LOSS_LIMIT = 60.0
NODE_LOSS_BOUND = 1.0  # the issue's: a lost node's tasks Running elsewhere within 1 s of its Down


def node_state(cluster, node_id):
    return ((api_get(cluster.hosts[0], f"/nodes/{node_id}").get("Status") or {}).get("State"))


def poll_until(limit, what, condition):
    """Polls condition() every POLL_INTERVAL; the monotonic time of the answer that held, or RuntimeError."""
    deadline = time.monotonic() + limit
    while True:
        asked = time.monotonic()
        if condition():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not within {limit:g} s")
        time.sleep(max(0.0, asked + POLL_INTERVAL - time.monotonic()))


def w_node_loss(cluster, name):
    """Host 3's daemon killed while it runs 2 of 6 tasks (see the module's text)."""
    def body():
        h1, h3 = cluster.hosts[0], cluster.hosts[-1]
        node3 = h3.docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        h1.docker(*create_argv(name, NODE_LOSS_REPLICAS), "--replicas-max-per-node", "2")
        wait_running(cluster, name, NODE_LOSS_REPLICAS)
        running = task_containers(h3, stopped=False)
        if running != 2:
            raise RuntimeError(f"host 3 runs {running} tasks, not 2")
        killed = time.monotonic()
        cluster.kill_host(h3)
        try:
            down = poll_until(NODE_LOSS_LIMIT, f"{cluster.name}: node 3 down",
                              lambda: node_state(cluster, node3) == "down")

            def moved():
                tasks = [t for t in service_tasks(cluster, name) if is_running(t)]
                return len(tasks) == NODE_LOSS_REPLICAS and all(t.get("NodeID") != node3 for t in tasks)
            placed = poll_until(NODE_LOSS_LIMIT, f"{cluster.name}: {name}'s tasks Running off node 3", moved)
        finally:
            restarted = time.monotonic()
            cluster.restart_host(h3)
        ready = poll_until(NODE_LOSS_LIMIT, f"{cluster.name}: node 3 ready again",
                           lambda: node_state(cluster, node3) == "ready")
        gone = poll_until(NODE_LOSS_LIMIT, f"{cluster.name}: host 3's old copies stopped",
                          lambda: task_containers(h3, stopped=False) == 0)
        return dict(s=placed - down, down_s=down - killed, cli_s=0.0, polls=0, rejoin_s=ready - restarted,
                    old_copies_gone_s=gone - restarted)
    return measured(cluster, name, body)


def rfc3339(text):
    """Seconds since the epoch of an API timestamp (nanoseconds cut to micro)."""
    date, _, rest = text.rstrip("Z").partition(".")
    fraction = (rest + "000000")[:6]
    return datetime.datetime.fromisoformat(f"{date}.{fraction}+00:00").timestamp()


def w_dns_scale(cluster, name):
    """The lag of `tasks.X` behind a scale, on every host (see the module's text)."""
    h1 = cluster.hosts[0]
    probes = [f"{PREFIX}probe-{i}" for i in range(len(cluster.hosts))]
    pollers = []

    def body():
        h1.docker("service", "create", *SERVICE_FLAGS, "--name", name, "--replicas", str(DNS_FROM), "--network",
                  DNS_NET, B.IMAGE, *COMMAND)
        wait_running(cluster, name, DNS_FROM)
        for host, probe in zip(cluster.hosts, probes):
            pid = host.docker("inspect", "-f", "{{.State.Pid}}", probe).stdout.strip()
            poller = subprocess.Popen(
                O.nsenter_argv(f"/proc/{pid}/ns/net", TASKS_WATCH, "first-seen", f"tasks.{name}", DNS_TO, DNS_POLL,
                               DNS_LIMIT), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            pollers.append(poller)
            if poller.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{host.name}: the DNS poller did not start")
        for poller in pollers:
            poller.stdin.write("go\n")
            poller.stdin.flush()
        start = time.monotonic()
        h1.docker("service", "scale", "--detach", f"{name}={DNS_TO}")
        done, info = wait_running(cluster, name, DNS_TO)
        seen = [json.loads(p.communicate(timeout=DNS_LIMIT + 10)[0] or "{}") for p in pollers]
        network = api_get(h1, f"/networks/{DNS_NET}")["Id"]
        lags = []
        for task in service_tasks(cluster, name):
            if not is_running(task) or task.get("Slot", 0) <= DNS_FROM:
                continue
            running = rfc3339(task["Status"]["Timestamp"])
            address = next((a["Addresses"][0].split("/")[0] for a in task.get("NetworksAttachments") or []
                            if a["Network"]["ID"] == network), None)
            for host, answers in zip(cluster.hosts, seen):
                if address not in answers:
                    raise RuntimeError(f"{host.name}: tasks.{name} never held {address} within {DNS_LIMIT:g} s")
                lags.append(answers[address] - running)
        if len(lags) != (DNS_TO - DNS_FROM) * len(cluster.hosts):
            raise RuntimeError(f"{len(lags)} (task, host) pairs measured: {task_summary(service_tasks(cluster, name))}")
        return dict(info, s=max(lags), median_lag_s=B.median(lags), scale_s=done - start, cli_s=0.0)

    # Untimed: the network and a probe on each host (not task containers: the bench's waits ignore them).
    try:
        h1.docker("network", "create", "-d", "overlay", "--attachable", DNS_NET)
        for host, probe in zip(cluster.hosts, probes):
            host.docker("run", "-d", "--name", probe, "--network", DNS_NET, B.IMAGE, *COMMAND)
        return measured(cluster, name, body)
    finally:
        for poller in pollers:
            if poller.poll() is None:
                poller.kill()
                poller.wait()
        for host, probe in zip(cluster.hosts, probes):
            host.docker("rm", "-f", probe, timeout=60, check=False)
        h1.docker("network", "rm", DNS_NET, timeout=60, check=False)


def warm_up(cluster):
    name = PREFIX + "warm"
    measured(cluster, name, lambda: (cluster.hosts[0].docker(*create_argv(name, 3)),
                                     wait_running(cluster, name, 3), {})[-1])


# ---------------------------------------------------------------- output

ROWS = [  # (workload, label, Docker figure measured here before, issue target: a ratio, or a bound in seconds)
    ("service-create-1", "service create, 1 replica -> Running", 0.70, 0.2, None),
    ("service-create-10", "service create, 10 replicas -> all Running", 2.3, 0.2, None),
    ("service-create-50", "service create, 50 replicas -> all Running", 8.8, 0.2, None),
    ("service-scale-50-100", "service scale 50 -> 100, all Running", 9.4, 0.2, None),
    ("service-update-50", f"service update of 50, parallelism {UPDATE_PARALLELISM} -> completed", 17.8, 0.3, None),
    ("service-dns-scale", f"tasks.X on every host after scale {DNS_FROM} -> {DNS_TO} (latest lag from Running)",
     None, None, DNS_BOUND),
    ("service-node-loss", "a killed host's tasks Running elsewhere, from its Down", None, None, NODE_LOSS_BOUND),
]


def key(workload):
    return workload.replace("service-", "").replace("-", "_") + "_s"


def fmt_s(x):
    if x is None:
        return "-"
    return f"{x * 1000:.0f} ms" if abs(x) < 1 else f"{x:.2f} s"


def print_table(samples):
    header = ["workload", "n", "shoal median", "shoal p90", "docker median", "docker p90", "shoal/docker",
              "issue target"]
    lines = []
    for workload, label, _before, target, bound in ROWS:
        s, d = samples["shoal"].get(key(workload), []), samples["docker"].get(key(workload), [])
        if not s and not d:
            continue
        ratio = B.median(s) / B.median(d) if s and d and B.median(d) else None
        if bound is not None:  # an absolute bound (the DNS lag, the reschedule): every Shoal sample within it
            verdict = "" if not s else (" met" if max(s) <= bound else " missed")
            goal = f"<= {fmt_s(bound)}{verdict}"
        else:
            verdict = "" if ratio is None else (" met" if ratio <= target else " missed")
            goal = f"<= {target:.1f}x{verdict}"
        lines.append([f"{workload}: {label}", str(max(len(s), len(d))), fmt_s(B.median(s)), fmt_s(B.p90(s)),
                      fmt_s(B.median(d)), fmt_s(B.p90(d)), "-" if ratio is None or ratio < 0 else f"{ratio:.2f}x",
                      goal])
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    out = []
    for i, r in enumerate([header] + lines):
        out.append("  ".join(c.ljust(widths[j]) if j in (0, len(header) - 1) else c.rjust(widths[j])
                             for j, c in enumerate(r)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    print("\n".join(out))


def print_web(runs):
    """The web workloads: failed requests during the update, and the mesh's rate against direct."""
    for name in B.ENGINES:
        updates = [r for r in runs.get(name, []) if r["workload"] == "service-update-load"]
        if updates:
            print(f"  {name}: start-first update of {WEB_REPLICAS} web replicas under load through the mesh: "
                  + ", ".join(f"{r['failed']} of {r['requests']} failed" for r in updates) + " (issue 12 target: 0)")
        moves = [r for r in runs.get(name, []) if r["workload"] == "service-rebalance"]
        if moves:
            print(f"  {name}: a drained host set active under load, {REBALANCE_REPLICAS} web replicas: "
                  + ", ".join((f"even after {r['s']:.1f} s" if r["even"] else f"never even ({r['spread']})")
                              + f", {r['failed']} of {r['requests']} failed" for r in moves)
                  + " (issue 12 target: even, 0 failed)")
        losses = [r for r in runs.get(name, []) if r["workload"] == "service-node-loss"]
        if losses:
            print(f"  {name}: a host's daemon killed: " + ", ".join(
                f"Down after {r['down_s']:.1f} s, its tasks Running elsewhere {fmt_s(r['s'])} later" for r in losses)
                + f" (issue 11 bound: {fmt_s(NODE_LOSS_BOUND)} after the Down)")
        rates = [r for r in runs.get(name, []) if r["workload"] == "service-mesh-rate"]
        if rates:
            print(f"  {name}: mesh from a host with no task / straight to the task's host: "
                  + ", ".join(f"{r['mesh']:.0f} / {r['direct']:.0f} req/s = {r['s']:.2f}x" for r in rates)
                  + " (issue 12 target: >= 0.8x)")


def print_costs(record):
    """What a task's start costs the machine, per engine, and what runc alone needs for FLOOR_TASKS of them."""
    for name in B.ENGINES:
        for workload in CREATE:
            runs = [r for r in record["runs"].get(name, []) if r["workload"] == workload
                    and r.get("machine_cpu_per_task_s") is not None]
            if not runs:
                continue
            cgroup = [r["container_cgroup_cpu_s"] for r in runs if r.get("container_cgroup_cpu_s") is not None]
            print(f"  {name}: {workload}: {B.median([r['machine_cpu_per_task_s'] for r in runs]) * 1000:.0f} ms of "
                  f"machine CPU per task (median)" + (f", {B.median(cgroup) * 1000:.0f} ms of it in the task "
                                                      f"container's cgroup (runc's init)" if cgroup else ""))
    floors = record.get("runc_floor") or []
    if floors:
        floor = B.median([f["s"] for f in floors])
        docker = B.median(record["samples"]["docker"].get(key("service-create-50"), []))
        line = (f"  runc alone: {FLOOR_TASKS} task containers (Shoal's config.json for a task) created and started "
                f"in {fmt_s(floor)} (median of {len(floors)}), "
                f"{B.median([f['machine_cpu_per_task_s'] for f in floors]) * 1000:.0f} ms of machine CPU each")
        if docker:
            line += (f"; that is {floor / docker:.2f}x Docker's service-create-50 here, against the issue's 0.2x "
                     f"({fmt_s(0.2 * docker)})")
        print(line)
        one = B.median([f["one_s"] for f in floors])
        cli = [r["cli_s"] for r in record["runs"].get("shoal", []) if r["workload"] == "service-create-1"]
        docker_one = B.median(record["samples"]["docker"].get(key("service-create-1"), []))
        line = f"  runc alone: one task container created and started in {fmt_s(one)} (median of {len(floors)} x " \
               f"{FLOOR_SINGLES})"
        if cli and docker_one:
            line += (f"; with the docker CLI's own {fmt_s(B.median(cli))} before it (Shoal's service-create-1 "
                     f"`cli_s`) that is {(one + B.median(cli)) / docker_one:.2f}x Docker's service-create-1 here, "
                     f"against the issue's 0.2x ({fmt_s(0.2 * docker_one)})")
        print(line)


# ---------------------------------------------------------------- main

def main(args, tokens):
    """`--only services[,workloads][,engine]`; returns the exit status."""
    names = [n for n in B.ENGINES if n in tokens] or list(B.ENGINES)
    selected = [w for w in WORKLOADS if w in tokens] or list(WORKLOADS)
    rounds = args.iterations
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    for tool in ("nsenter", "ip"):
        if not shutil.which(tool):
            raise SystemExit(f"--only services needs {tool}")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(B.REPO, "bench-results")
    interrupted = {"signal": None}

    def on_signal(signum, _frame):
        interrupted["signal"] = signum
        raise B.Interrupted(signal.Signals(signum).name)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    base = tempfile.mkdtemp(prefix="shoal-bench-svc-", dir="/var/tmp")
    run_base = tempfile.mkdtemp(prefix="shoal-bench-svc-", dir="/run")
    clusters, host, failed = {}, None, None
    logs_kept = set()
    record = {"timestamp": stamp, "mode": "services", "machine": {}, "options": vars(args), "workloads": selected,
              "rounds": rounds, "hosts": O.HOSTS, "poll_interval_ms": POLL_INTERVAL * 1000,
              "converge_limit_s": CONVERGE_LIMIT, "command": COMMAND, "service_flags": SERVICE_FLAGS,
              "topology": {}, "engine_errors": {}, "samples": {n: {} for n in B.ENGINES},
              "runs": {n: [] for n in B.ENGINES}, "runc_floor": [], "errors": []}

    def keep_logs(cluster):
        if cluster.name in logs_kept:
            return
        logs_kept.add(cluster.name)
        os.makedirs(results_dir, exist_ok=True)
        for host_name, path in cluster.log_paths():
            if path and os.path.exists(path):
                dest = os.path.join(results_dir, f"{stamp}-services-{host_name}.log")
                shutil.copyfile(path, dest)
                B.log(f"{host_name}: daemon log copied to {dest}")

    def engine_failed(name, error):
        record["engine_errors"][name] = str(error)
        B.log(f"{name}: ENGINE FAILED: {error}; going on without it")
        cluster = clusters.pop(name, None)
        if cluster is not None:
            keep_logs(cluster)
            for p in cluster.down(keep=args.keep):
                B.log(f"{name}: cleanup: {p}")

    def order(i):
        live = [n for n in names if n in clusters]
        return live if i % 2 == 0 else list(reversed(live))

    def attempt(name, workload, i, fn):
        try:
            return fn()
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError, OSError,
                http.client.HTTPException) as e:
            record["errors"].append({"engine": name, "workload": workload, "iteration": i, "error": str(e)})
            B.log(f"{name} {workload} #{i} FAILED: {e}")
            return None

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
            cluster = (DockerServices(base, run_base, cli_config, args.own_containerd) if name == "docker"
                       else ShoalServices(binary, base, cli_config, run_base))
            clusters[name] = cluster
            try:
                started = time.monotonic()
                cluster.up(tarball)
                record["topology"][name] = dict(cluster.info, setup_s=round(time.monotonic() - started, 2))
                B.log(f"{name}: {O.HOSTS} hosts, swarm and image ready in {time.monotonic() - started:.1f} s")
                warm_up(cluster)
            except O.SetupFailed as e:
                record["topology"][name] = cluster.info
                engine_failed(name, e)
            except (RuntimeError, subprocess.SubprocessError, ValueError, KeyError, OSError,
                    http.client.HTTPException) as e:
                record["topology"][name] = cluster.info
                engine_failed(name, O.SetupFailed(name, "warm-up (a 3-replica service)", e))

        if not clusters:
            raise RuntimeError("no engine could be set up: " + "; ".join(record["engine_errors"].values()))

        for workload in selected:
            if workload == "runc-floor":
                if "shoal" not in clusters:
                    B.log("runc-floor: needs the Shoal cluster (its task's config.json); skipped")
                    continue
                for i in range(rounds):
                    out = attempt("shoal", workload, i, lambda: runc_floor(clusters["shoal"], base, FLOOR_TASKS))
                    if out is not None:
                        record["runc_floor"].append(dict(out, round=i))
                        B.log(f"runc-floor #{i}: {FLOOR_TASKS} containers created and started in {out['s']:.2f} s, "
                              f"{out['machine_cpu_per_task_s'] * 1000:.0f} ms of machine CPU each")
                continue
            B.log(f"workload {workload}: {rounds} rounds per engine, alternating")
            short = key(workload)[:-2].replace("_", "")
            for i in range(rounds):
                for name in order(i):
                    cluster = clusters[name]
                    svc = f"{PREFIX}{short}-r{i}"
                    if workload in CREATE:
                        fn = lambda: w_create(cluster, svc, CREATE[workload])
                    elif workload == "service-scale-50-100":
                        fn = lambda: w_scale(cluster, svc)
                    elif workload == "service-dns-scale":
                        fn = lambda: w_dns_scale(cluster, svc)
                    elif workload == "service-update-load":
                        fn = lambda: w_update_load(cluster, svc, i)
                    elif workload == "service-mesh-rate":
                        fn = lambda: w_mesh_rate(cluster, svc)
                    elif workload == "service-rebalance":
                        fn = lambda: w_rebalance(cluster, svc)
                    elif workload == "service-node-loss":
                        fn = lambda: w_node_loss(cluster, svc)
                    else:
                        fn = lambda: w_update(cluster, svc, i)
                    out = attempt(name, workload, i, fn)
                    if out is None:
                        continue
                    record["samples"][name].setdefault(key(workload), []).append(out["s"])
                    record["runs"][name].append(dict(out, workload=workload, round=i, service=svc))
                    if workload == "service-update-load":
                        B.log(f"{name} {workload} #{i}: {out['failed']} of {out['requests']} requests failed during "
                              f"an update of {out['s']:.2f} s {out['failures'][:3]}")
                    elif workload == "service-rebalance":
                        B.log(f"{name} {workload} #{i}: " + (f"even after {out['s']:.2f} s" if out["even"] else
                              f"not even after {out['s']:.0f} s ({out['spread']})") +
                              f", {out['failed']} of {out['requests']} requests failed {out['failures'][:3]}")
                    elif workload == "service-node-loss":
                        B.log(f"{name} {workload} #{i}: Down {out['down_s']:.2f} s after the kill, tasks Running "
                              f"elsewhere {out['s']:.2f} s after the Down (rejoined {out['rejoin_s']:.1f} s after "
                              f"the restart, old copies gone after {out['old_copies_gone_s']:.1f} s)")
                    elif workload == "service-mesh-rate":
                        B.log(f"{name} {workload} #{i}: mesh {out['mesh']:.0f} req/s, direct {out['direct']:.0f} "
                              f"req/s ({out['s']:.2f}x; errors {out['mesh_errors']}, {out['direct_errors']})")
                    else:
                        costs = ""
                        if out.get("machine_cpu_per_task_s") is not None:
                            costs = f", {out['machine_cpu_per_task_s'] * 1000:.0f} ms of machine CPU per task"
                        if out.get("container_cgroup_cpu_s") is not None:
                            costs += f" ({out['container_cgroup_cpu_s'] * 1000:.0f} ms in its container's cgroup)"
                        B.log(f"{name} {workload} #{i}: {out['s']:.2f} s (CLI returned after {out['cli_s']:.2f} s, "
                              f"{out['polls']} polls{costs}; rm untimed {out['rm_s']:.1f} s)")
    except B.Interrupted as e:
        failed = f"interrupted by {e}"
    except BaseException as e:  # report, clean up, then exit non-zero
        failed = f"{type(e).__name__}: {e}"
    finally:
        O.tear_down(clusters, host, base, run_base, record, failed, args.keep, keep_logs,
                    logs_of_engine_errors=True)

    medians = {n: {k: B.median(v) for k, v in record["samples"][n].items()} for n in B.ENGINES}
    out = O.write_record(record, results_dir, f"{stamp}-services.json", failed, medians_s=medians)
    print()
    print(f"Shoal vs Docker {record['machine'].get('dockerd', '')} swarm: {O.HOSTS} hosts each (network namespaces on "
          f"one bridge, 1 manager); docker CLI {B.DOCKER_CLI} against the manager; alternating engines; {rounds} "
          f"rounds.")
    for name in names:
        if name in record["engine_errors"]:
            print(f"NOT MEASURED: {record['engine_errors'][name]}")
    print_table(record["samples"])
    print_web(record["runs"])
    print_costs(record)
    print(f"Times from before the CLI command to the poll reply (every {POLL_INTERVAL * 1000:g} ms, GET /tasks on the "
          "manager) that shows the goal. Docker measured here before: "
          + ", ".join(f"{w[8:]} {before:g} s" for w, _l, before, _t, _b in ROWS if before is not None) + ".")
    return O.print_end(record, out, failed, interrupted)
