#!/usr/bin/env python3
"""Shoal vs Docker, side by side: the project's benchmark command.

Starts a Shoal daemon (release build) and Debian's dockerd 20.10, each on its own socket, data root and exec root,
loads the same busybox image into both, and times the stock docker CLI against each, alternating run by run so that
drift on the machine hits both equally. Containers use `--network none` on both sides so that network setup is not
compared. Prints a table (median, p90, Shoal/Docker ratio of medians) and writes the raw samples to
bench-results/<timestamp>.json. Everything it starts is stopped by pid, and its roots are unmounted and deleted,
also on Ctrl-C or error (unless --keep).

Needs root. Python 3 standard library only.
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import io
import json
import os
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
APPLETS = ["sh", "true", "sleep", "echo", "cat"]
BATCH_SIZE = 100
PARALLELISM = 8
SYSTEM_CONTAINERD_SOCK = "/run/containerd/containerd.sock"
ENGINES = ("shoal", "docker")


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


class ShoalEngine(Engine):
    def __init__(self, base, run_base, cli_config, binary):
        super().__init__("shoal", base, run_base, cli_config)
        self.binary = binary
        self.socket = os.path.join(self.exec_root, "shoal.sock")
        self.log_path = os.path.join(self.data_root, "shoal-daemon.log")

    def start(self):
        self.spawn([self.binary, "daemon", "--data-root", self.data_root, "--exec-root", self.exec_root,
                    "-H", "unix://" + self.socket])
        self.wait_ready()

    def conmon_pids(self):
        pids = []
        root = os.path.join(self.exec_root, "runtime", "containers")
        for cid in (os.listdir(root) if os.path.isdir(root) else []):
            text = read(os.path.join(root, cid, "conmon.pid"))
            if text and text.strip().isdigit():
                pid = int(text.strip())
                if alive(pid) and "conmon" in " ".join(cmdline(pid)[:1]):
                    pids.append(pid)
        return pids

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
    def __init__(self, base, run_base, cli_config, own_containerd):
        super().__init__("docker", base, run_base, cli_config)
        self.socket = os.path.join(self.exec_root, "docker.sock")
        self.log_path = os.path.join(self.data_root, "dockerd.log")
        # dockerd 20.10 uses a containerd whose socket exists at the system path; otherwise it starts its own.
        self.own_containerd = own_containerd or os.path.exists(SYSTEM_CONTAINERD_SOCK)
        self.containerd_proc = None
        self.containerd_sock = os.path.join(self.exec_root, "containerd", "containerd.sock")

    def start(self):
        argv = ["dockerd", "--data-root", os.path.join(self.data_root, "root"), "--exec-root", self.exec_root,
                "-H", "unix://" + self.socket, "--pidfile", os.path.join(self.exec_root, "dockerd.pid"),
                "--bridge=none", "--iptables=false", "--ip-forward=false", "--ip-masq=false",
                "--userland-proxy=false", "--storage-driver=overlay2", "--config-file",
                os.path.join(self.data_root, "daemon.json")]
        os.makedirs(self.data_root, exist_ok=True)
        with open(os.path.join(self.data_root, "daemon.json"), "w") as f:
            # Never read /etc/docker/daemon.json; keep the trust key (20.10 writes /etc/docker/key.json) in our root.
            json.dump({"deprecated-key-path": os.path.join(self.data_root, "key.json")}, f)
        if self.own_containerd:
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


def print_table(samples, memory_kind, engines):
    rows = [("run --rm true", "run_true", "ms"), ("run -d sleep (until started)", "run_detached", "ms"),
            (f"{BATCH_SIZE} x run -d, {PARALLELISM} parallel", "batch_start", "ms"),
            (f"{BATCH_SIZE} x rm -f, {PARALLELISM} parallel", "batch_remove", "ms"),
            (f"memory, {BATCH_SIZE} running ({memory_kind})", "memory_mib", "MiB")]
    header = ["workload", "n", "shoal median", "shoal p90", "docker median", "docker p90", "shoal/docker"]
    lines = []
    for label, key, unit in rows:
        s, d = samples["shoal"].get(key, []), samples["docker"].get(key, [])
        ratio = f"{median(s) / median(d):.2f}x" if s and d and median(d) else "-"
        lines.append([label, str(max(len(s), len(d))), fmt(median(s), unit), fmt(p90(s), unit),
                      fmt(median(d), unit), fmt(p90(d), unit), ratio])
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    out = []
    for i, r in enumerate([header] + lines):
        out.append("  ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(r)))
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

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=ENGINES, help="benchmark one engine only")
    parser.add_argument("--iterations", type=int, default=20, help="runs per single-container workload (20)")
    parser.add_argument("--batch-iterations", type=int, default=3, help=f"rounds of the {BATCH_SIZE}-container "
                        "workload (3)")
    parser.add_argument("--keep", action="store_true", help="keep the data and exec roots (for debugging)")
    parser.add_argument("--shoal-binary", help="use this shoal binary instead of building the release one")
    parser.add_argument("--own-containerd", action="store_true",
                        help="start a containerd for dockerd ourselves (automatic when a system containerd runs)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(REPO, "bench-results")
    names = [args.only] if args.only else list(ENGINES)

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
    failed = None
    record = {"timestamp": stamp, "machine": {}, "options": vars(args), "network": "none (both engines)",
              "memory_kind": None, "samples": {n: {} for n in ENGINES}, "memory": {n: [] for n in ENGINES},
              "errors": []}
    try:
        if "docker" in names:
            ensure_docker_io()
        binary = args.shoal_binary or (build_shoal() if "shoal" in names else None)
        record["machine"] = machine_facts()
        cli_config = os.path.join(base, "cli-config")
        os.makedirs(cli_config)
        tarball = os.path.join(base, "busybox.tar")
        busybox_image_tarball(tarball)
        for name in names:
            engine = ShoalEngine(base, run_base, cli_config, binary) if name == "shoal" else \
                DockerEngine(base, run_base, cli_config, args.own_containerd)
            engines[name] = engine
            engine.start()
            engine.docker("load", "-i", tarball, timeout=300)
            log(f"{name}: image loaded")
            # One untimed warm-up of each workload (first-use caches) before measuring.
            w_run_true(engine)
            w_run_detached(engine)

        def order(i):
            return names if i % 2 == 0 else list(reversed(names))

        for workload, fn in (("run_true", w_run_true), ("run_detached", w_run_detached)):
            log(f"workload {workload}: {args.iterations} iterations per engine, alternating")
            for i in range(args.iterations):
                for name in order(i):
                    try:
                        ms = fn(engines[name])
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        record["errors"].append({"engine": name, "workload": workload, "iteration": i,
                                                 "error": str(e)})
                        log(f"{name} {workload} #{i} failed: {e}")
                        continue
                    record["samples"][name].setdefault(workload, []).append(ms)

        log(f"workload batch: {BATCH_SIZE} containers, {PARALLELISM} at a time, {args.batch_iterations} rounds")
        for i in range(args.batch_iterations):
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
            engine.remove_all_containers()
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
        print(f"Shoal vs Docker {record['machine'].get('dockerd', '')}, docker CLI {DOCKER_CLI}; "
              f"all containers --network none (network setup not compared); "
              f"{args.iterations} iterations, {args.batch_iterations} batch rounds, alternating engines.")
        print_table(record["samples"], record["memory_kind"] or "PSS", names)
        print("memory: shoal = daemon + conmons; docker = dockerd + containerd + containerd-shims.")
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
