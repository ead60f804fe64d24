import ShoalClusterClient
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// Swarm services, for the Docker API on this node. Writes go to the leader's `ServiceStore` (here when this
/// manager leads, else through the control API of the manager that does); reads come from this manager's own
/// store. A worker answers none of them: it never sees the store, and Docker refuses them there too.
extension SwarmMembership {
    /// Returns the new service as the leader stored it.
    public func createService(_ spec: ServiceSpec, registryAuth: String? = nil) async throws -> SwarmService {
        try requireManager()
        let message = spec.message
        return try await onLeader(local: { try await $0.services.create(spec, registryAuth: registryAuth) },
                                  remote: { channel in
            var call = Shoal_Cluster_V1_CreateServiceRequest()
            call.spec = message
            call.registryAuth = registryAuth ?? ""
            return Self.service(try await channel.services.createService(call, options: ControlChannel.options()))
        })
    }

    /// `version` is the one the caller read the service at (`?version=`): Docker's optimistic concurrency.
    /// `rollback`: the service's previous spec comes back instead of `spec` (`docker service rollback`).
    public func updateService(_ reference: String, version: UInt64, spec: ServiceSpec, rollback: Bool = false,
                              registryAuth: String? = nil) async throws -> SwarmService
    {
        try requireManager()
        let message = spec.message
        return try await onLeader(local: { leader in
            rollback ? try await leader.services.rollback(reference, version: version)
                : try await leader.services.update(reference, version: version, spec: spec, registryAuth: registryAuth)
        }, remote: { channel in
            var call = Shoal_Cluster_V1_UpdateServiceRequest()
            call.reference = reference
            call.version = version
            call.spec = message
            call.rollback = rollback
            call.registryAuth = registryAuth ?? ""
            return Self.service(try await channel.services.updateService(call, options: ControlChannel.options()))
        })
    }

    public func removeService(_ reference: String) async throws {
        try requireManager()
        _ = try await onLeader(local: { leader in
            try await leader.services.remove(reference)
            return true
        }, remote: { channel in
            var call = Shoal_Cluster_V1_RemoveServiceRequest()
            call.reference = reference
            _ = try await channel.services.removeService(call, options: ControlChannel.options())
            return true
        })
    }

    public func services() async throws -> [SwarmService] {
        try await requireManager().services()
    }

    /// By full ID, name or unique ID prefix.
    public func service(_ reference: String) async throws -> SwarmService {
        try await requireManager().service(reference)
    }

    public func tasks() async throws -> [SwarmTask] {
        try await requireManager().tasks()
    }

    public func task(_ reference: String) async throws -> SwarmTask {
        try await requireManager().task(reference)
    }

    // MARK: pieces

    static func service(_ reply: Shoal_Cluster_V1_ServiceReply) -> SwarmService {
        SwarmService(Versioned(object: reply.service, version: Int64(reply.version), createRevision: 0))
    }
}
