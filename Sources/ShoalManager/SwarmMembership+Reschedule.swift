import Foundation
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

extension SwarmMembership {
    private func rescheduleTable() throws -> StoreTable<Shoal_Cluster_V1_ReschedulableContainer> {
        StoreTable(try requireManager().objects.store)
    }

    public func rememberReschedulable(_ container: ReschedulableContainer) async throws {
        var record = Shoal_Cluster_V1_ReschedulableContainer()
        record.id = container.id
        record.name = container.name
        record.nodeID = container.nodeID
        record.createBody = container.createBody
        record.createQuery = container.createQuery
        record.createdAtMs = Int64(Date().timeIntervalSince1970 * 1000)
        let table = try rescheduleTable()
        _ = try await table.store.commit(try table.create(record))
    }

    public func forgetReschedulable(_ id: String) async throws {
        let table = try rescheduleTable()
        guard let stored = try await table.get(id) else { return }
        _ = try await table.store.commit(try table.delete(id, ifVersion: stored.version))
    }

    public func reschedulables() async throws -> [ReschedulableContainer] {
        try await rescheduleTable().list().map(\.object).map {
            ReschedulableContainer(id: $0.id, name: $0.name, nodeID: $0.nodeID, createBody: $0.createBody,
                                   createQuery: $0.createQuery)
        }
    }

    /// Whether this node's manager leads the swarm now (only the leader reschedules).
    public func leads() async -> Bool {
        guard let manager else { return false }
        return await manager.leaderServices != nil
    }
}
