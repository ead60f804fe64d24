import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// A local cluster a test makes with the real `shoal cluster` command: under the run's own root
/// (SHOAL_CLUSTER_ROOT), named for the run, on `10.<block>.<subnetOctet>.0/24` of an address block no other test
/// uses; `cluster down` runs in the run's cleanup even when the test fails. Host `n` has address `.n+1` and
/// answers the stock docker CLI on its own socket.
final class LocalClusterFixture: Sendable {
    let run: TestRun
    let root: String
    let name: String
    let block: Int
    let subnetOctet: Int
    let shoalTimeout: TimeInterval
    let dockerTimeout: TimeInterval

    init(_ run: TestRun, prefix: String, subnetOctet: Int, shoalTimeout: TimeInterval = 90,
         dockerTimeout: TimeInterval = 120) {
        self.run = run
        root = run.path("clusters")
        name = run.name(prefix)
        block = DaemonFixture.nextAddressBlock()
        self.subnetOctet = subnetOctet
        self.shoalTimeout = shoalTimeout
        self.dockerTimeout = dockerTimeout
        let name = self.name
        run.onCleanup("cluster down \(name)") { [root] in
            _ = try? await Shell.run(DaemonFixture.binary, ["cluster", "down", "--name", name],
                                     environment: ["SHOAL_CLUSTER_ROOT": root], timeout: 90)
        }
    }

    var subnet: String { "10.\(block).\(subnetOctet).0/24" }
    var stateFile: String { "\(root)/data/\(name)/cluster.json" }

    func address(_ node: Int) -> String { "10.\(block).\(subnetOctet).\(node + 1)" }
    func host(_ node: Int) -> String { "\(name)-n\(node)" }
    func socket(_ node: Int) -> String { "\(root)/run/\(name)/node-\(node)/shoal.sock" }
    func netns(_ node: Int) -> String { "\(root)/run/\(name)/netns/node-\(node)" }
    func dataRoot(_ node: Int) -> String { "\(root)/data/\(name)/node-\(node)" }
    func certificates(_ node: Int) -> String { dataRoot(node) + "/swarm/certificates" }

    /// `shoal ARGUMENTS` with this run's cluster root.
    func shoal(_ arguments: [String]) async throws -> Shell.Result {
        try await Shell.run(DaemonFixture.binary, arguments, environment: ["SHOAL_CLUSTER_ROOT": root],
                            timeout: shoalTimeout)
    }

    /// `shoal cluster up` of this cluster on its subnet; `swarm: false` passes `--no-swarm`.
    func up(nodes: Int, managers: Int, swarm: Bool, extra: [String] = []) async throws -> Shell.Result {
        try await shoal(["cluster", "up"] + (swarm ? [] : ["--no-swarm"])
            + ["--name", name, "--nodes", "\(nodes)", "--managers", "\(managers)", "--subnet", subnet] + extra)
    }

    /// A busybox rootfs imported as `name` on each of `nodes` (a local image no host would pull).
    /// `adding`: shell commands run in the root filesystem first (files the image needs).
    func importBusybox(as name: String = "bb", on nodes: ClosedRange<Int>, adding: String? = nil) async throws {
        let rootfs = run.path("rootfs-\(name)")
        try BusyboxRootfs.make(at: rootfs)
        if let adding { try await Shell.sh("cd \(rootfs) && \(adding)") }
        try await Shell.sh("tar -C \(rootfs) -cf \(run.path("\(name).tar")) .")
        for node in nodes {
            let loaded = try await docker(node, ["import", run.path("\(name).tar"), name])
            try #require(loaded.status == 0, "\(loaded)")
        }
    }

    /// The stock docker CLI against host `node`'s daemon (`stdin`: what it reads, e.g. the answer to a prompt).
    func docker(_ node: Int, _ arguments: [String], stdin: String? = nil) async throws -> Shell.Result {
        try await Shell.run(DaemonFixture.docker, arguments, environment: [
            "DOCKER_HOST": "unix://" + socket(node),
            "DOCKER_CONFIG": run.path("docker-config"),
        ], stdin: stdin, timeout: dockerTimeout)
    }

    /// `docker` that must succeed: its output, trimmed (a failure is recorded with the daemon's log).
    func ok(_ node: Int, _ arguments: [String]) async throws -> String {
        let result = try await docker(node, arguments)
        try #require(result.status == 0, "\(arguments): \(result)\n\(log(node))")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The last lines of host `node`'s daemon log (for failure messages).
    func log(_ node: Int) -> String {
        let text = (try? String(contentsOfFile: dataRoot(node) + "/daemon.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(30).joined(separator: "\n")
    }

    /// `HOSTNAME STATUS MANAGERSTATUS` rows of `docker node ls` on `node`.
    func table(on node: Int) async throws -> Set<String> {
        let result = try await docker(node, ["node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"])
        return Set(result.stdout.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) })
    }

    /// Polls `condition` for up to `seconds`; true once it holds.
    func eventually(_ seconds: TimeInterval, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }
}

/// Node daemons of a local cluster as its state file records them: pids, and a restart with the same namespace,
/// host name and arguments (the new pid is recorded so `cluster down` stops it).
enum ClusterStateFile {
    static func nodes(_ file: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] ?? [:]
    }

    static func node(_ index: Int, in file: String) throws -> [String: Any] {
        let nodes = try nodes(file)["nodes"] as? [[String: Any]] ?? []
        return try #require(nodes.first { ($0["index"] as? Int) == index })
    }

    static func pid(of index: Int, in file: String) throws -> Int32 {
        Int32(try #require(try node(index, in: file)["pid"] as? Int))
    }

    /// Stops the daemon (SIGTERM, by pid) and returns its arguments for `startDaemon`.
    static func stopDaemon(_ index: Int, in file: String) async throws -> [String] {
        let pid = try pid(of: index, in: file)
        let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        let arguments = cmdline.split(separator: "\u{0}").map(String.init)
        kill(pid, SIGTERM)
        for _ in 0..<200 where kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        return arguments
    }

    static func startDaemon(_ index: Int, in file: String, arguments: [String]) throws {
        let node = try node(index, in: file)
        let netns = try #require(node["netns"] as? String)
        let hostname = try #require(node["hostname"] as? String)
        let dataRoot = try #require(node["dataRoot"] as? String)
        let log = open(dataRoot + "/daemon.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(log) }
        let child = try ChildProcess.spawn(
            "/usr/bin/nsenter",
            ["--net=" + netns, "--", "/usr/bin/unshare", "--uts", "--", "/bin/sh", "-c",
             "hostname \"$0\" && exec \"$@\"", hostname] + arguments,
            fds: [-1, log, log], newSession: true)
        var state = try nodes(file)
        var nodes = state["nodes"] as? [[String: Any]] ?? []
        for position in nodes.indices where (nodes[position]["index"] as? Int) == index {
            nodes[position]["pid"] = Int(child.pid)
        }
        state["nodes"] = nodes
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: file))
    }
}
