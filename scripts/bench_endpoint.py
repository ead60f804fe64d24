"""The cluster endpoint's figures (issue 13) for `scripts/bench.sh --only endpoint`.

Shoal: a 5-host local cluster (`shoal cluster up --nodes 5 --managers 1`, bench_overlay.ShoalCluster), the busybox
bench image loaded on every host, and a credentials bundle (`shoal cluster credentials`): the stock docker CLI then
talks to the manager's cluster endpoint (TCP 2376, mutual TLS). Docker: bench.py's single dockerd 20.10 (no
networking, as for `run-detached`), the node-local reference the issue compares with.

Workloads (all run; --iterations rounds of the first, 20 by default):
  endpoint-run     `docker run -d --network none IMAGE sleep 1000` until it returns, three ways in each round, the
                   order rotating round by round: through the cluster endpoint (placed by the classic scheduler), on
                   host 2's own socket (the node itself), and on Docker's dockerd. `rm -f` untimed. The issue's
                   bounds: endpoint <= 1.5x the node itself, <= 0.5x Docker's node-local run.
  endpoint-ps      1,000 containers created (untimed, 200 on each host through its own socket, 8 at a time), then
                   `docker ps -a` through the endpoint, 10 times (bound: 0.3 s); host 1's own `docker ps -a` with its
                   200 for reference. Removed afterwards (untimed).
  endpoint-burst   200 `docker run -d` through the endpoint, 8 at a time: the wall time, and the spread (max - min
                   containers per host; bound: 1).
Everything is removed at the end by pid and path as bench_overlay does: the cluster with `shoal cluster down`,
dockerd and its containerd by pid, the roots.
"""

import concurrent.futures
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import bench as B
import bench_overlay as O

HOSTS = 5
PS_CONTAINERS = 1000
BURST = 200
RUN = ["run", "-d", "--network", "none", B.IMAGE, "sleep", "1000"]


class EndpointCluster(O.ShoalCluster):
    """bench_overlay's Shoal cluster with five hosts and a credentials bundle."""

    def cluster_up(self):
        saved = O.HOSTS
        O.HOSTS = HOSTS
        try:
            super().cluster_up()
        finally:
            O.HOSTS = saved

    def bundle(self, directory):
        result = subprocess.run([self.binary, "cluster", "credentials", "--name", self.cluster, "--out", directory],
                                env=self.env, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"shoal cluster credentials: {(result.stderr or result.stdout).strip()}")
        return {"DOCKER_HOST": f"tcp://{self.hosts[0].address}:2376", "DOCKER_TLS_VERIFY": "1",
                "DOCKER_CERT_PATH": directory}


def endpoint_docker(environment, cli_config, *args, timeout=180, check=True):
    env = dict(os.environ, DOCKER_CONFIG=cli_config, **environment)
    env.pop("DOCKER_CONTEXT", None)
    result = subprocess.run([B.DOCKER_CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"endpoint: docker {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[:300]}")
    return result


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000.0, out


def parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(max_workers=B.PARALLELISM) as pool:
        return list(pool.map(fn, items))


def summary(values):
    if not values:
        return None
    return {"median": statistics.median(values), "p90": sorted(values)[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))], "n": len(values)}


