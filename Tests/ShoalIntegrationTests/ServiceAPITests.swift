import Foundation
import ShoalTestSupport
import Testing

/// Swarm services as stored objects, driven with the stock docker CLI and docker-py on a swarm made by
/// `shoal cluster up` (3 managers, 1 worker): create, list, inspect, update and remove through the leader and
/// through a follower, Docker's refusals, and a worker refused. The image is on no host, so no task runs (every
/// CLI call uses `--detach`, and `service ls` shows 0 running replicas).
@Suite(.serialized, .timeLimit(.minutes(6))) struct ServiceAPITests {
    @Test func servicesAreCreatedListedUpdatedAndRemovedLikeDockers() async throws {
        try await TestRun.with("services") { run in
            let cluster = LocalClusterFixture(run, prefix: "s", subnetOctet: 247, shoalTimeout: 150, dockerTimeout: 30)
            let up = try await cluster.up(nodes: 4, managers: 3, swarm: true)
            try #require(up.status == 0, "\(up)")
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            let network = try await docker(1, ["network", "create", "-d", "overlay", "ovl"])
            try #require(network.status == 0, "\(network)\n\(cluster.log(1))")
            let networkID = network.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            let created = try await docker(1, [
                "service", "create", "--detach", "--name", "web", "--replicas", "3", "--label", "a=b",
                "--constraint", "node.role==worker", "--network", "ovl", "-p", "8080:80", "127.0.0.1:9/busybox", "sleep", "1000",
            ])
            try #require(created.status == 0, "\(created)\n\(cluster.log(1))")
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 25, "\(created)")

            // Every manager lists it (reads come from each manager's own store); nothing runs yet.
            for node in 1...3 {
                let list = try await docker(node, ["service", "ls", "--format",
                                                   "{{.ID}} {{.Name}} {{.Mode}} {{.Replicas}} {{.Image}} {{.Ports}}"])
                #expect(list.stdout == "\(id.prefix(12)) web replicated 0/3 127.0.0.1:9/busybox:latest *:8080->80/tcp\n",
                        "node \(node): \(list)\n\(cluster.log(node))")
            }
            let format = "{{.ID}}|{{.Spec.Name}}|{{.Spec.Mode.Replicated.Replicas}}|{{.Spec.Labels.a}}|"
                + "{{index .Spec.TaskTemplate.Placement.Constraints 0}}|{{(index .Spec.TaskTemplate.Networks 0).Target}}|"
                + "{{(index .Spec.EndpointSpec.Ports 0).PublishedPort}}|{{(index .Endpoint.Spec.Ports 0).TargetPort}}|"
                + "{{.Spec.TaskTemplate.ContainerSpec.Args}}|{{.Spec.TaskTemplate.RestartPolicy.Condition}}|"
                + "{{.Spec.UpdateConfig.Parallelism}}|{{.UpdateStatus}}|{{.PreviousSpec}}"
            let inspect = try await docker(2, ["service", "inspect", "--format", format, "web"])
            #expect(inspect.stdout == "\(id)|web|3|b|node.role==worker|\(networkID)|8080|80|[sleep 1000]|any|1|<nil>|<nil>\n",
                    "\(inspect)")
            let raw = try await docker(1, ["service", "inspect", "web"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(raw.stdout.utf8)) as? [[String: Any]])
            let service = try #require(json.first)
            #expect(service["UpdateStatus"] == nil && service["PreviousSpec"] == nil)
            #expect((service["Version"] as? [String: Any])?["Index"] is Int)
            #expect((service["CreatedAt"] as? String)?.hasSuffix("Z") == true)

            // Scaled through a follower (the leader writes it): the spec before is kept.
            let scaled = try await docker(2, ["service", "update", "--detach", "--replicas", "5", "web"])
            #expect(scaled.status == 0 && scaled.stdout == "web\n", "\(scaled)\n\(cluster.log(2))")
            let after = try await docker(3, ["service", "inspect", "--format",
                                             "{{.Spec.Mode.Replicated.Replicas}} {{.PreviousSpec.Mode.Replicated.Replicas}}",
                                             "web"])
            #expect(after.stdout == "5 3\n", "\(after)")

            // Docker's refusals.
            let taken = try await docker(2, ["service", "create", "--detach", "--name", "web", "127.0.0.1:9/busybox"])
            #expect(taken.status != 0 && taken.stderr.contains(
                "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web already exists"),
                "\(taken)")
            let noNetwork = try await docker(1, ["service", "create", "--detach", "--name", "x", "--network", "nope", "127.0.0.1:9/busybox"])
            #expect(noNetwork.status != 0 && noNetwork.stderr.contains("network nope not found"), "\(noNetwork)")
            let badConstraint = try await docker(1, ["service", "create", "--detach", "--name", "x",
                                                     "--constraint", "node.role=worker", "127.0.0.1:9/busybox"])
            #expect(badConstraint.status != 0
                        && badConstraint.stderr.contains("constraint expected one operator from ==, !="), "\(badConstraint)")
            let port = try await docker(3, ["service", "create", "--detach", "--name", "x", "-p", "8080:81", "127.0.0.1:9/busybox"])
            #expect(port.status != 0 && port.stderr.contains(
                "port '8080' is already in use by service 'web' (\(id)) as an ingress port"), "\(port)")
            let worker = try await docker(4, ["service", "ls"])
            #expect(worker.status != 0 && worker.stderr.contains(
                "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state."), "\(worker)")
            let workerCreate = try await docker(4, ["service", "create", "--detach", "--name", "w", "127.0.0.1:9/busybox"])
            #expect(workerCreate.status != 0 && workerCreate.stderr.contains("Worker nodes can't be used"), "\(workerCreate)")
            let inUse = try await docker(1, ["network", "rm", "ovl"])
            #expect(inUse.status != 0 && inUse.stderr.contains("network \(networkID) is in use by service \(id)"), "\(inUse)")
            let unknown = try await docker(1, ["service", "rm", "nope"])
            #expect(unknown.status != 0 && unknown.stderr.contains("service nope not found"), "\(unknown)")
            #expect(try await docker(1, ["service", "ls", "-q"]).stdout == "\(id.prefix(12))\n")
            // The tasks go to the one worker (the constraint), which has no such image and cannot pull it (the image
            // names a registry on the host's own closed loopback port, so no test ever pulls from the internet):
            // they are rejected there with Docker's words.
            var rows: [String] = []
            let rejected = try await cluster.eventually(20) {
                rows = try await docker(1, ["service", "ps", "--no-trunc", "--format", "{{.Node}}|{{.CurrentState}}|{{.Error}}", "web"])
                    .stdout.split(separator: "\n").map(String.init)
                return rows.allSatisfy { $0.hasPrefix(cluster.host(4) + "|") }
                    && rows.contains { $0.contains("|Rejected ") && $0.contains("No such image: 127.0.0.1:9/busybox") }
            }
            #expect(rejected, "\(rows)")
            let ps = try await docker(2, ["service", "ps", "web"])
            #expect(ps.status == 0 && ps.stdout.hasPrefix("ID"), "\(ps)")
            let pretty = try await docker(3, ["service", "inspect", "--pretty", "web"])
            #expect(pretty.status == 0 && pretty.stdout.contains("Replicas:\t5")
                        && pretty.stdout.contains("Parallelism:\t1"), "\(pretty)")
            let scale = try await docker(1, ["service", "scale", "--detach", "web=4"])
            #expect(scale.status == 0, "\(scale)")
            // Rolled back through a follower: the spec before the scale comes back (5 replicas), and the 4 of
            // now becomes the previous one.
            let rollback = try await docker(2, ["service", "rollback", "--detach", "web"])
            #expect(rollback.status == 0, "\(rollback)")
            let back = try await docker(1, ["service", "inspect", "--format",
                                            "{{.Spec.Mode.Replicated.Replicas}} {{.PreviousSpec.Mode.Replicated.Replicas}} {{.UpdateStatus.State}}",
                                            "web"])
            // (started, completed, or paused: the image is on no host, so its replacements fail too)
            #expect(back.stdout.hasPrefix("5 4 rollback_"), "\(back)")
            let never = try await docker(1, ["service", "create", "--detach", "--name", "fresh", "127.0.0.1:9/busybox"])
            #expect(never.status == 0, "\(never)")
            let noPrevious = try await docker(1, ["service", "rollback", "--detach", "fresh"])
            #expect(noPrevious.status != 0 && noPrevious.stderr.contains("service does not have a previous spec"),
                    "\(noPrevious)")
            #expect(try await docker(1, ["service", "rm", "fresh"]).status == 0)

            let removed = try await docker(3, ["service", "rm", "web"])
            #expect(removed.status == 0 && removed.stdout == "web\n", "\(removed)")
            #expect(try await docker(1, ["service", "ls", "-q"]).stdout == "")
            // Most of `docker service create`'s flags, read back as the CLI sent them.
            let full = try await docker(1, [
                "service", "create", "--detach", "--name", "full", "--mode", "global", "--env", "A=1", "--workdir", "/w",
                "--user", "1000", "--hostname", "h", "--mount", "type=tmpfs,target=/t", "--limit-cpu", "0.5",
                "--reserve-memory", "64M", "--restart-condition", "on-failure", "--restart-delay", "3s",
                "--restart-max-attempts", "2", "--update-parallelism", "2", "--update-delay", "4s",
                "--update-order", "start-first", "--rollback-monitor", "7s", "--stop-grace-period", "20s",
                "--placement-pref", "spread=node.labels.zone", "--publish", "published=9090,target=90,mode=host",
                "--endpoint-mode", "dnsrr", "127.0.0.1:9/busybox", "sleep", "1",
            ])
            try #require(full.status == 0, "\(full)\n\(cluster.log(1))")
            let fullFormat = "{{.Spec.Mode.Global}}|{{.Spec.TaskTemplate.ContainerSpec.Env}}|{{.Spec.TaskTemplate.ContainerSpec.Dir}}|"
                + "{{.Spec.TaskTemplate.ContainerSpec.User}}|{{.Spec.TaskTemplate.ContainerSpec.Hostname}}|"
                + "{{(index .Spec.TaskTemplate.ContainerSpec.Mounts 0).Type}}:{{(index .Spec.TaskTemplate.ContainerSpec.Mounts 0).Target}}|"
                + "{{.Spec.TaskTemplate.Resources.Limits.NanoCPUs}}|{{.Spec.TaskTemplate.Resources.Reservations.MemoryBytes}}|"
                + "{{.Spec.TaskTemplate.RestartPolicy.Condition}} {{.Spec.TaskTemplate.RestartPolicy.Delay}} "
                + "{{.Spec.TaskTemplate.RestartPolicy.MaxAttempts}}|{{.Spec.UpdateConfig.Parallelism}} "
                + "{{.Spec.UpdateConfig.Delay}} {{.Spec.UpdateConfig.Order}}|{{.Spec.RollbackConfig.Monitor}}|"
                + "{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod}}|"
                + "{{(index .Spec.TaskTemplate.Placement.Preferences 0).Spread.SpreadDescriptor}}|"
                + "{{.Spec.EndpointSpec.Mode}} {{(index .Spec.EndpointSpec.Ports 0).PublishedPort}} "
                + "{{(index .Spec.EndpointSpec.Ports 0).PublishMode}}"
            let fullInspect = try await docker(2, ["service", "inspect", "--format", fullFormat, "full"])
            #expect(fullInspect.stdout == "{}|[A=1]|/w|1000|h|tmpfs:/t|500000000|67108864|on-failure 3s 2|2 4s start-first|"
                        + "7s|20s|node.labels.zone|dnsrr 9090 host\n", "\(fullInspect)")
            #expect(try await docker(1, ["service", "rm", "full"]).status == 0)
            // Without --name the daemon names it, as Docker's does (adjective_surname).
            let nameless = try await docker(2, ["service", "create", "--detach", "127.0.0.1:9/busybox"])
            try #require(nameless.status == 0, "\(nameless)")
            let generated = try await docker(1, ["service", "ls", "--format", "{{.Name}}"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(generated.contains("_") && !generated.contains(" "), "\(generated)")
            #expect(try await docker(1, ["service", "rm", generated]).status == 0)

            // docker-py, through a follower.
            let py = """
                import docker, sys
                client = docker.DockerClient(base_url="unix://" + sys.argv[1])
                made = client.services.create("127.0.0.1:9/busybox", ["sleep", "1000"], name="py", labels={"k": "v"},
                                              mode=docker.types.ServiceMode("replicated", replicas=2))
                got = client.services.get("py")
                print(got.id == made.id, got.attrs["Spec"]["Labels"]["k"], got.attrs["Spec"]["Mode"]["Replicated"]["Replicas"])
                print([s.name for s in client.services.list(filters={"label": "k=v"})])
                print(client.services.list(filters={"mode": "global"}))
                got.remove()
                print(client.services.list())
                """
            let viaPython = try await Shell.run("/usr/bin/env", ["python3", "-c", py, cluster.socket(2)])
            #expect(viaPython.stdout == "True v 2\n['py']\n[]\n[]\n", "\(viaPython.stdout)\(viaPython.stderr)")

            // docker-py's low-level create with the spec's fields filled: inspect gives each back as Docker does.
            let fullSpec = """
                import docker, sys, json
                from docker.types import *
                client = docker.DockerClient(base_url="unix://" + sys.argv[1])
                net = client.networks.create("pynet", driver="overlay", attachable=True)
                cs = ContainerSpec(
                    "127.0.0.1:9/busybox:1", command=["sh"], args=["-c", "sleep 1000"], hostname="h-{{.Task.Slot}}",
                    env={"A": "1"}, workdir="/tmp", user="nobody", labels={"cl": "v"},
                    mounts=[Mount("/data", "vol1", type="volume", read_only=True),
                            Mount("/t", None, type="tmpfs", tmpfs_size=1024)],
                    stop_grace_period=5000000000, tty=True, groups=["wheel"], open_stdin=True, read_only=True,
                    stop_signal="SIGINT", hosts={"db": "10.1.2.3"}, init=True, cap_add=["NET_ADMIN"],
                    cap_drop=["MKNOD"], sysctls={"net.core.somaxconn": "1024"},
                    dns_config=DNSConfig(nameservers=["10.9.9.9"], search=["x.lan"], options=["ndots:2"]))
                tt = TaskTemplate(
                    cs, resources=Resources(cpu_limit=500000000, mem_limit=67108864, cpu_reservation=100000000,
                                            mem_reservation=33554432),
                    restart_policy=RestartPolicy(condition="on-failure", delay=2000000000, max_attempts=4,
                                                 window=10000000000),
                    placement=Placement(constraints=["node.role==worker"], preferences=[("spread", "node.labels.zone")],
                                        maxreplicas=2),
                    force_update=3, networks=[NetworkAttachmentConfig("pynet", aliases=["pa"])])
                made = client.api.create_service(
                    tt, name="pyfull", labels={"s": "l"}, mode=ServiceMode("replicated", replicas=2),
                    update_config=UpdateConfig(parallelism=2, delay=1000000000, failure_action="rollback",
                                               monitor=4000000000, max_failure_ratio=0.25, order="start-first"),
                    rollback_config=RollbackConfig(parallelism=3, delay=2000000000, failure_action="continue",
                                                   monitor=5000000000, max_failure_ratio=0.5, order="stop-first"),
                    endpoint_spec=EndpointSpec(mode="vip", ports={8081: (80, "tcp"), 5353: (53, "udp", "host")}))
                spec = client.api.inspect_service(made["ID"])["Spec"]
                spec["TaskTemplate"]["Networks"][0]["Target"] = "pynet" if spec["TaskTemplate"]["Networks"][0]["Target"] == net.id else "?"
                print(json.dumps(spec, sort_keys=True))
                client.api.remove_service(made["ID"])
                net.remove()
                """
            let expected: [String: Any] = [
                "Name": "pyfull", "Labels": ["s": "l"], "Mode": ["Replicated": ["Replicas": 2]],
                "TaskTemplate": [
                    "ContainerSpec": [
                        "Image": "127.0.0.1:9/busybox:1", "Command": ["sh"], "Args": ["-c", "sleep 1000"],
                        "Hostname": "h-{{.Task.Slot}}", "Env": ["A=1"], "Dir": "/tmp", "User": "nobody",
                        "Labels": ["cl": "v"], "Groups": ["wheel"], "TTY": true, "OpenStdin": true, "ReadOnly": true,
                        "StopSignal": "SIGINT", "StopGracePeriod": 5_000_000_000, "Hosts": ["10.1.2.3 db"], "Init": true,
                        "CapabilityAdd": ["NET_ADMIN"], "CapabilityDrop": ["MKNOD"],
                        "Sysctls": ["net.core.somaxconn": "1024"], "Isolation": "default",
                        "DNSConfig": ["Nameservers": ["10.9.9.9"], "Search": ["x.lan"], "Options": ["ndots:2"]],
                        "Mounts": [["Type": "volume", "Source": "vol1", "Target": "/data", "ReadOnly": true],
                                   ["Type": "tmpfs", "Target": "/t", "TmpfsOptions": ["SizeBytes": 1024]]],
                    ],
                    "Resources": ["Limits": ["NanoCPUs": 500_000_000, "MemoryBytes": 67_108_864],
                                  "Reservations": ["NanoCPUs": 100_000_000, "MemoryBytes": 33_554_432]],
                    "RestartPolicy": ["Condition": "on-failure", "Delay": 2_000_000_000, "MaxAttempts": 4,
                                      "Window": 10_000_000_000],
                    "Placement": ["Constraints": ["node.role==worker"], "MaxReplicas": 2,
                                  "Preferences": [["Spread": ["SpreadDescriptor": "node.labels.zone"]]]],
                    "ForceUpdate": 3, "Networks": [["Target": "pynet", "Aliases": ["pa"]]], "Runtime": "container",
                ],
                "UpdateConfig": ["Parallelism": 2, "Delay": 1_000_000_000, "FailureAction": "rollback",
                                 "Monitor": 4_000_000_000, "MaxFailureRatio": 0.25, "Order": "start-first"],
                "RollbackConfig": ["Parallelism": 3, "Delay": 2_000_000_000, "FailureAction": "continue",
                                   "Monitor": 5_000_000_000, "MaxFailureRatio": 0.5, "Order": "stop-first"],
                "EndpointSpec": ["Mode": "vip", "Ports": [
                    ["Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8081, "PublishMode": "ingress"],
                    ["Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"]]],
            ]
            let fullPython = try await Shell.run("/usr/bin/env", ["python3", "-c", fullSpec, cluster.socket(1)])
            let got = try JSONSerialization.jsonObject(with: Data(fullPython.stdout.utf8)) as? NSDictionary
            #expect(got == expected as NSDictionary, "\(fullPython.stdout)\(fullPython.stderr)")
        }
    }
}
