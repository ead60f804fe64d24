import ShoalClusterProto

// The objects of shoal.cluster.v1 (protos/shoal/cluster/v1/objects.proto) the managers keep in typed tables.

/// Swarm-scoped networks, filled in by the leader's allocator.
extension Shoal_Cluster_V1_Network: StoreObject {
    public static var table: String { "networks" }
}

/// Containers' endpoints on swarm-scoped networks, one per container and network.
extension Shoal_Cluster_V1_NetworkAttachment: StoreObject {
    public static var table: String { "attachments" }
}

/// The swarm's nodes, by node ID.
extension Shoal_Cluster_V1_Node: StoreObject {
    public static var table: String { "nodes" }
}

/// The swarm itself: one object, by cluster ID.
extension Shoal_Cluster_V1_Cluster: StoreObject {
    public static var table: String { "clusters" }
}

/// The cluster's root CA and its key: one object, by cluster ID.
extension Shoal_Cluster_V1_CertificateAuthority: StoreObject {
    public static var table: String { "certificate-authorities" }
}

/// Swarm services (services.proto), written by the leader only.
extension Shoal_Cluster_V1_Service: StoreObject {
    public static var table: String { "services" }
}

/// The tasks of swarm services, one per replica (or per node for a global service) and per attempt.
extension Shoal_Cluster_V1_Task: StoreObject {
    public static var table: String { "tasks" }
}

/// Swarm secrets (secrets.proto), written by the leader only; their payloads only sealed.
extension Shoal_Cluster_V1_Secret: StoreObject {
    public static var table: String { "secrets" }
}

/// Swarm configs (secrets.proto), written by the leader only.
extension Shoal_Cluster_V1_Config: StoreObject {
    public static var table: String { "configs" }
}

extension Shoal_Cluster_V1_ReschedulableContainer: StoreObject {
    public static var table: String { "reschedulable-containers" }
}
