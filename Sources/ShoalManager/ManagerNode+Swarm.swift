import Foundation
import ShoalAllocator
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The manager-only Docker calls: `docker swarm inspect/update`, `docker node ls/inspect/update/rm`, and the list
/// of swarm-scoped networks, answered from the store as Docker answers them.
extension ManagerNode {
    // MARK: the cluster object

    /// The cluster object as Docker shows it (with the TLS issuer).
    func inspect() async throws -> SwarmInfo {
        var info = try await objects.cluster()
        // While a rotation runs, certificates come from the next root: Docker shows that root as the issuer.
        let issuing = info.rotationRootCACertificate.isEmpty ? info.rootCACertificate : info.rotationRootCACertificate
        if let issuer = CertificateIssuer(rootCAPEM: issuing) { info.issuer = issuer }
        return info
    }

    func update(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool,
                rotateManagerUnlockKey: Bool = false) async throws {
        var info = try await objects.cluster()
        guard info.version == version else { throw SwarmErrors.outOfSequence }
        var spec = spec
        try spec.validate()
        let identity = try? TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let rotation = try await RootRotationPlan.plan(spec: spec, info: info, keys: try await objects.heldCAKeys()) {
            url, root in await CFSSLClient(urls: [url], trustedRootsPEM: root, identity: identity).reachable(url)
        }
        spec.signingCACertificate = ""
        spec.signingCAKey = ""
        info.spec = spec
        info.updatedAt = Date()
        let digest = try RootCA(certificatePEM: info.rootCACertificate).digest
        if rotateWorkerToken { info.joinTokens.worker = JoinToken.generate(rootDigest: digest).text }
        if rotateManagerToken { info.joinTokens.manager = JoinToken.generate(rootDigest: digest).text }
        let unlockKey = try await nextUnlockKey(autoLock: spec.autoLockManagers, rotate: rotateManagerUnlockKey)
        guard try await objects.replaceCluster(info, unlockKey: unlockKey, ifVersion: version, applying: rotation) else {
            throw SwarmErrors.outOfSequence
        }
        heartbeatPeriod = Self.period(spec)
        // This manager's own material follows at once; the other managers' within a second (their monitor).
        await followUnlockKey()
    }

    // MARK: nodes

    /// The nodes as Docker shows them: who leads the store now (not what was recorded) and the TLS issuer.
    func nodes() async throws -> [SwarmNode] {
        let leader = await leaderNodeID()
        var issuers: [String: CertificateIssuer] = [:]
        return try await objects.nodes().map { stored in
            var node = stored
            // Nodes recorded before their certificate's issuer was kept: the issuer of their trust root.
            if node.issuer.publicKey.isEmpty,
               let issuer = issuers[node.trustRoot] ?? CertificateIssuer(rootCAPEM: node.trustRoot) {
                issuers[node.trustRoot] = issuer
                node.issuer = issuer
            }
            if let leader { node.managerStatus?.leader = node.id == leader }
            return node
        }
    }

    /// By full ID, unique ID prefix or hostname, as Docker resolves nodes (`self` is this node, as the CLI means
    /// it).
    func node(_ ref: String) async throws -> SwarmNode {
        let all = try await nodes()
        let ref = ref == "self" ? config.nodeID : ref
        if let exact = all.first(where: { $0.id == ref }) { return exact }
        let byName = all.filter { $0.description.hostname == ref || $0.spec.name == ref }
        if byName.count == 1 { return byName[0] }
        let byPrefix = all.filter { !ref.isEmpty && $0.id.hasPrefix(ref) }
        if byPrefix.count == 1 { return byPrefix[0] }
        if byPrefix.count > 1 || byName.count > 1 {
            throw ShoalError.invalidArgument("node \(ref) is ambiguous (\(max(byPrefix.count, byName.count)) matches found)")
        }
        throw ShoalError.notFound("node \(ref) not found")
    }

    func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws {
        let node = try await node(ref)
        if node.spec.role == .manager && spec.role == .worker {
            let managers = try await objects.nodes().filter { $0.spec.role == .manager }.count
            if managers <= 1 {
                throw ShoalError.invalidState(
                    "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm")
            }
        }
        try await objects.changeNodeSpec(node, readAt: version, to: spec)
        leaderServices?.roles.forget(node.id)
    }

    func removeNode(_ ref: String, force: Bool) async throws {
        let node = try await node(ref)
        if node.spec.role == .manager {
            throw ShoalError.invalidState(
                "rpc error: code = FailedPrecondition desc = node \(node.id) is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal")
        }
        if node.status.state != .down && !force {
            throw ShoalError.invalidState(
                "rpc error: code = FailedPrecondition desc = node \(node.id) is not down and can't be removed")
        }
        try await objects.deleteNode(node.id)
        leaderServices?.roles.forget(node.id)
    }

    // MARK: networks

    /// Every swarm-scoped network with the hosts that have it (`Peers`).
    func swarmNetworks() async throws -> [NetworkView] {
        let attachments = try await StoreTable<SwarmAttachment>(store).list().map(\.object)
        let hosts = Dictionary(try await objects.nodes().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return try await StoreTable<SwarmNetwork>(store).list().map { stored in
            let nodes = Set(attachments.filter { $0.networkID == stored.id }.map(\.nodeID))
            let peers = nodes.compactMap { hosts[$0] }.map {
                NetworkPeer(name: $0.description.hostname, ip: $0.status.address)
            }
            return NetworkView(record: NetworkRecord(stored.object), containers: [],
                               peers: peers.sorted { $0.name < $1.name })
        }.sorted { $0.record.created < $1.record.created }
    }
}

extension SwarmSpec {
    /// Docker's limits on the spec (`--cert-expiry` at least an hour, a positive heartbeat); zeros take the
    /// defaults.
    mutating func validate() throws {
        if nodeCertExpiry == 0 { nodeCertExpiry = SwarmSpec().nodeCertExpiry }
        if heartbeatPeriod == 0 { heartbeatPeriod = SwarmSpec().heartbeatPeriod }
        guard nodeCertExpiry >= 3600 else {
            throw ShoalError.invalidArgument("minimum certificate expiry time is: 1h0m0s")
        }
        guard heartbeatPeriod > 0 else { throw ShoalError.invalidArgument("heartbeat period must be positive") }
        try raft.validate()
    }
}

extension CertificateIssuer {
    /// The issuer a root CA certificate (PEM) stands for; nil when it cannot be read.
    init?(rootCAPEM: String) {
        guard !rootCAPEM.isEmpty, let root = try? RootCA(certificatePEM: rootCAPEM),
              let der = try? root.issuerDER() else { return nil }
        self.init(subject: Data(der.subject), publicKey: Data(der.publicKey))
    }
}
