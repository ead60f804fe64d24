import Foundation
import ShoalTestSupport
import Testing

/// A service's health check reaches its tasks' containers, and the tasks follow it as under Docker's executor:
/// a task is Running only once its container is healthy, and an unhealthy one is stopped and fails with
/// "task: non-zero exit (N): unhealthy container", the orchestrator replacing it. Checks run every 200 ms; every
/// wait polls with a bound.
@Suite(.timeLimit(.minutes(6))) struct ServiceHealthTests {
    /// A stack whose web waits for db to be healthy. `depends_on` is there as a user writes it; the CLI drops it.
    static let orderedStack = """
        version: "3.8"
        services:
          db:
            image: bb
            command: ["sleep", "1000"]
            stop_grace_period: 1s
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ok"]
              interval: 200ms
              retries: 2
              start_period: 1h
          web:
            image: bb
            command: ["sleep", "1000"]
            stop_grace_period: 1s
            depends_on: [db]
            deploy:
              replicas: 2
              labels:
                shoal.depends-on: db

        """

    @Test func tasksWaitForHealthyAndUnhealthyOnesAreReplaced() async throws {
        try await TestRun.with("svchealth") { run in
            let cluster = LocalClusterFixture(run, prefix: "h", subnetOctet: 80, shoalTimeout: 150, dockerTimeout: 60)
            let up = try await cluster.up(nodes: 2, managers: 1, swarm: true, extra: ["--dns", "127.0.0.1:1053"])
            try #require(up.status == 0, "\(up)")
            try await cluster.importBusybox(on: 1...2)
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            func tasks(_ service: String) async throws -> [String] {
                try await docker(1, ["service", "ps", "--no-trunc", "--format",
                                     "{{.Node}}|{{.DesiredState}}|{{.CurrentState}}|{{.Error}}", service])
                    .stdout.split(separator: "\n").map(String.init)
            }
            /// The node and container of the service's one running task.
            func container(_ service: String) async throws -> (node: Int, id: String)? {
                for node in 1...2 {
                    let id = try await docker(node, ["ps", "-q", "--filter", "label=com.docker.swarm.service.name=\(service)"])
                        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !id.isEmpty { return (node, id) }
                }
                return nil
            }

            // Docker's refusal, and nothing made.
            let refused = try await docker(1, ["service", "create", "-d", "--name", "bad", "--health-cmd", "true",
                                               "--health-interval", "1ns", "bb", "sleep", "1000"])
            #expect(refused.status != 0 && refused.stderr.contains(
                "ContainerSpec: Interval in HealthConfig cannot be less than 1ms"), "\(refused)")
            #expect(try await docker(1, ["service", "ls", "-q"]).stdout.isEmpty)

            // A check that has not passed keeps the task Starting (its failures within the start period do not
            // count); once it passes the task is Running. Only then does it answer to `tasks.waits` and take the
            // VIP's traffic, on its own host and on the other.
            let network = try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "hnet"])
            try #require(network.status == 0, "\(network)")
            let waiting = try await docker(1, ["service", "create", "-d", "--name", "waits", "--health-cmd",
                                               "test -f /tmp/ok", "--health-interval", "200ms", "--health-retries", "2",
                                               "--health-start-period", "1h", "--stop-grace-period", "1s",
                                               "--network", "hnet", "bb", "sleep", "1000"])
            try #require(waiting.status == 0, "\(waiting)")
            for node in 1...2 {
                let client = try await docker(node, ["run", "-d", "--name", "client\(node)", "--network", "hnet", "bb",
                                                     "sleep", "1000"])
                try #require(client.status == 0, "\(client)")
            }
            /// What `tasks.waits` resolves to from host `node`'s client.
            func resolved(_ node: Int) async throws -> [String] {
                let answer = try await docker(node, ["exec", "client\(node)", "nslookup", "tasks.waits", "127.0.0.11"])
                return answer.stdout.split(separator: "\n").filter { $0.hasPrefix("Address") && !$0.contains("127.0.0.11") }
                    .map(String.init)
            }
            #expect(try await docker(1, ["service", "inspect", "-f",
                                         "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck}}", "waits"]).stdout
                == #"{"Test":["CMD-SHELL","test -f /tmp/ok"],"Interval":200000000,"StartPeriod":3600000000000,"Retries":2}"# + "\n")
            var found: (node: Int, id: String)?
            var checks = ""
            let checked = try await cluster.eventually(60) {
                found = try await container("waits")
                guard let found else { return false }
                checks = try await docker(found.node, ["inspect", "-f", "{{len .State.Health.Log}}", found.id]).stdout
                return (Int(checks.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 2
            }
            try #require(checked, "\(checks)\n\(cluster.log(1))")
            let task = try #require(found)
            var states = try await tasks("waits")
            #expect(states.count == 1 && states[0].contains("|Running|Starting "), "\(states)")
            for node in 1...2 { #expect(try await resolved(node).isEmpty, "host \(node) while starting") }
            try #require(try await docker(task.node, ["exec", task.id, "touch", "/tmp/ok"]).status == 0)
            let healthy = try await cluster.eventually(60) {
                states = try await tasks("waits")
                return states.count == 1 && states[0].contains("|Running|Running ")
            }
            #expect(healthy, "\(states)")
            let address = try await docker(task.node, ["inspect", "-f", "{{(index .NetworkSettings.Networks \"hnet\").IPAddress}}",
                                                       task.id]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            for node in 1...2 {
                var answer: [String] = []
                let joined = try await cluster.eventually(20) {
                    answer = try await resolved(node)
                    return answer.count == 1 && answer[0].hasSuffix(" " + address)
                }
                #expect(joined, "host \(node): \(answer), task at \(address)")
            }
            #expect(try await docker(task.node, ["inspect", "-f", "{{.State.Health.Status}}", task.id]).stdout
                == "healthy\n")

            // Turning unhealthy: the container is stopped, its task fails with Docker's error and is replaced.
            try #require(try await docker(task.node, ["exec", task.id, "rm", "/tmp/ok"]).status == 0)
            let replaced = try await cluster.eventually(90) {
                states = try await tasks("waits")
                return states.contains { $0.contains("|Shutdown|Failed ")
                    && $0.contains("task: non-zero exit (137): unhealthy container") }
                    && states.contains { $0.contains("|Running|") }
            }
            #expect(replaced, "\(states)\n\(cluster.log(task.node))")
            #expect(try await docker(1, ["service", "rm", "waits"]).status == 0)
            for node in 1...2 { _ = try await docker(node, ["rm", "-f", "client\(node)"]) }

            // Start order (moby#40364). The stock CLI refuses compose's `depends_on` with a condition ("must be a
            // list") and drops the short form before any daemon sees it, so a stack says it with the service label
            // shoal.depends-on: web's tasks stay Pending, with the reason, until db has a healthy task.
            try Self.orderedStack.write(toFile: run.path("ordered.yml"), atomically: true, encoding: .utf8)
            let deployed = try await docker(1, ["stack", "deploy", "-c", run.path("ordered.yml"), "ord"])
            try #require(deployed.status == 0, "\(deployed)")
            var web: [String] = []
            let held = try await cluster.eventually(30) {
                web = try await tasks("ord_web")
                return web.count == 2 && web.allSatisfy {
                    $0.contains("|Running|Pending ")
                        && $0.hasSuffix("|\"waiting for service ord_db to have a healthy task (shoal.depends-on)\"")
                }
            }
            #expect(held, "\(web)\n\(cluster.log(1))")
            var db: (node: Int, id: String)?
            let started = try await cluster.eventually(60) {
                db = try await container("ord_db")
                return db != nil
            }
            try #require(started)
            let dbTask = try #require(db)
            #expect(try await tasks("ord_web").allSatisfy { $0.contains("|Pending ") })  // db is still starting
            try #require(try await docker(dbTask.node, ["exec", dbTask.id, "touch", "/tmp/ok"]).status == 0)
            let released = try await cluster.eventually(60) {
                web = try await tasks("ord_web")
                return web.count == 2 && web.allSatisfy { $0.contains("|Running|Running ") }
            }
            #expect(released, "\(web)")
            #expect(try await docker(1, ["stack", "rm", "ord"]).status == 0)
            let itself = try await docker(1, ["service", "create", "-d", "--name", "self", "--label",
                                              "shoal.depends-on=self", "bb", "true"])
            #expect(itself.status != 0 && itself.stderr.contains(
                "invalid value for label shoal.depends-on: a service cannot depend on itself"), "\(itself)")
        }
    }
}
