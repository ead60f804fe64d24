import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// Reads of secrets and configs, and the data key for a joining manager. Reads are answered from this manager's
/// own store (SwarmKit's control API does the same), so `docker secret ls/inspect` never waits for the leader; a
/// secret read from the store never carries its payload (it is sealed beside the spec, see DataObjectMessage).
extension ManagerNode {
    func dataObjects(_ kind: DataObjectKind) async throws -> [SwarmDataObject] {
        switch kind {
        case .secret: try await StoreTable<SecretMessage>(store).list().map { SwarmDataObject($0) }
        case .config: try await StoreTable<ConfigMessage>(store).list().map { SwarmDataObject($0) }
        }
    }

    /// By full ID, name or unique ID prefix.
    func dataObject(_ kind: DataObjectKind, _ reference: String) async throws -> SwarmDataObject {
        switch kind {
        case .secret: SwarmDataObject(try DataObjectStore.find(reference, in: try await StoreTable<SecretMessage>(store).list()))
        case .config: SwarmDataObject(try DataObjectStore.find(reference, in: try await StoreTable<ConfigMessage>(store).list()))
        }
    }

    /// DataKeys.GetDataKey: the data key, to a caller with a manager certificate whom the store records as a
    /// manager (a node that joined with the manager token is recorded by Membership.AddManager, which it calls
    /// first). A worker, or a demoted manager still holding its old certificate, gets nothing.
    func dataKey(for caller: NodeCertificate?) async throws -> ClusterDataKey {
        let nodeID = try checkCaller(caller, access: .managers)
        guard let node = try await objects.node(nodeID), node.spec.role == .manager else {
            throw ShoalError.permissionDenied("the data key is for managers only: node \(nodeID) is not one")
        }
        guard let dataKey else { throw DataObjectErrors.noDataKey }
        logger.info("swarm: gave the data key to manager \(nodeID)")
        return dataKey
    }
}
