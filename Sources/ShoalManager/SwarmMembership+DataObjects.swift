import ShoalClusterClient
import ShoalClusterProto
import ShoalModel

/// Secrets and configs, for the Docker API on this node. Writes go to the leader's `DataObjectStore` (here when
/// this manager leads, else through the control API of the manager that does, over mutual TLS: a payload travels
/// in clear only inside that channel); reads come from this manager's own store. A worker answers none of them.
extension SwarmMembership {
    /// Returns the new object's ID.
    public func createDataObject(_ kind: DataObjectKind, _ spec: DataObjectSpec) async throws -> String {
        try requireManager()
        var call = Shoal_Cluster_V1_CreateDataObjectRequest()
        call.kind = kind.rawValue
        call.spec = spec.message
        return try await onLeader(local: { try await $0.dataObjects.create(kind, spec).id }, remote: { [call] channel in
            try await channel.dataObjects.createDataObject(call, options: ControlChannel.options()).id
        })
    }

    /// Labels only, as Docker allows; `version` is the one the caller read the object at (`?version=`).
    public func updateDataObject(_ kind: DataObjectKind, _ reference: String, version: UInt64, spec: DataObjectSpec)
        async throws
    {
        try requireManager()
        var call = Shoal_Cluster_V1_UpdateDataObjectRequest()
        call.kind = kind.rawValue
        call.reference = reference
        call.version = version
        call.spec = spec.message
        _ = try await onLeader(local: { try await $0.dataObjects.update(kind, reference, version: version, spec: spec).id },
                               remote: { [call] channel in
            try await channel.dataObjects.updateDataObject(call, options: ControlChannel.options()).id
        })
    }

    public func removeDataObject(_ kind: DataObjectKind, _ reference: String) async throws {
        try requireManager()
        var call = Shoal_Cluster_V1_RemoveDataObjectRequest()
        call.kind = kind.rawValue
        call.reference = reference
        _ = try await onLeader(local: { leader in
            try await leader.dataObjects.remove(kind, reference)
            return true
        }, remote: { [call] channel in
            _ = try await channel.dataObjects.removeDataObject(call, options: ControlChannel.options())
            return true
        })
    }

    public func dataObjects(_ kind: DataObjectKind) async throws -> [SwarmDataObject] {
        try await requireManager().dataObjects(kind)
    }

    /// By full ID, name or unique ID prefix.
    public func dataObject(_ kind: DataObjectKind, _ reference: String) async throws -> SwarmDataObject {
        try await requireManager().dataObject(kind, reference)
    }
}
