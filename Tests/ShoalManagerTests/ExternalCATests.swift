import Foundation
import ShoalCA
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// `--external-ca`: which external CAs serve a root, swarmkit's rules for rotating to (and living with) a root
/// whose key only an external CA holds, and the checks on what an external CA answers. The CFSSL server is a fake
/// here that signs with the external root's key; `SwarmExternalCATests` runs the real one.
@Suite struct ExternalCATests {
    /// Signs as a CFSSL server holding `root`'s key would: the subject and hosts of the request, the CSR's key.
    struct FakeCFSSL: ExternalSigning {
        let root: RootCA
        var answer: (@Sendable (CFSSLSignRequest) throws -> String)? = nil

        func sign(_ request: CFSSLSignRequest) async throws -> String {
            if let answer { return try answer(request) }
            let role: NodeRole = request.subject.names[0].OU == NodeRole.manager.organizationalUnit ? .manager : .worker
            return try root.sign(csr: request.certificate_request, nodeID: request.subject.CN, role: role,
                                 clusterID: request.subject.names[0].O,
                                 ipAddresses: request.hosts.filter { $0.first?.isNumber == true })
        }
    }

    static func spec(_ externals: [SwarmExternalCA]) -> SwarmSpec {
        var spec = SwarmObjectsTests.cluster("c1").spec
        spec.externalCAs = externals
        return spec
    }

