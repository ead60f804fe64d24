import Foundation
import ShoalCore
import ShoalScheduler
import Synchronization

/// Placements this endpoint decided that the nodes' lists may not show yet. Concurrent `docker run`s each list
/// the nodes and rank them; without this, eight at once see the same counts and all pick the same node. A
/// decision is taken under one lock, with every placement still being created (pending) and every container
/// made since the lists were asked for (and in the last half minute) counted on its node, and is itself counted
/// at once. The names of both are taken too: two runs of one name at once make one container.
final class PlacementLedger: Sendable {
    /// How long a made container is counted when a node's list misses it (it shows there long before).
    static let recentWindow: TimeInterval = 30

    /// A placement counted on its node: the container (its name, if any) and what it reserves.
    private struct Counted {
        var node: String
        var name: String?
        var cpus: Int64
        var memory: Int64
    }

    private struct State {
        var pending: [UUID: Counted] = [:]
        var recent: [(id: String, counted: Counted, at: Date)] = []
    }

    private let state = Mutex(State())

    /// Ranks the nodes (with their loads) for `placement` with the ledger's own placements and their
    /// reservations added, and records the choice as pending; returns it with the token `settle` takes. A `name`
    /// listed on any node, or taken by a placement still being made, is Docker's conflict.
    /// `listedAt`: when the loads were asked for; a container made before then that they do not show is gone.
    func decide(_ placement: ClassicScheduler.Placement, name: String? = nil, loads: [NodeLoad], listedAt: Date = .distantPast,
                strategy: ClassicScheduler.Strategy, now: Date = Date()) throws -> (node: ClusterNode, token: UUID) {
        let listed = loads.flatMap(\.containers)
        let listedIDs = Set(listed.map(\.id))
        let name = name.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }.flatMap { $0.isEmpty ? nil : $0 }
        if let name { try ClusterInterceptor.ensureUnique(name, among: listed) }
        return try state.withLock { (state: inout State) throws -> (node: ClusterNode, token: UUID) in
            state.recent.removeAll {
                now.timeIntervalSince($0.at) > Self.recentWindow || listedIDs.contains($0.id) || $0.at < listedAt
            }
            if let name, let taken = state.recent.first(where: { $0.counted.name == name })?.id {
                throw ClusterInterceptor.nameConflict(name, id: taken)
            }
            if let name, state.pending.values.contains(where: { $0.name == name }) {
                throw ShoalError.conflict(
                    "Conflict. The container name \"/\(name)\" is being taken by a container still being created.")
            }
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
            state.pending[token] = Counted(node: chosen.id, name: name, cpus: placement.cpus, memory: placement.memory)
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
