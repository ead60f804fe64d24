import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// `docker node ls/inspect/update/rm` on a manager: node objects in the store, resolved as Docker resolves them.
extension SwarmManager {
    /// The nodes as Docker shows them: who leads the store now (not what was recorded) and the TLS issuer.
    public func nodes() async throws -> [SwarmNode] {
        let leader = await leaderNodeID()
        var issuers: [String: CertificateIssuer] = [:]
        return try await storedNodes().map { stored in
            var node = stored
            if let issuer = issuers[node.trustRoot] ?? CertificateIssuer(rootCAPEM: node.trustRoot) {
                issuers[node.trustRoot] = issuer
                node.issuer = issuer
            }
            if let leader { node.managerStatus?.leader = node.id == leader }
            return node
        }
    }

    /// The node objects as stored (the monitor's view: no leader lookup, no certificate parsing).
    func storedNodes() async throws -> [SwarmNode] {
        try await managerObjects().nodes()
    }

    /// By full ID, unique ID prefix or hostname, as Docker resolves nodes.
    public func node(_ ref: String) async throws -> SwarmNode {
        let all = try await nodes()
        // `self` is this node, as the CLI means it.
        let ref = ref == "self" ? (config?.nodeID ?? ref) : ref
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

    public func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws {
        let objects = try managerObjects()
        var node = try await node(ref)
        guard node.version == version else { throw SwarmErrors.outOfSequence }
        if node.spec.role == .manager && spec.role == .worker {
            let managers = try await storedNodes().filter { $0.spec.role == .manager }.count
            if managers <= 1 {
                throw ShoalError.invalidState(
                    "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm")
            }
        }
        node.spec = spec
        node.updatedAt = Date()
        guard try await objects.replaceNode(node, ifVersion: version) else {
            throw SwarmErrors.outOfSequence
        }
    }

    public func removeNode(_ ref: String, force: Bool) async throws {
        let objects = try managerObjects()
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
