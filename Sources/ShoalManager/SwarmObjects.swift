import Foundation
import ShoalAllocator
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The swarm's own objects in the cluster store (its nodes, the cluster object and the root CA) as domain values.
/// Every read and write of them goes through here, over typed tables: changes are compare-and-swaps on the
/// object's version, retried when another writer came in between, and leader-only ones are fenced by the term.
struct SwarmObjects: Sendable {
    let store: any ClusterStore
    let clusterID: String
    /// Seals what the store keeps of the managers' keys (the unlock key, the CA key; `SwarmObjects+Sealed`).
    var dataKey: ClusterDataKey? = nil

    private var nodeTable: StoreTable<Shoal_Cluster_V1_Node> { StoreTable(store) }
    var clusterTable: StoreTable<Shoal_Cluster_V1_Cluster> { StoreTable(store) }
    var authorityTable: StoreTable<Shoal_Cluster_V1_CertificateAuthority> { StoreTable(store) }

    /// How often a change is tried again when other writers keep changing the object first.
    static let casAttempts = 5

    // MARK: nodes

    func nodes() async throws -> [SwarmNode] {
        try await nodeTable.list().map(SwarmNode.init)
    }

    func node(_ id: String) async throws -> SwarmNode? {
        try await nodeTable.get(id).map(SwarmNode.init)
    }

    /// Records a new node; false when its ID is taken.
    func createNode(_ node: SwarmNode) async throws -> Bool {
        try await store.commit(try nodeTable.create(node.stored)).succeeded
    }

    /// Writes `node` if it is still at `version` (`docker node update --version`); false when it was not.
    func replaceNode(_ node: SwarmNode, ifVersion version: UInt64) async throws -> Bool {
        try await store.commit(try nodeTable.update(node.stored, ifVersion: Int64(version))).succeeded
    }

    /// `docker node update`: `node` as just read gets `spec`, if the caller that read it at `version` saw the spec
    /// it has now (status and certificate writes since do not count) and nothing changed since `node` was read.
    func changeNodeSpec(_ node: SwarmNode, readAt version: UInt64, to spec: NodeSpec) async throws {
        guard node.sawCurrentSpec(atVersion: version) else { throw SwarmErrors.outOfSequence }
        var changed = node
        changed.spec = spec
        changed.specChangedAfter = node.version
        changed.updatedAt = Date()
        guard try await replaceNode(changed, ifVersion: node.version) else { throw SwarmErrors.outOfSequence }
    }

    /// Changes node `id` as `change` says (it returns false to leave the node as it is), retried on a fresh read
    /// when another write came in between. With `fence`, only while that term lasts: a deposed leader's change
    /// fails with the not-leader error. Returns the node as it is now, nil when there is no such node.
    @discardableResult
    func updateNode(_ id: String, fencedBy fence: LeaderFence? = nil,
                    _ change: @Sendable (inout SwarmNode) throws -> Bool) async throws -> SwarmNode?
    {
        for _ in 0..<Self.casAttempts {
            guard let stored = try await nodeTable.get(id) else { return nil }
            var node = SwarmNode(stored)
            guard try change(&node) else { return node }
            node.updatedAt = Date()
            let write = try nodeTable.update(node.stored, ifVersion: stored.version)
            let outcome: FencedCommit
            if let fence {
                outcome = try await fence.commit(write, in: store)
            } else {
                let commit = try await store.commit(write)
                outcome = commit.succeeded ? .committed(revision: commit.revision) : .conflicted
            }
            switch outcome {
            case .committed(let revision):
                node.version = UInt64(revision)
                return node
            case .deposed:
                throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
            case .conflicted:
                continue
            }
        }
        throw SwarmErrors.outOfSequence
    }

