import Foundation
import ShoalScheduler

/// One node as a placement sees it (its engine's `GET /shoal/placement`): its containers, the CPUs and memory
/// they reserve, and its engine's facts beside its labels.
struct NodeLoad: @unchecked Sendable {
    /// The node, its labels the engine's facts (`storagedriver`, `kernelversion`, `operatingsystem`, …) with the
    /// node's own labels over them.
    let node: ClusterNode
    let containers: [ClusterContainer]
    let reservedCPUs: Int64
    let reservedMemory: Int64

    init(node: ClusterNode, containers: [ClusterContainer] = [], reservedCPUs: Int64 = 0, reservedMemory: Int64 = 0) {
        self.node = node
        self.containers = containers
        self.reservedCPUs = reservedCPUs
        self.reservedMemory = reservedMemory
    }

    /// A node's answer to `GET /shoal/placement`.
    init(node: ClusterNode, answer: Any) {
        let object = answer as? [String: Any] ?? [:]
        var node = node
        node.labels = (object["Labels"] as? [String: String] ?? [:]).merging(node.labels) { _, own in own }
        self.init(node: node,
                  containers: (object["Containers"] as? [[String: Any]] ?? []).map { ClusterContainer(node: node, object: $0) },
                  reservedCPUs: (object["ReservedNanoCPUs"] as? NSNumber)?.int64Value ?? 0,
                  reservedMemory: (object["ReservedMemory"] as? NSNumber)?.int64Value ?? 0)
    }

    /// As the classic filters and strategies read it, with `extra` placements the node's list does not show yet.
    func classic(adding extra: [(cpus: Int64, memory: Int64)] = []) -> ClassicNode {
        let pending = extra.indices.map { ClassicNode.Container(id: "pending-\($0)", name: "") }
        return ClassicNode(id: node.id, name: node.hostname, labels: node.labels, healthy: node.ready,
                           containers: containers.map(\.classic) + pending, totalCPUs: node.nanoCPUs,
                           totalMemory: node.memoryBytes, usedCPUs: reservedCPUs + extra.reduce(0) { $0 + $1.cpus },
                           usedMemory: reservedMemory + extra.reduce(0) { $0 + $1.memory })
    }
}

extension ClusterInterceptor {
    /// Every node with its load: those that answered `GET /shoal/placement`, and the others (not Ready, or not
    /// reachable) as unhealthy with nothing on them, for the health filter to leave out.
    func loads(of nodes: [ClusterNode]) async throws -> [NodeLoad] {
        let answered = try await everyNode(EngineRequest(method: .get, uri: "/shoal/placement"), nodes)
        let loads = Dictionary(answered.map { ($0.node.id, NodeLoad(node: $0.node, answer: $0.answer)) }) { first, _ in first }
        return nodes.map { node in
            if let load = loads[node.id] { return load }
            var unhealthy = node
            unhealthy.ready = false
            return NodeLoad(node: unhealthy)
        }
    }
}
