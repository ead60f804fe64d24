import Foundation
import ShoalTestSupport
import Testing

/// Debian's `docker-compose` (1.29, docker-py underneath) runs a project against one Shoal host unchanged: a web
/// service that waits for a database's healthcheck (`depends_on: condition: service_healthy`), a named volume, a
/// user network and a published port; then `up -d`, `ps`, `logs`, `exec`, `run --rm`, a scale through `up
/// --scale` (the service's name answers for every replica) and `down -v`, which leaves nothing of the project.
@Suite(.serialized, .timeLimit(.minutes(4))) struct ComposeTests {
    static let compose = "/usr/bin/docker-compose"

    static let project =
        """
        version: "2.4"
        services:
          db:
            image: busybox
            command: ["sh", "-c", "echo db starting; echo rows > /data/table; sleep 2; touch /tmp/ready; \
        echo db ready; exec sleep 100000"]
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 500ms
              timeout: 2s
              retries: 20
            volumes:
              - dbdata:/data
            networks: [back]
          web:
            image: busybox
            command: ["sh", "-c", "mkdir -p /www; hostname > /www/index.html; echo web up; exec httpd -f -p 80 -h /www"]
            depends_on:
              db:
                condition: service_healthy
            networks: [back]
            ports:
              - "127.0.0.1::80"
        volumes:
          dbdata:
        networks:
          back:

        """

    @Test func aProjectComesUpScalesAndGoesDown() async throws {
        try await TestRun.with("compose") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("cp")
            let directory = run.path("project")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.project.write(toFile: directory + "/docker-compose.yml", atomically: true,
                                               encoding: .utf8)
            @discardableResult
            func compose(_ arguments: [String]) async throws -> String {
                let result = try await Shell.run(Self.compose, ["--no-ansi", "-p", name] + arguments,
                                                 environment: daemon.environment, directory: directory, timeout: 90)
                guard result.status == 0 else {
                    let tail = "\n--- daemon log tail ---\n" + daemon.daemonLog(lines: 30)
                    throw ShellError(command: "docker-compose " + arguments.joined(separator: " "),
                                     status: result.status, stderr: result.stderr + tail)
                }
                return result.stdout.trimmingCharacters(in: .newlines)
            }
            // Whatever the test leaves, compose takes down (containers, network, volume).
            run.onCleanup("compose project \(name)") {
                _ = try? await Shell.run(Self.compose, ["--no-ansi", "-p", name, "down", "-v", "-t", "1"],
                                         environment: daemon.environment, directory: directory, timeout: 60)
            }

            try await compose(["up", "-d"])
            let db = "\(name)_db_1", web = "\(name)_web_1"
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Health.Status}}", db]) == "healthy")
            // The web container was created only once the database was healthy, which it cannot be before two
            // seconds after its start (its log of checks keeps only the last five, so the first pass is not in it).
            let started = try await daemon.dockerOK(["inspect", "-f", "{{json .State.StartedAt}}", db])
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let created = try await daemon.dockerOK(["inspect", "-f", "{{json .Created}}", web])
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let (createdAt, startedAt) = (Self.date(created), Self.date(started))
            #expect(createdAt != nil && startedAt != nil && createdAt! >= startedAt!.addingTimeInterval(2),
                    "web created \(created), db started \(started)")

            let ps = try await compose(["ps"])
            #expect(ps.range(of: #"\#(db) .* Up \(healthy\)"#, options: .regularExpression) != nil, "\(ps)")
            #expect(ps.range(of: #"\#(web) .* Up .*127\.0\.0\.1:\d+->80/tcp"#, options: .regularExpression) != nil,
                    "\(ps)")
            let logs = try await compose(["logs", "--no-color", "db"])
            #expect(logs.contains("db starting") && logs.contains("db ready"), "\(logs)")

            // The named volume holds the database's file; the web answers by its service name on the network and
            // on its published port.
            #expect(try await compose(["exec", "-T", "db", "cat", "/data/table"]) == "rows")
            let label = "label=com.docker.compose.project=\(name)"
            #expect(try await daemon.dockerOK(["volume", "ls", "-q", "--filter", label]) == "\(name)_dbdata")
            let webHost = try await daemon.dockerOK(["inspect", "-f", "{{.Config.Hostname}}", web])
            #expect(try await compose(["exec", "-T", "db", "wget", "-qO-", "http://web/"]) == webHost)
            let port = try await compose(["port", "web", "80"])
            let fetched = try await Shell.run("/usr/bin/curl", ["-s", "--max-time", "5", "http://\(port)/"])
            #expect(fetched.stdout.trimmingCharacters(in: .newlines) == webHost, "\(port): \(fetched.stderr)")
            #expect(try await compose(["run", "--rm", "-T", "web", "echo", "one-off"]) == "one-off")

            // Three replicas: the service's name answers with every one of their addresses.
            try await compose(["up", "-d", "--scale", "web=3"])
            let replicas = try await daemon.dockerOK(["ps", "-q", "--filter", "label=com.docker.compose.service=web",
                                                      "--filter", label])
            #expect(replicas.split(separator: "\n").count == 3, "\(replicas)")
            var addresses: Set<String> = []
            for id in replicas.split(separator: "\n") {
                addresses.insert(try await daemon.dockerOK(["inspect", "-f",
                                                            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                                                            String(id)]))
            }
            let lookup = try await compose(["exec", "-T", "db", "nslookup", "web", "127.0.0.11"])
            let answered = Set(lookup.split(separator: "\n").dropFirst(2)
                .compactMap { $0.hasPrefix("Address:") ? $0.split(separator: " ").last.map(String.init) : nil })
            #expect(answered == addresses, "\(lookup)")

            try await compose(["down", "-v", "-t", "1"])
            #expect(try await daemon.dockerOK(["ps", "-aq", "--filter", label]) == "")
            #expect(try await daemon.dockerOK(["volume", "ls", "-q", "--filter", label]) == "")
            #expect(try await daemon.dockerOK(["network", "ls", "-q", "--filter", label]) == "")
        }
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        // Go prints up to nine digits of fractions; Foundation reads three.
        let trimmed = text.replacingOccurrences(of: #"(\.\d{3})\d+"#, with: "$1", options: .regularExpression)
        return formatter.date(from: trimmed)
    }
}
