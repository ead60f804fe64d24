import Foundation
import Logging
import ShoalCore
import ShoalOS

/// Where the simulated nodes run, in groups: the scenario loses a whole group at once (its first group is the
/// nodes it will lose). Two shapes: in this process (tests), or one child process per group (the benchmark, so
/// that the leader's process holds the leader and the scenario's driver only).
public protocol NodeHost: Sendable {
    /// Starts joining every group's nodes to `manager` with `token`; the scenario watches the store for them.
    func start(_ groups: [[String]], manager: String, token: String) async throws
    /// The nodes of `group` go away without a word (their sessions drop, their heartbeats stop).
    func lose(group: Int) async
    /// Every node left stops.
    func stop() async
    /// What the node processes cost (empty in this process).
    func usage() async -> [ProcessUsage]
}

/// The nodes in this process, on the simulation's own `SimulatedNodes`.
public actor InProcessNodeHost: NodeHost {
    private let root: String
    private let logger: Logger
    private var groups: [SimulatedNodes] = []
    private var joining: [Task<Void, any Error>] = []

    public init(root: String, logger: Logger) {
        self.root = root
        self.logger = logger
    }

    public func start(_ groups: [[String]], manager: String, token: String) async throws {
        for hostnames in groups {
            let nodes = SimulatedNodes(root: root, logger: logger)
            self.groups.append(nodes)
            joining.append(Task { try await nodes.join(hostnames, manager: manager, token: token, parallel: 4) })
        }
    }

    public func lose(group: Int) async {
        guard groups.indices.contains(group) else { return }
        _ = await joining[group].result
        let nodes = groups[group]
        await nodes.lose(Set(await nodes.nodes.map(\.hostname)))
    }

    public func stop() async {
        for (index, nodes) in groups.enumerated() {
            joining[index].cancel()
            _ = await joining[index].result
            await nodes.shutdown()
        }
        groups = []
        joining = []
    }

    public func usage() async -> [ProcessUsage] { [] }
}

/// One child process per group: `<executable> simulate-nodes …` (the `shoal` binary's hidden command), its output
/// in `root/group-<n>.log`. Losing a group kills its process (SIGKILL: its connections close, nothing is said).
public actor ChildProcessNodeHost: NodeHost {
    private let executable: String
    private let root: String
    private var children: [ChildProcess?] = []

    public init(executable: String, root: String) {
        self.executable = executable
        self.root = root
    }

    public func start(_ groups: [[String]], manager: String, token: String) async throws {
        for (index, hostnames) in groups.enumerated() {
            let log = open(root + "/group-\(index).log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard log >= 0 else { throw ShoalError.system("open \(root)/group-\(index).log") }
            defer { close(log) }
            let child = try ChildProcess.spawn(executable, [
                "simulate-nodes", "--manager", manager, "--token", token, "--root", root + "/group-\(index)",
                "--hostnames", hostnames.joined(separator: ","),
            ], fds: [-1, log, log])
            children.append(child)
        }
    }

    public func lose(group: Int) async {
        guard children.indices.contains(group), let child = children[group] else { return }
        child.signal(SIGKILL)
        _ = try? await child.wait()
        children[group] = nil
    }

    public func stop() async {
        for case let child? in children {
            child.signal(SIGKILL)
            _ = try? await child.wait()
        }
        children = []
    }

    public func usage() async -> [ProcessUsage] {
        children.compactMap { $0.flatMap { ProcessUsage.of($0.pid) } }
    }
}
