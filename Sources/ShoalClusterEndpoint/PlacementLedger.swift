import Foundation
import ShoalCore
import ShoalScheduler
import Synchronization

/// Placements this endpoint decided that the nodes' lists may not show yet. Concurrent `docker run`s each list
/// the nodes and rank them; without this, eight at once see the same counts and all pick the same node. A
/// decision is taken under one lock, with every placement still being created (pending) and every container
/// made in the last half minute that the lists miss counted on its node, and is itself counted at once.
final class PlacementLedger: Sendable {
    /// How long a made container is counted when a node's list misses it (it shows there long before).
    static let recentWindow: TimeInterval = 30

    private struct State {
        var pending: [UUID: String] = [:]
        var recent: [(id: String, node: String, at: Date)] = []
    }

    private let state = Mutex(State())

    /// Ranks `nodes` (their listed containers given) for `placement` with the ledger's own placements added, and
    /// records the choice as pending; returns it with the token `settle` takes.
    func decide(_ placement: ClassicScheduler.Placement, nodes: [ClusterNode], listed: [ClusterContainer],
                strategy: ClassicScheduler.Strategy, now: Date = Date()) throws -> (node: ClusterNode, token: UUID) {
        let listedIDs = Set(listed.map(\.id))
        return try state.withLock { (state: inout State) throws -> (node: ClusterNode, token: UUID) in
            state.recent.removeAll { now.timeIntervalSince($0.at) > Self.recentWindow || listedIDs.contains($0.id) }
            var extra: [String: Int] = [:]
            for node in state.pending.values { extra[node, default: 0] += 1 }
            for entry in state.recent { extra[entry.node, default: 0] += 1 }
            let candidates = nodes.map { node in
                var containers = listed.filter { $0.node.id == node.id }.map(\.classic)
                containers += (0..<(extra[node.id] ?? 0)).map { ClassicNode.Container(id: "pending-\($0)", name: "") }
                return ClassicNode(id: node.id, name: node.hostname, labels: node.labels, healthy: node.ready,
                                   containers: containers, totalCPUs: node.nanoCPUs, totalMemory: node.memoryBytes)
            }
            let ranked = try ClassicScheduler.rank(placement, nodes: candidates, strategy: strategy)
            guard let chosen = nodes.first(where: { $0.id == ranked.first?.id }) else {
                throw ShoalError(.unavailable, "No healthy node available in the cluster")
            }
            let token = UUID()
            state.pending[token] = chosen.id
            return (chosen, token)
        }
    }

    /// The create ended: made (`id`), counted until the node's list shows it, or not made at all (nil).
    func settle(_ token: UUID, id: String?, now: Date = Date()) {
        state.withLock { state in
            guard let node = state.pending.removeValue(forKey: token) else { return }
            if let id { state.recent.append((id, node, now)) }
        }
    }
}