    @Test func externalCAsServeTheRootTheyNameOrTheCurrentOne() throws {
        let current = try RootCA.create()
        let other = try RootCA.create()
        let spec = Self.spec([
            SwarmExternalCA(url: "https://a"),
            SwarmExternalCA(url: "https://b", caCertificate: other.certificatePEM),
            SwarmExternalCA(protocol: "acme", url: "https://c"),
            SwarmExternalCA(url: "https://d", caCertificate: "\n" + other.certificatePEM + "\n\n"),
        ])
        #expect(ExternalCAs.urls(for: current, in: spec, currentRootPEM: current.certificatePEM) == ["https://a"])
        #expect(ExternalCAs.urls(for: other, in: spec, currentRootPEM: current.certificatePEM)
            == ["https://b", "https://d"])
    }

    @Test func rotatingToAnExternalRootNeedsAReachableExternalCAForIt() async throws {
        let root = try RootCA.create()
        let external = try RootCA.create()
        var info = SwarmObjectsTests.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        var spec = Self.spec([SwarmExternalCA(url: "https://down", caCertificate: external.certificatePEM),
                              SwarmExternalCA(url: "https://up", caCertificate: external.certificatePEM)])
        spec.signingCACertificate = external.certificatePEM
        let probed = Probed()
        let plan = try await RootRotationPlan.plan(spec: spec, info: info) { url, trusted in
            await probed.add(url, trusted)
            return url == "https://up"
        }
        guard case .start(let next) = plan else { Issue.record("no rotation: \(plan)"); return }
        #expect(next.digest == external.digest && !next.canSign)
        // Each URL is checked against the external root, in order, until one answers.
        #expect(await probed.calls == [["https://down", external.certificatePEM], ["https://up", external.certificatePEM]])

        let unreachable = await message { try await RootRotationPlan.plan(spec: spec, info: info) { _, _ in false } }
        #expect(unreachable
            == "there must be at least one valid, reachable external CA corresponding to the desired CA certificate")
        // An external CA for another root does not count.
        spec.externalCAs = [SwarmExternalCA(url: "https://up")]
        #expect(await message { try await RootRotationPlan.plan(spec: spec, info: info) { _, _ in true } } == unreachable)
    }

    @Test func aSwarmWhoseRootHasNoKeyKeepsAnExternalCA() async throws {
        let root = try RootCA.create()
        var info = SwarmObjectsTests.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        let keyless = RootRotationPlan.HeldKeys(current: false, next: true)
        var spec = Self.spec([SwarmExternalCA(url: "https://ca")])
        guard case .keep = try await RootRotationPlan.plan(spec: spec, info: info, keys: keyless, probe: { _, _ in true })
        else { Issue.record("not kept"); return }
        // An update that drops it, or while it does not answer, is refused.
        #expect(await message {
            try await RootRotationPlan.plan(spec: Self.spec([]), info: info, keys: keyless) { _, _ in true }
        } == "there must be at least one valid, reachable external CA corresponding to the current CA certificate")
        #expect(await message { try await RootRotationPlan.plan(spec: spec, info: info, keys: keyless) { _, _ in false } }
            != nil)

        // A new root needs the current key to cross-sign it.
        spec.forceRotate = 1
        #expect(await error { try await RootRotationPlan.plan(spec: spec, info: info, keys: keyless) { _, _ in true } }?
            .code == .notImplemented)
        spec.forceRotate = 0
        let otherExternal = try RootCA.create()
        spec.signingCACertificate = otherExternal.certificatePEM
        spec.externalCAs.append(SwarmExternalCA(url: "https://other", caCertificate: otherExternal.certificatePEM))
        #expect(await message { try await RootRotationPlan.plan(spec: spec, info: info, keys: keyless) { _, _ in true } }
            == "rotating from one external CA to a different external CA is not supported")

        // The root's own key brought back: it signs here again, whatever the external CAs.
        spec = Self.spec([])
        spec.signingCACertificate = root.certificatePEM
        spec.signingCAKey = try #require(root.keyPEM)
        guard case .abort(let key) = try await RootRotationPlan.plan(spec: spec, info: info, keys: keyless) else {
            Issue.record("key not taken"); return
        }
        #expect(key == root.keyPEM)
    }

    @Test func aRotationToAnExternalRootEndsWithTheExternalCASigning() async throws {
        let (objects, root) = try await RootRotationTests.swarm()
        let external = try RootCA.create()
        var info = try await objects.cluster()
        info.spec.externalCAs = [SwarmExternalCA(url: "https://ca", caCertificate: external.certificatePEM)]
        info.spec.signingCACertificate = external.certificatePEM
        let plan = try await RootRotationPlan.plan(spec: info.spec, info: info) { _, _ in true }
        info.spec.signingCACertificate = ""
        #expect(try await objects.replaceCluster(info, unlockKey: nil, ifVersion: info.version, applying: plan))
        #expect(try await objects.heldCAKeys().next == false)

        // During the rotation the external CA signs; its chain leads both roots' holders to the certificate.
        var signer = try await objects.signer()
        #expect(signer.external is CFSSLClient && signer.root.digest == external.digest)
        signer.external = FakeCFSSL(root: external)
        let csr = try NodeKey.generate().makeCSR()
        let chain = try await signer.sign(csr: csr, nodeID: "w1", role: .worker, clusterID: "c1", host: "10.0.0.2",
                                          validity: 3600)
        try TrustBundle(pem: signer.trustRootsPEM).verify(chainPEM: chain)
        try TrustBundle(pem: root.certificatePEM).verify(chainPEM: chain)

        // The rotation ends: the external root is the root, with no key in the store, and the external CA signs.
        let moved = signer.issuer
        for id in ["m1", "w1"] {
            try await objects.updateNode(id) { node in node.issuer = moved; return true }
        }
        #expect(try await objects.finishRootRotation() == external.certificatePEM)
        let held = try await objects.heldCAKeys()
        #expect(!held.current && held.next)
        var after = try await objects.signer()
        #expect(after.external != nil && !after.root.canSign)
        after.external = FakeCFSSL(root: external)
        let later = try await after.sign(csr: csr, nodeID: "m1", role: .manager, clusterID: "c1", host: "10.0.0.1",
                                         validity: 3600)
        try TrustBundle(pem: external.certificatePEM).verify(chainPEM: later)
        try TrustBundle(pem: root.certificatePEM).verify(chainPEM: later)
        // Without an external CA for it, nothing can sign.
        info = try await objects.cluster()
        info.spec.externalCAs = []
        #expect(try await objects.replaceCluster(info, unlockKey: nil, ifVersion: info.version, applying: .keep))
        let stranded = try await objects.signer()
        #expect(stranded.external == nil)
        await #expect(throws: ShoalError.self) {
            try await stranded.sign(csr: csr, nodeID: "m1", role: .manager, clusterID: "c1", host: "", validity: 3600)
        }
    }

    @Test func whatAnExternalCAAnswersIsChecked() async throws {
        let external = try RootCA.create()
        let stranger = try RootCA.create()
        let csr = try NodeKey.generate().makeCSR()
        let request = try external.externalSignRequest(csr: csr, nodeID: "n1", role: .manager, clusterID: "c1",
                                                       ipAddresses: ["10.0.0.1", "127.0.0.1"])
        #expect(request.hosts == ["swarm-manager", "n1", "swarm-ca", "10.0.0.1", "127.0.0.1"])
        #expect(request.subject.CN == "n1" && request.subject.names.map(\.O) == ["c1"]
                && request.subject.names.map(\.OU) == ["swarm-manager"])
        let json = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        #expect(json.contains(#""certificate_request":"#) && json.contains(#""names":[{"#))

        let good = try external.sign(csr: csr, nodeID: "n1", role: .manager, clusterID: "c1")
        #expect(try external.acceptExternal(good + external.certificatePEM, for: request).count == 1)
        #expect(throws: ShoalError.self) {
            try external.acceptExternal(try stranger.sign(csr: csr, nodeID: "n1", role: .manager, clusterID: "c1"),
                                        for: request)
        }
        #expect(throws: ShoalError.self) {
            try external.acceptExternal(try external.sign(csr: try NodeKey.generate().makeCSR(), nodeID: "n1",
                                                          role: .manager, clusterID: "c1"), for: request)
        }
        #expect(throws: ShoalError.self) {
            try external.acceptExternal(try external.sign(csr: csr, nodeID: "n1", role: .worker, clusterID: "c1"),
                                        for: request)
        }
        #expect(throws: ShoalError.self) { try external.acceptExternal("", for: request) }

        // CFSSL's answers.
        let answer = #"{"success":true,"result":{"certificate":"PEM"},"errors":[],"messages":[]}"#
        #expect(try CFSSLResponse.certificate(from: Array(answer.utf8)) == "PEM")
        let refusal = #"{"success":false,"result":null,"errors":[{"code":2400,"message":"bad request"}]}"#
        #expect(throws: ShoalError.self) { try CFSSLResponse.certificate(from: Array(refusal.utf8)) }
        #expect((try? CFSSLResponse.certificate(from: Array(refusal.utf8))) == nil)
        #expect(throws: ShoalError.self) { try CFSSLResponse.certificate(from: Array("<html>".utf8)) }
    }

    actor Probed {
        var calls: [[String]] = []
        func add(_ url: String, _ root: String) { calls.append([url, root]) }
    }

    func error(_ body: () async throws -> Any) async -> ShoalError? { await ServiceStoreTests.refusal(body) }

    func message(_ body: () async throws -> Any) async -> String? { await error(body)?.message }
}