    /// `change` applied to each of the nodes `ids` in one write (in parts when it is larger than a transaction
    /// takes), fenced by the term, so that the orchestrator sees them change together. Returns the nodes the write
    /// holds (changed, or with nothing to change) and the IDs it does not (a node changed meanwhile, or is gone)
    /// for the caller to update one by one.
    func updateNodes(_ ids: [String], fencedBy fence: LeaderFence,
                     _ change: @Sendable (inout SwarmNode) -> Bool) async throws -> (stored: [String], left: [String])
    {
        let current = try await nodeTable.get(ids)
        var (writes, writing, stored, left) = ([StoreWrite](), [String](), [String](), [String]())
        for id in ids {
            guard let versioned = current[id] else {
                left.append(id)
                continue
            }
            var node = SwarmNode(versioned)
            guard change(&node) else {
                stored.append(id)
                continue
            }
            node.updatedAt = Date()
            writes.append(try nodeTable.update(node.stored, ifVersion: versioned.version))
            writing.append(id)
        }
        guard !writes.isEmpty else { return (stored, left) }
        switch try await fence.commit(each: writes, in: store) {
        case .committed:
            return (stored + writing, left)
        case .conflicted(let revisions):
            for (id, revision) in zip(writing, revisions) {
                if revision == nil { left.append(id) } else { stored.append(id) }
            }
            return (stored, left)
        case .deposed:
            throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
        }
    }

    /// Removes node `id` (removing a node that is gone already succeeds).
    func deleteNode(_ id: String) async throws {
        try await store.commit(try nodeTable.delete(id))
    }

    // MARK: the cluster and its CA

    func cluster() async throws -> SwarmInfo { SwarmInfo(try await storedCluster()) }

    /// The cluster object as stored, with what the domain value does not carry (the sealed unlock key).
    func storedCluster() async throws -> Versioned<Shoal_Cluster_V1_Cluster> {
        guard let stored = try await clusterTable.get(clusterID) else {
            throw ShoalError.internalError("the cluster object is missing from the store")
        }
        return stored
    }

    /// Writes `info` if the cluster is still at `version` (`docker swarm update --version`); false when it was not.
    func replaceCluster(_ info: SwarmInfo, ifVersion version: UInt64) async throws -> Bool {
        try await replaceCluster(info, ifVersion: version) { _ in }
    }

    /// The CA object as stored, with its version.
    func storedAuthority() async throws -> Versioned<Shoal_Cluster_V1_CertificateAuthority> {
        guard let stored = try await authorityTable.get(clusterID) else {
            throw ShoalError.internalError("the CA is missing from the store")
        }
        return stored
    }

    /// The root CA, with its key when the store holds one (an external CA's root has none).
    func rootCA() async throws -> RootCA {
        let authority = try await storedAuthority().object
        return try RootCA(certificatePEM: authority.certificatePem, keyPEM: try openedCAKey(authority.keyPem))
    }

    /// The serials of the user certificates revoked so far.
    func revokedUserSerials() async throws -> Set<String> {
        Set(try await authorityTable.get(clusterID)?.object.revokedUserSerials ?? [])
    }

    /// Adds `serial` to the revoked user certificates (a serial revoked already is left as it is).
    func revokeUserCertificate(serial: String) async throws {
        for _ in 0..<10 {
            let stored = try await storedAuthority()
            if stored.object.revokedUserSerials.contains(serial) { return }
            var authority = stored.object
            authority.revokedUserSerials.append(serial)
            if try await store.commit(try authorityTable.update(authority, ifVersion: stored.version)).succeeded { return }
        }
        throw ShoalError(.unavailable, "the CA changed ten times while a revocation was being written: try again")
    }

    /// A new swarm's objects, all or nothing: the cluster, its CA and the first node. False when the store holds
    /// this cluster already.
    func createSwarm(_ info: SwarmInfo, rootCAKeyPEM: String, firstNode: SwarmNode, ingress: SwarmNetwork? = nil)
        async throws -> Bool
    {
        var authority = Shoal_Cluster_V1_CertificateAuthority()
        authority.id = info.id
        authority.certificatePem = info.rootCACertificate
        authority.keyPem = try sealedCAKey(rootCAKeyPEM)
        var write = try clusterTable.create(info.stored) + authorityTable.create(authority)
            + nodeTable.create(firstNode.stored)
        if let ingress { write += try StoreTable<SwarmNetwork>(store).create(ingress) }
        return try await store.commit(write).succeeded
    }
}