def main(args, tokens):
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(B.REPO, "bench-results")

    def on_signal(signum, _frame):
        raise B.Interrupted(signal.Signals(signum).name)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    base = tempfile.mkdtemp(prefix="shoal-bench-ep-", dir="/var/tmp")
    run_base = tempfile.mkdtemp(prefix="shoal-bench-ep-", dir="/run")
    iterations = args.iterations or 20
    record = {"timestamp": stamp, "mode": "endpoint", "options": vars(args), "hosts": HOSTS, "samples": {},
              "errors": []}
    cluster, docker, host, failed = None, None, None, None
    try:
        B.ensure_docker_io()
        binary = args.shoal_binary or B.build_shoal()
        record["machine"] = B.machine_facts()
        host = B.HostNetwork()
        cli_config = os.path.join(base, "cli-config")
        os.makedirs(cli_config)
        tarball = os.path.join(base, "busybox.tar")
        B.busybox_image_tarball(tarball)

        docker = B.DockerEngine(base, run_base, cli_config, args.own_containerd, host)
        docker.start(network=False)
        docker.docker("load", "-i", tarball, timeout=300)
        cluster = EndpointCluster(binary, base, cli_config, run_base)
        cluster.setup_step("shoal cluster up", cluster.cluster_up)
        for h in cluster.hosts:
            cluster.setup_step(f"docker load on {h.name}", lambda h=h: h.docker("load", "-i", tarball, timeout=300))
        bundle = cluster.setup_step("shoal cluster credentials", cluster.bundle, os.path.join(base, "bundle"))
        deadline = time.monotonic() + 30
        while endpoint_docker(bundle, cli_config, "version", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster endpoint did not answer within 30 s")
            time.sleep(0.2)
        node = cluster.hosts[1]
        B.log(f"endpoint: {bundle['DOCKER_HOST']}; node-local reference {node.name}; docker {docker.socket}")

        # endpoint-run
        ways = {
            "endpoint": (lambda: endpoint_docker(bundle, cli_config, *RUN),
                         lambda cid: endpoint_docker(bundle, cli_config, "rm", "-f", cid)),
            "node": (lambda: node.docker(*RUN), lambda cid: node.docker("rm", "-f", cid)),
            "docker": (lambda: docker.docker(*RUN), lambda cid: docker.docker("rm", "-f", cid)),
        }
        names = list(ways)
        for i in range(iterations):
            for name in names[i % 3:] + names[:i % 3]:
                run, remove = ways[name]
                try:
                    ms, result = timed(run)
                    record["samples"].setdefault(f"run-{name}", []).append(ms)
                    remove(result.stdout.strip())
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    record["errors"].append(f"run {name} #{i}: {e}")
                    B.log(f"run {name} #{i} failed: {e}")

        # endpoint-ps
        B.log(f"endpoint-ps: creating {PS_CONTAINERS} containers ({PS_CONTAINERS // HOSTS} per host)")
        per_host = PS_CONTAINERS // HOSTS
        jobs = [h for h in cluster.hosts for _ in range(per_host)]
        parallel(lambda h: h.docker("create", "--network", "none", B.IMAGE, "true", timeout=300), jobs)
        for _ in range(10):
            ms, result = timed(lambda: endpoint_docker(bundle, cli_config, "ps", "-a", "-q"))
            lines = result.stdout.split()
            if len(lines) != PS_CONTAINERS:
                record["errors"].append(f"ps -a listed {len(lines)} containers, not {PS_CONTAINERS}")
            record["samples"].setdefault("ps-endpoint", []).append(ms)
            ms, _ = timed(lambda: cluster.hosts[0].docker("ps", "-a", "-q"))
            record["samples"].setdefault("ps-node", []).append(ms)
        for h in cluster.hosts:
            h.remove_all_containers()

        # endpoint-burst
        start = time.perf_counter()
        parallel(lambda _: endpoint_docker(bundle, cli_config, *RUN), range(BURST))
        wall = time.perf_counter() - start
        names_listed = endpoint_docker(bundle, cli_config, "ps", "--format", "{{.Names}}").stdout.split()
        by_hostname = {}
        for name in names_listed:
            by_hostname[name.split("/")[0]] = by_hostname.get(name.split("/")[0], 0) + 1
        record["burst"] = {"seconds": wall, "per_host": by_hostname, "running": len(names_listed),
                           "spread": (max(by_hostname.values()) - min(by_hostname.values())) if by_hostname else None}
        for h in cluster.hosts:
            h.remove_all_containers()
    except B.Interrupted as e:
        failed = f"interrupted ({e})"
    except (RuntimeError, subprocess.SubprocessError, OSError, O.SetupFailed) as e:
        failed = str(e)
        B.log(f"FAILED: {e}")
    finally:
        if cluster is not None:
            for problem in cluster.down(keep=args.keep):
                B.log(f"shoal: cleanup: {problem}")
        if docker is not None:
            try:
                docker.remove_all_containers()
                docker.stop()
            except Exception as e:  # cleanup goes on
                B.log(f"docker: cleanup: {e}")
        if host is not None:
            host.restore()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
            shutil.rmtree(run_base, ignore_errors=True)

    os.makedirs(results_dir, exist_ok=True)
    out = os.path.join(results_dir, f"{stamp}-endpoint.json")
    with open(out, "w") as f:
        json.dump(record, f, indent=1)
    print_table(record)
    print(f"raw samples: {out}")
    if failed:
        print(f"FAILED: {failed}")
    return 1 if failed or record["errors"] else 0


def print_table(record):
    s = {k: summary(v) for k, v in record["samples"].items()}

    def ms(key):
        return f"{s[key]['median']:.0f} ms (p90 {s[key]['p90']:.0f}, n={s[key]['n']})" if s.get(key) else "-"

    print()
    print("cluster endpoint (Shoal, 5 hosts) vs the node itself vs Docker 20.10's node-local run")
    print(f"  docker run -d, endpoint        {ms('run-endpoint')}")
    print(f"  docker run -d, node itself     {ms('run-node')}")
    print(f"  docker run -d, Docker          {ms('run-docker')}")
    if s.get("run-endpoint") and s.get("run-node") and s.get("run-docker"):
        e, n, d = s["run-endpoint"]["median"], s["run-node"]["median"], s["run-docker"]["median"]
        print(f"  endpoint / node itself = {e / n:.2f}x (bound 1.5x); endpoint / Docker = {e / d:.2f}x (bound 0.5x)")
    print(f"  docker ps -a, {PS_CONTAINERS} containers on {HOSTS} hosts, endpoint   {ms('ps-endpoint')} (bound 300 ms)")
    print(f"  docker ps -a, {PS_CONTAINERS // HOSTS} containers, one host itself       {ms('ps-node')}")
    burst = record.get("burst")
    if burst:
        print(f"  {BURST} x docker run -d through the endpoint, 8 at a time: {burst['seconds']:.2f} s; "
              f"per host {burst['per_host']}, spread {burst['spread']} (bound 1)")
    for e in record["errors"][:5]:
        print(f"  error: {e}")
