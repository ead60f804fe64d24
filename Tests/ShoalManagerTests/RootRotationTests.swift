import Foundation
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// A root rotation in the store: what `swarm update` asks (swarmkit's rules and messages), the signer during and
/// after it, and its end once every node that is not Down holds a certificate from the next root.
@Suite struct RootRotationTests {
    /// A swarm with a fresh root, one manager and one worker, in a memory store; its keys are kept sealed with a
    /// data key, as a swarm made now keeps them.
    static func swarm() async throws -> (SwarmObjects, RootCA) {
        let objects = SwarmObjects(store: MemoryClusterStore(), clusterID: "c1", dataKey: ClusterDataKey.generate())
        let root = try RootCA.create()
        var info = SwarmObjectsTests.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        info.joinTokens = SwarmJoinTokens(worker: JoinToken.generate(rootDigest: root.digest).text,
                                          manager: JoinToken.generate(rootDigest: root.digest).text)
        var manager = SwarmObjectsTests.node("m1", role: .manager)
        manager.status.state = .ready
        #expect(try await objects.createSwarm(info, rootCAKeyPEM: try #require(root.keyPEM), firstNode: manager))
        var worker = SwarmObjectsTests.node("w1")
        worker.status.state = .ready
        #expect(try await objects.createNode(worker))
        return (objects, root)
    }

    @Test func planFollowsSwarmkitsRules() async throws {
        let root = try RootCA.create()
        var info = SwarmObjectsTests.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        var spec = info.spec
        guard case .keep = try await RootRotationPlan.plan(spec: spec, info: info) else { Issue.record("not kept"); return }
        spec.forceRotate = 1
        guard case .start(let fresh) = try await RootRotationPlan.plan(spec: spec, info: info) else {
            Issue.record("no rotation"); return
        }
        #expect(fresh.canSign && fresh.digest != root.digest)

        spec.forceRotate = 0
        spec.signingCAKey = "KEY"
        await #expect(throws: ShoalError.self) { try await RootRotationPlan.plan(spec: spec, info: info) }
        let given = try RootCA.create()
        spec.signingCACertificate = given.certificatePEM
        spec.signingCAKey = ""
        #expect(await messageOf { try await RootRotationPlan.plan(spec: spec, info: info) }
            == "there must be at least one valid, reachable external CA corresponding to the desired CA certificate")
        spec.signingCAKey = try #require(given.keyPEM)
        guard case .start(let desired) = try await RootRotationPlan.plan(spec: spec, info: info) else {
            Issue.record("no rotation"); return
        }
        #expect(desired.digest == given.digest)
        info.rotationRootCACertificate = given.certificatePEM
        guard case .keep = try await RootRotationPlan.plan(spec: spec, info: info) else { Issue.record("restarted"); return }
        spec.signingCACertificate = root.certificatePEM
        spec.signingCAKey = try #require(root.keyPEM)
        guard case .abort = try await RootRotationPlan.plan(spec: spec, info: info) else { Issue.record("not aborted"); return }
    }

    @Test func aRotationSignsWithTheNextRootAndEndsWhenEveryNodeMoved() async throws {
        let (objects, root) = try await Self.swarm()
        var info = try await objects.cluster()
        var spec = info.spec
        spec.forceRotate = 1
        let plan = try await RootRotationPlan.plan(spec: spec, info: info)
        info.spec = spec
        #expect(try await objects.replaceCluster(info, unlockKey: nil, ifVersion: info.version, applying: plan))
        info = try await objects.cluster()
        let next = try RootCA(certificatePEM: info.rotationRootCACertificate)
        #expect(info.lastForcedRotation == 1 && info.rootCACertificate == root.certificatePEM)
        // Both roots' keys are in the store sealed, never in clear.
        let authority = try #require(try await objects.authorityTable.get("c1")?.object)
        #expect(authority.keyPem.hasPrefix(SwarmObjects.sealedCAKeyPrefix)
                && authority.rotationKeyPem.hasPrefix(SwarmObjects.sealedCAKeyPrefix))

        // During the rotation: the next root signs; nodes trust both roots; old-root peers accept the chain.
        let signer = try await objects.signer()
        #expect(signer.root.digest == next.digest)
        let bundle = try TrustBundle(pem: signer.trustRootsPEM)
        let chain = try await signer.sign(csr: try NodeKey.generate().makeCSR(), nodeID: "w1", role: .worker,
                                    clusterID: "c1", host: "10.0.0.2", validity: 3600)
        try bundle.verify(chainPEM: chain)
        try TrustBundle(pem: root.certificatePEM).verify(chainPEM: chain)
        #expect(try await objects.finishRootRotation() == nil)

        // One node moved, the other is Down: the rotation ends; tokens pin the new root.
        let moved = signer.issuer
        try await objects.updateNode("m1") { node in node.issuer = moved; return true }
        #expect(try await objects.finishRootRotation() == nil)
        try await objects.updateNode("w1") { node in node.status.state = .down; return true }
        #expect(try await objects.finishRootRotation() == next.certificatePEM)
        info = try await objects.cluster()
        #expect(info.rootCACertificate == next.certificatePEM && info.rotationRootCACertificate.isEmpty)
        #expect(try JoinToken.parse(info.joinTokens.worker).rootDigest == next.digest)
        #expect(try JoinToken.parse(info.joinTokens.manager).rootDigest == next.digest)

        // After it: the new root signs, and certificates still reach the old root through the cross-signature.
        let after = try await objects.signer()
        #expect(after.root.digest == next.digest && after.trustRootsPEM == next.certificatePEM)
        let later = try await after.sign(csr: try NodeKey.generate().makeCSR(), nodeID: "m1", role: .manager,
                                   clusterID: "c1", host: "10.0.0.1", validity: 3600)
        try TrustBundle(pem: root.certificatePEM).verify(chainPEM: later)
        try TrustBundle(pem: next.certificatePEM).verify(chainPEM: later)
    }

    func messageOf(_ body: () async throws -> Any) async -> String? { await ServiceStoreTests.refusal(body)?.message }
}
