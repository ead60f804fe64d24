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
