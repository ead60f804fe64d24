import Foundation
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The root rotation's writes: the cluster object and the CA (with the keys) change together, each on the version
/// it was read at.
extension SwarmObjects {
    /// Writes `info` (a `swarm update`) with the manager unlock key `unlockKey` (nil: none) and what `plan` asks
    /// of the CA, all or nothing; false when the cluster or the CA changed since they were read. Keys go to the
    /// store sealed (`sealedCAKey`).
    func replaceCluster(_ info: SwarmInfo, unlockKey: UnlockKey?, ifVersion version: UInt64,
                        applying plan: RootRotationPlan) async throws -> Bool
    {
        guard case .keep = plan else {
            let stored = try await storedAuthority()
            var info = info
            var authority = stored.object
            switch plan {
            case .keep:
                break
            case .abort(let keyPEM):
                info.rotationRootCACertificate = ""
                info.rotationCrossSignedCertificate = ""
                authority.rotationCertificatePem = ""
                authority.rotationKeyPem = ""
                authority.keyPem = try keyPEM.map(sealedCAKey) ?? ""
            case .start(let next):
                let current = try RootCA(certificatePEM: authority.certificatePem,
                                         keyPEM: try openedCAKey(authority.keyPem))
                info.rotationRootCACertificate = next.certificatePEM
                info.rotationCrossSignedCertificate = try current.crossSign(next)
                authority.rotationCertificatePem = next.certificatePEM
                authority.rotationKeyPem = try next.keyPEM.map(sealedCAKey) ?? ""
            }
            info.lastForcedRotation = info.spec.forceRotate
            var cluster = info.stored
            cluster.sealedManagerUnlockKey = try sealedUnlockKey(unlockKey)
            let write = try clusterTable.update(cluster, ifVersion: Int64(version))
                + authorityTable.update(authority, ifVersion: stored.version)
            return try await store.commit(write).succeeded
        }
        return try await replaceCluster(info, unlockKey: unlockKey, ifVersion: version)
    }

    /// Which roots' keys the store holds (an external CA's root has none).
    func heldCAKeys() async throws -> RootRotationPlan.HeldKeys {
        let authority = try await storedAuthority().object
        return .init(current: !authority.keyPem.isEmpty,
                     next: authority.rotationCertificatePem.isEmpty || !authority.rotationKeyPem.isEmpty)
    }

    /// Ends a rotation once every node that is not Down holds a certificate from the next root: it becomes the
    /// root, the join tokens pin it, and its cross-signature joins those certificates carry. Returns the new
    /// root's PEM when it did; nil when the rotation must go on (or none runs, or another write came first).
    func finishRootRotation() async throws -> String? {
        // Read once: the write keeps what the domain value does not carry (the sealed unlock key).
        let storedCluster = try await storedCluster()
        let info = SwarmInfo(storedCluster)
        guard !info.rotationRootCACertificate.isEmpty,
              let stored = try await authorityTable.get(clusterID), !stored.object.rotationCertificatePem.isEmpty
        else { return nil }
        let next = try RootCA(certificatePEM: info.rotationRootCACertificate)
        let issuer = try next.issuerDER()
        let waiting = try await nodes().filter { node in
            node.status.state != .down
                && (node.issuer.subject != Data(issuer.subject) || node.issuer.publicKey != Data(issuer.publicKey))
        }
        guard waiting.isEmpty else { return nil }
        var authority = stored.object
        authority.certificatePem = authority.rotationCertificatePem
        authority.keyPem = authority.rotationKeyPem
        authority.crossSignedPems = Array(([info.rotationCrossSignedCertificate] + authority.crossSignedPems)
            .prefix(NodeSigner.keptCrossSignatures))
        authority.rotationCertificatePem = ""
        authority.rotationKeyPem = ""
        var finished = info
        finished.rootCACertificate = info.rotationRootCACertificate
        finished.rotationRootCACertificate = ""
        finished.rotationCrossSignedCertificate = ""
        finished.joinTokens = SwarmJoinTokens(worker: JoinToken.generate(rootDigest: next.digest).text,
                                              manager: JoinToken.generate(rootDigest: next.digest).text)
        finished.updatedAt = Date()
        var cluster = finished.stored
        cluster.sealedManagerUnlockKey = storedCluster.object.sealedManagerUnlockKey
        let write = try clusterTable.update(cluster, ifVersion: Int64(info.version))
            + authorityTable.update(authority, ifVersion: stored.version)
        return try await store.commit(write).succeeded ? finished.rootCACertificate : nil
    }
}
