import ShoalModel

/// `docker node ls/inspect/update/rm`: answered by this node's manager half (Docker's "not a swarm manager" on a
/// worker).
extension SwarmMembership {
    public func nodes() async throws -> [SwarmNode] { try await requireManager().nodes() }

    /// By full ID, unique ID prefix or hostname (`self` is this node), as Docker resolves nodes.
    public func node(_ ref: String) async throws -> SwarmNode { try await requireManager().node(ref) }

    public func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws {
        try await requireManager().updateNode(ref, version: version, spec: spec)
    }

    public func removeNode(_ ref: String, force: Bool) async throws {
        try await requireManager().removeNode(ref, force: force)
    }
}
