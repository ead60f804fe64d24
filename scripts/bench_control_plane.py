"""`--only control-plane`: the control plane's scale simulation (issue 12), Shoal only.

Runs `shoal simulate` (hidden command): a real leader (swarm init: its etcd member, allocator, orchestrators,
scheduler, dispatcher, node health) in that process, and the simulated nodes in child processes of the same binary,
each a real agent (join with the worker token over gRPC + mutual TLS, its own dispatcher session, its own task
runners) over a fake engine that runs no containers. Steps, each timed until converged: join, create, scale, a
rolling update, the loss of a group of nodes (its process is killed). There is no Docker side: the anchors
(Swarm2K, Nomad C1M) are printed beside our figures instead.
"""

import json
import subprocess
import time

ANCHORS = [
    "Swarm2K (Docker swarm mode, 2016): 2,384 nodes, 95,000 tasks",
    "Nomad C1M (2016): 1,000,000 containers on 5,000 hosts, 3,750 placements/s",
]
TARGETS = {
    "create": "100,000 tasks placed in <= 30 s (all placed)",
    "node-loss-reschedule": "<= 10 s after the nodes are Down",
}


def run(binary, args, log):
    """Runs the simulation; returns (report dict or None, errors, log lines)."""
    command = [binary, "simulate",
               "--sim-nodes", str(args.sim_nodes), "--sim-tasks", str(args.sim_tasks),
               "--sim-services", str(args.sim_services), "--sim-scaled", str(args.sim_scaled),
               "--sim-updated", str(args.sim_updated), "--sim-parallelism", str(args.sim_parallelism),
               "--sim-lost", str(args.sim_lost), "--sim-nodes-per-process", str(args.sim_nodes_per_process),
               "--sim-heartbeat", str(args.sim_heartbeat), "--sim-port", str(args.sim_port)]
    log("running " + " ".join(command))
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    report, lines = None, []
    for line in process.stdout:
        line = line.rstrip("\n")
        if line.startswith("REPORT "):
            report = json.loads(line[len("REPORT "):])
            continue
        lines.append(line)
        log("  " + line)
    code = process.wait()
    errors = [] if code == 0 and report else [f"shoal simulate exited with {code}: " + " | ".join(lines[-3:])]
    log(f"simulation took {time.monotonic() - started:.0f} s")
    return report, errors


def mib(n):
    return f"{n / 1048576:.0f} MiB"


def print_table(report):
    p = report["parameters"]
    print(f"Shoal control plane, simulated: {p['nodes']} nodes, {p['tasks']} tasks in {p['services']} services, "
          f"heartbeat {p['heartbeatPeriod']:g} s (leader + etcd + simulated nodes on this machine)")
    widths = (22, 10, 11, 9, 12, 16, 12, 10, 34)
    header = ("step", "time", "all placed", "tasks", "tasks/s", "dispatcher msg/s", "leader CPU", "etcd CPU",
              "target")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for step in report["steps"]:
        seconds = step["seconds"]
        rate = step["tasks"] / seconds if seconds > 0 and step["tasks"] else 0
        msgs = (step["dispatcherReceived"] + step["dispatcherSent"]) / seconds if seconds > 0 else 0
        placed = step.get("placedSeconds")
        row = (step["name"], f"{seconds:.2f} s", f"{placed:.2f} s" if placed is not None else "-", str(step["tasks"]),
               f"{rate:.0f}" if rate else "-", f"{msgs:.0f}", f"{step['leaderCPUSeconds']:.1f} s", f"{step['etcdCPUSeconds']:.1f} s",
               TARGETS.get(step["name"], ""))
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    leader, etcd = report.get("leader"), report.get("etcd")
    if leader:
        print(f"leader process (the leader and the scenario's driver): RSS {mib(leader['rssBytes'])}, peak "
              f"{mib(leader['peakRSSBytes'])} (target <= 2 GiB), CPU {leader['cpuSeconds']:.1f} s")
    if etcd:
        print(f"etcd member: RSS {mib(etcd['rssBytes'])}, peak {mib(etcd['peakRSSBytes'])}, "
              f"CPU {etcd['cpuSeconds']:.1f} s")
    if report.get("etcdDBBytes") is not None:
        print(f"store size (etcd db file): {mib(report['etcdDBBytes'])}")
    nodes = report.get("nodeProcesses", [])
    if nodes:
        print(f"simulated node processes ({len(nodes)} left): RSS {mib(sum(n['rssBytes'] for n in nodes))}, "
              f"CPU {sum(n['cpuSeconds'] for n in nodes):.1f} s")
    print("anchors: " + "; ".join(ANCHORS))
