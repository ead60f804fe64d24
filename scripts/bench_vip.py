"""The figures of `scripts/bench.sh --only vip-balancer`: service VIPs balanced by nftables inside a client's
network namespace (Sources/ShoalNetwork/ServiceBalancer.swift) against straight to one backend's address.

The measurement itself is the test ServiceBalancerBenchmark (Tests/ShoalNetworkTests), so that it uses the same
namespaces (one overlay: a VXLAN device, sandboxes with a macvlan on it), the same renderer and the same
`nsenter --net nft -f -` as the product: this script builds the tests (debug: only the kernel's data path is
measured; the Swift code just applies the table), runs that one test with SHOAL_BENCH_VIP=<file>, and prints
medians over the rounds. The client is a stdlib python3 loop in the client's namespace; each backend a python3
server (a thread per connection). Set-ups, taken in turn each round:
  direct-bare   to backend b1's address, no table in the client's namespace (conntrack off there);
  direct        to b1's address with the balancer table loaded (conntrack on, as in any container with VIPs);
  vip-1         to the VIP balanced over b1 alone: the DNAT's own cost, against `direct`;
  direct-3      to b1, b2 or b3, the client picking one at random per connection, the table loaded: the same
                spread over three servers as vip-3 without the DNAT (on 2 busy cores, waking three servers in turn
                costs more than keeping one busy, which is not the balancer's doing);
  vip-3         to the VIP balanced over b1, b2 and b3 (against direct-3).
Everything lives in namespaces the test makes; its cleanup kills the servers by pid and deletes the namespaces.
"""

import json
import os
import statistics
import subprocess
import tempfile

SETUPS = ("direct-bare", "direct", "vip-1", "direct-3", "vip-3")
# Each set-up's baseline: vip-3 against the same spread over three servers without the DNAT.
BASELINE = {"direct-bare": "direct", "direct": "direct", "vip-1": "direct", "direct-3": "direct", "vip-3": "direct-3"}
METRICS = (("conns_per_s", "new connections/s"), ("reqs_per_s", "requests/s on one connection"))


def run(repo, rounds, seconds, log):
    env = dict(os.environ)
    env["PATH"] = "/opt/swift/usr/bin:" + env.get("PATH", "")
    log("building the tests (debug)")
    subprocess.run(["swift", "build", "--build-tests"], cwd=repo, env=env, check=True)
    fd, out = tempfile.mkstemp(prefix="shoal-bench-vip-", suffix=".json")
    os.close(fd)
    try:
        env.update(SHOAL_BENCH_VIP=out, SHOAL_BENCH_VIP_ROUNDS=str(rounds), SHOAL_BENCH_VIP_SECONDS=str(seconds))
        log(f"measuring: {rounds} rounds of {len(SETUPS)} set-ups, {seconds:g} s per metric")
        test = subprocess.run(["swift", "test", "--skip-build", "--filter", "ServiceBalancerBenchmark"], cwd=repo,
                              env=env, capture_output=True, text=True, timeout=rounds * len(SETUPS) * (2 * seconds + 30)
                              + 120)
        with open(out) as f:
            text = f.read()
        if not text:
            raise RuntimeError(f"the benchmark test wrote nothing:\n{test.stdout[-3000:]}{test.stderr[-2000:]}")
        return json.loads(text)
    finally:
        os.unlink(out)


def print_table(record):
    samples = record["samples"]
    median = {s: {m: statistics.median(samples[s][m]) for m, _ in METRICS} for s in SETUPS if s in samples}
    print(f"VIP balancer (nftables numgen DNAT in the client's netns), {record['rounds']} rounds, "
          f"{record['seconds']:g} s per metric; medians, ratio against the baseline (vip-3: direct-3; the rest: direct; higher is better):")
    print(f"{'set-up':<12} " + " ".join(f"{label:>30}" for _, label in METRICS))
    for setup in median:
        cells = []
        for metric, _ in METRICS:
            value = median[setup][metric]
            base = median.get(BASELINE[setup], {}).get(metric)
            cells.append(f"{value:>20.0f} ({value / base:4.2f}x)" if base else f"{value:>30.0f}")
        print(f"{setup:<12} " + " ".join(f"{c:>30}" for c in cells))
    for setup in median:
        spread = ", ".join(f"{m} {min(samples[setup][m]):.0f}-{max(samples[setup][m]):.0f}" for m, _ in METRICS)
        print(f"  {setup}: range {spread}")
