import ShoalCA
import ShoalCore
import ShoalManager
import Testing

/// Who may call what on the control API: anonymous callers only what is open to anyone, workers not what is for
/// managers, and no certificate from another cluster.
@Suite struct ControlAccessTests {
    func certificate(_ role: NodeRole, cluster: String = "c1") throws -> NodeCertificate {
        let root = try RootCA.create()
        let key = NodeKey.generate()
        let pem = try root.sign(csr: try key.makeCSR(), nodeID: RandomID.generate(), role: role, clusterID: cluster)
        return try NodeCertificate.parse(pem)
    }

    @Test func rolesAndClusters() throws {
        let worker = try certificate(.worker)
        let manager = try certificate(.manager)
        try ControlAccess.anyone.check(nil, clusterID: "c1")
        #expect(throws: ShoalError.self) { try ControlAccess.anyNode.check(nil, clusterID: "c1") }
        try ControlAccess.anyNode.check(worker, clusterID: "c1")
        try ControlAccess.anyNode.check(manager, clusterID: "c1")
        try ControlAccess.managers.check(manager, clusterID: "c1")
        let denied = #expect(throws: ShoalError.self) { try ControlAccess.managers.check(worker, clusterID: "c1") }
        #expect(denied?.code == .permissionDenied)
        #expect(throws: ShoalError.self) { try ControlAccess.anyNode.check(try certificate(.worker, cluster: "c2"), clusterID: "c1") }
    }
}
