import Foundation
import GRPCCore
import ShoalClusterProto
import ShoalCore
import ShoalModel

/// Secrets and configs on the control API: managers only. Every write runs on the leader (a follower refuses with
/// "not the leader" and the caller tries the next manager); the answers carry Docker's words, which callers keep.
struct DataObjectsService: Shoal_Cluster_V1_DataObjects.SimpleServiceProtocol {
    let manager: ManagerNode

    func createDataObject(request: Shoal_Cluster_V1_CreateDataObjectRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_DataObjectReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            return Self.reply(try await manager.requireLeader().dataObjects.create(
                try Self.kind(request.kind), DataObjectSpec(request.spec)))
        }
    }

    func updateDataObject(request: Shoal_Cluster_V1_UpdateDataObjectRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_DataObjectReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            return Self.reply(try await manager.requireLeader().dataObjects.update(
                try Self.kind(request.kind), request.reference, version: request.version,
                spec: DataObjectSpec(request.spec)))
        }
    }

    func removeDataObject(request: Shoal_Cluster_V1_RemoveDataObjectRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_RemoveDataObjectReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            try await manager.requireLeader().dataObjects.remove(try Self.kind(request.kind), request.reference)
            return Shoal_Cluster_V1_RemoveDataObjectReply()
        }
    }

    static func kind(_ word: String) throws -> DataObjectKind {
        guard let kind = DataObjectKind(rawValue: word) else {
            throw ShoalError.invalidArgument("unknown kind of data object \"\(word)\"")
        }
        return kind
    }

    static func reply(_ object: SwarmDataObject) -> Shoal_Cluster_V1_DataObjectReply {
        var reply = Shoal_Cluster_V1_DataObjectReply()
        reply.id = object.id
        reply.version = object.version
        return reply
    }
}

/// The data key on the control API: managers the store records as managers only (`ManagerNode.dataKey(for:)`).
struct DataKeysService: Shoal_Cluster_V1_DataKeys.SimpleServiceProtocol {
    let manager: ManagerNode

    func getDataKey(request: Shoal_Cluster_V1_GetDataKeyRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_GetDataKeyReply
    {
        let caller = PeerIdentity.node(context)
        let key = try await ControlErrors.mapping { try await manager.dataKey(for: caller) }
        var reply = Shoal_Cluster_V1_GetDataKeyReply()
        reply.key = Data(key.bytes)
        reply.keyID = key.id
        return reply
    }
}
