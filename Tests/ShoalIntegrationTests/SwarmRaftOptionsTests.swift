import Foundation
import ShoalTestSupport
import Testing

/// The raft options of `docker swarm init/update` (`--snapshot-interval`, `--max-snapshots`, the ticks of the
/// Engine API) with the stock CLI against a real daemon: kept in the cluster spec, shown by `docker info` and
/// `swarm inspect`, taken by the manager's etcd member at its start (its command line), values the store's
/// raft could not run with refused; the other options of the issue (`--task-history-limit`, `--cert-expiry`,
/// `--data-path-port`, `--default-addr-pool`) as Docker shows them.
@Suite(.timeLimit(.minutes(3))) struct SwarmRaftOptionsTests {
    /// The running etcd member's command line.
    static func memberArguments(_ daemon: DaemonFixture) throws -> [String] {
        let pid = try String(contentsOfFile: daemon.dataRoot + "/swarm/etcd.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).split(separator: "\u{0}")
            .map(String.init)
    }

    @Test func raftOptionsAreKeptShownAndTakenByTheMember() async throws {
        try await TestRun.with("raft") { run in
            let daemon = try await DaemonFixture(run)
            let port = 24000 + Int.random(in: 0..<200) * 10
            let initialised = try await daemon.docker([
                "swarm", "init", "--advertise-addr", "127.0.0.1:\(port)", "--listen-addr", "127.0.0.1:\(port)",
                "--snapshot-interval", "5000", "--max-snapshots", "2", "--task-history-limit", "7",
                "--cert-expiry", "36h", "--data-path-port", "7789", "--default-addr-pool", "10.77.0.0/16",
                "--default-addr-pool-mask-length", "26"])
            try #require(initialised.status == 0, "\(initialised)\n\(daemon.daemonLog(lines: 30))")
            let shown = try await daemon.dockerOK(["info", "-f",
                "{{.Swarm.Cluster.Spec.Raft.SnapshotInterval}} {{.Swarm.Cluster.Spec.Raft.KeepOldSnapshots}} "
                    + "{{.Swarm.Cluster.Spec.Raft.HeartbeatTick}} {{.Swarm.Cluster.Spec.Raft.ElectionTick}} "
                    + "{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}} "
                    + "{{.Swarm.Cluster.Spec.CAConfig.NodeCertExpiry}} {{.Swarm.Cluster.DataPathPort}} "
                    + "{{.Swarm.Cluster.DefaultAddrPool}} {{.Swarm.Cluster.SubnetSize}}"])
            #expect(shown == "5000 2 1 10 7 36h0m0s 7789 [10.77.0.0/16] 26", "\(shown)")
            let text = try await daemon.dockerOK(["info"])
            #expect(text.contains("Snapshot Interval: 5000") && text.contains("Number of Old Snapshots to Retain: 2")
                    && text.contains("Heartbeat Tick: 1") && text.contains("Election Tick: 10"), "\(text)")
            // The member took them: snapshots every 5000 entries, the current one and two old ones kept; the
            // default ticks are etcd's default timers (1 and 10 ticks of 100 ms).
            var arguments = try Self.memberArguments(daemon)
            #expect(arguments.contains("--snapshot-count=5000") && arguments.contains("--max-snapshots=3"), "\(arguments)")
            #expect(arguments.contains("--heartbeat-interval=100") && arguments.contains("--election-timeout=1000"))
            // The certificate follows --cert-expiry.
            let dates = try await Shell.sh("openssl x509 -noout -startdate -enddate -in \(daemon.dataRoot)/swarm/certificates/node.crt")
            #expect(Self.lifetime(dates) == 37 * 3600, "\(dates)")  // 36 h plus the hour it is backdated

            // An update is kept and shown at once, and taken by the member at its next start.
            try await daemon.dockerOK(["swarm", "update", "--snapshot-interval", "8000", "--max-snapshots", "0"])
            #expect(try await daemon.dockerOK(["info", "-f",
                "{{.Swarm.Cluster.Spec.Raft.SnapshotInterval}} {{.Swarm.Cluster.Spec.Raft.KeepOldSnapshots}}"]) == "8000 0")
            let raftFile = daemon.dataRoot + "/swarm/raft.json"
            var saved = false
            for _ in 0..<50 where !saved {
                saved = ((try? String(contentsOfFile: raftFile, encoding: .utf8)) ?? "").contains("8000")
                if !saved { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(saved)
            await daemon.stopDaemon()
            try await daemon.start()
            arguments = try Self.memberArguments(daemon)
            #expect(arguments.contains("--snapshot-count=8000") && arguments.contains("--max-snapshots=1"), "\(arguments)")
            #expect(try await daemon.dockerOK(["node", "ls", "--format", "{{.Status}} {{.ManagerStatus}}"]) == "Ready Leader")

            // Ticks through the Engine API: kept, and refused when the store's raft could not run with them.
            let version = try await daemon.dockerOK(["info", "-f", "{{.Swarm.Cluster.Version.Index}}"])
            let spec = try await daemon.dockerOK(["info", "-f", "{{json .Swarm.Cluster.Spec}}"])
            func update(election: Int, heartbeat: Int) async throws -> (Int, String) {
                var object = try JSONSerialization.jsonObject(with: Data(spec.utf8)) as? [String: Any] ?? [:]
                var raft = object["Raft"] as? [String: Any] ?? [:]
                raft["ElectionTick"] = election
                raft["HeartbeatTick"] = heartbeat
                object["Raft"] = raft
                let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
                let response = try await Shell.run("/usr/bin/curl", [
                    "-s", "-w", "\n%{http_code}", "--unix-socket", daemon.socket, "-X", "POST",
                    "-H", "Content-Type: application/json", "-d", body,
                    "http://localhost/v1.41/swarm/update?version=\(version)"])
                let lines = response.stdout.split(separator: "\n")
                return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
            }
            let refused = try await update(election: 3, heartbeat: 3)
            #expect(refused.0 == 400 && refused.1.contains("election tick must be greater than heartbeat tick"), "\(refused)")
            let tooFew = try await update(election: 8, heartbeat: 2)
            #expect(tooFew.0 == 400 && tooFew.1.contains("at least 5 times the heartbeat tick"), "\(tooFew)")
            let accepted = try await update(election: 20, heartbeat: 2)
            #expect(accepted.0 == 200, "\(accepted)")
            #expect(try await daemon.dockerOK(["info", "-f",
                "{{.Swarm.Cluster.Spec.Raft.HeartbeatTick}} {{.Swarm.Cluster.Spec.Raft.ElectionTick}}"]) == "2 20")
            try await daemon.dockerOK(["swarm", "leave", "--force"])
        }
    }

    /// notAfter − notBefore in seconds, from `openssl x509 -startdate -enddate`.
    static func lifetime(_ text: String) -> TimeInterval {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
        var dates: [Date] = []
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let value = line[line.index(after: equals)...].split(separator: " ", omittingEmptySubsequences: true)
                .joined(separator: " ")
            if let date = formatter.date(from: value) { dates.append(date) }
        }
        return dates.count == 2 ? dates[1].timeIntervalSince(dates[0]) : -1
    }
}
