import Foundation
import Logging
import ShoalCore
import ShoalManager
import ShoalModel

/// A group of simulated worker nodes in one process. Each is a real `SwarmMembership` that joins with the worker
/// token over the control API (gRPC, mutual TLS: the anonymous probe, the CSR, then its own certificate), and keeps
/// its own dispatcher session (heartbeats, assignments, batched status reports) on its own connection. Only the
/// engine under its task runners is simulated (`SimulatedEngine`). Each node's state lives under `root/<hostname>`.
public actor SimulatedNodes {
    public struct Node: Sendable {
        public var hostname: String
        public var membership: SwarmMembership
        public var engine: SimulatedEngine
    }

    private let root: String
    private let logger: Logger
    public private(set) var nodes: [Node] = []

    public init(root: String, logger: Logger) {
        self.root = root
        self.logger = logger
    }

    /// The description a simulated node reports: a small Linux host.
    static func description(_ hostname: String) -> NodeDescription {
        NodeDescription(hostname: hostname, architecture: "x86_64", os: "linux", nanoCPUs: 4_000_000_000,
                        memoryBytes: 8 << 30, engineVersion: "shoal-sim")
    }

    /// Joins `hostnames` to the swarm at `manager` (`ip:port`), `parallel` joins at a time; a join the manager
    /// refuses for want of an answer (a deadline on a busy machine) is tried again, up to `attempts` times.
    public func join(_ hostnames: [String], manager: String, token: String, parallel: Int = 16,
                     attempts: Int = 5) async throws {
        let root = self.root
        let logger = self.logger
        try await withThrowingTaskGroup(of: Node.self) { group in
            var next = hostnames.makeIterator()
            func add() {
                guard let hostname = next.next() else { return }
                group.addTask {
                    try await Self.joinOne(hostname, root: root, manager: manager, token: token, attempts: attempts,
                                           logger: logger)
                }
            }
            for _ in 0..<max(1, parallel) { add() }
            while let node = try await group.next() {
                nodes.append(node)
                add()
            }
        }
    }

    private static func joinOne(_ hostname: String, root: String, manager: String, token: String, attempts: Int,
                                logger: Logger) async throws -> Node {
        let engine = SimulatedEngine()
        for attempt in 1...attempts {
            let membership = SwarmMembership(dataRoot: root + "/" + hostname, description: description(hostname),
                                             logger: logger)
            await membership.setTaskEngine(engine)
            do {
                try await membership.join(SwarmJoinRequest(listenAddress: "127.0.0.1:2377",
                                                            remoteAddresses: [manager], joinToken: token))
                return Node(hostname: hostname, membership: membership, engine: engine)
            } catch let error as ShoalError where error.code == .unavailable && attempt < attempts {
                logger.warning("simulation: \(hostname) join failed, again: \(error)")
                await membership.shutdown()
                try await Task.sleep(for: .milliseconds(500 * attempt))
            }
        }
        throw ShoalError.internalError("simulation: \(hostname) did not join")
    }

    /// The node goes away as a host that lost power would for its manager: its session ends and it heartbeats no
    /// more (its data stays; it never comes back).
    public func lose(_ hostnames: Set<String>) async {
        for node in nodes where hostnames.contains(node.hostname) { await node.membership.shutdown() }
        nodes.removeAll { hostnames.contains($0.hostname) }
    }

    /// Containers running on the simulated nodes of this group.
    public func runningContainers() async -> Int {
        var total = 0
        for node in nodes { total += await node.engine.runningCount }
        return total
    }

    /// Every node stops its session (the end of a run).
    public func shutdown() async {
        for node in nodes { await node.membership.shutdown() }
        nodes = []
    }
}
