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

    /// A placement counted on its node: the container and what it reserves.
    private struct Counted {
        var node: String
        var cpus: Int64
        var memory: Int64
    }

    private struct State {
        var pending: [UUID: Counted] = [:]
        var recent: [(id: String, counted: Counted, at: Date)] = []
    }

    private let state = Mutex(State())

    /// Ranks the nodes (with their loads) for `placement` with the ledger's own placements and their
    /// reservations added, and records the choice as pending; returns it with the token `settle` takes.
    func decide(_ placement: ClassicScheduler.Placement, loads: [NodeLoad], strategy: ClassicScheduler.Strategy,
                now: Date = Date()) throws -> (node: ClusterNode, token: UUID) {
        let listedIDs = Set(loads.flatMap { $0.containers.map(\.id) })
        return try state.withLock { (state: inout State) throws -> (node: ClusterNode, token: UUID) in
            state.recent.removeAll { now.timeIntervalSince($0.at) > Self.recentWindow || listedIDs.contains($0.id) }
            var extra: [String: [(cpus: Int64, memory: Int64)]] = [:]
            for counted in state.pending.values + state.recent.map(\.counted) {
                extra[counted.node, default: []].append((counted.cpus, counted.memory))
            }
            let candidates = loads.map { $0.classic(adding: extra[$0.node.id] ?? []) }
            let ranked = try ClassicScheduler.rank(placement, nodes: candidates, strategy: strategy)
            guard let chosen = loads.first(where: { $0.node.id == ranked.first?.id })?.node else {
                throw ShoalError(.unavailable, "No healthy node available in the cluster")
            }
            let token = UUID()
            state.pending[token] = Counted(node: chosen.id, cpus: placement.cpus, memory: placement.memory)
            return (chosen, token)
        }
    }

    /// The create ended: made (`id`), counted until the node's list shows it, or not made at all (nil).
    func settle(_ token: UUID, id: String?, now: Date = Date()) {
        state.withLock { state in
            guard let counted = state.pending.removeValue(forKey: token) else { return }
            if let id { state.recent.append((id, counted, now)) }
        }
    }
}
