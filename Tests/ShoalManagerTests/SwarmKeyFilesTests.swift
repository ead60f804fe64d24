import Foundation
import ShoalCA
import ShoalCore
import ShoalTestSupport
import Testing

@testable import ShoalManager

/// A node's key material at rest in its two forms: clear files, or sealed files with links into the exec root
/// that hold the clear copies only while the manager is unlocked.
@Suite struct SwarmKeyFilesTests {
    private func material() throws -> (TLSFiles, ClusterDataKey) {
        let root = try RootCA.create()
        let key = NodeKey.generate()
        let certificate = try root.sign(csr: try key.makeCSR(commonName: "n1"), nodeID: "n1", role: .manager,
                                        clusterID: "c1", ipAddresses: ["127.0.0.1"], validity: .seconds(3600))
        return (TLSFiles(rootCA: root, certificatePEM: certificate, key: key), ClusterDataKey.generate())
    }

    private func isLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }

    /// Every regular file of the swarm directory that shows `text` in clear.
    private func filesShowing(_ text: String, in paths: SwarmPaths) -> [String] {
        let names = FileManager.default.enumerator(atPath: paths.directory)?.allObjects as? [String] ?? []
        return names.filter { name in
            let path = paths.directory + "/" + name
            return !isLink(path) && (FileManager.default.contents(atPath: path).map {
                String(decoding: $0, as: UTF8.self).contains(text)
            } ?? false)
        }
    }

    @Test func sealingMovesTheClearCopiesOutOfTheDataRootAndOnlyTheKeyOpensThem() async throws {
        try await TestRun.with("keyfiles") { run in
            let paths = SwarmPaths(dataRoot: run.path("data"), runRoot: run.path("run"))
            let files = SwarmKeyFiles(paths: paths)
            let (tls, dataKey) = try material()
            files.reset(unlockKey: nil)
            try files.writeTLS(tls)
            try files.writeDataKey(dataKey)
            #expect(!files.isSealed && !isLink(paths.nodeKey))
            #expect(filesShowing("PRIVATE KEY", in: paths) == ["certificates/node.key"])

            let key = UnlockKey.generate()
            try files.reseal(with: key)
            #expect(files.isSealed && files.unlockKey == key)
            #expect(isLink(paths.nodeKey) && isLink(paths.dataKey))
            #expect(filesShowing("PRIVATE KEY", in: paths).isEmpty)
            #expect(filesShowing(Data(dataKey.bytes).base64EncodedString(), in: paths).isEmpty)
            // Readers keep their paths.
            #expect(try TLSFiles.read(from: URL(fileURLWithPath: paths.tls)) == tls)
            #expect(try ClusterDataKey.read(from: paths.dataKey) == dataKey)
            let unlocked = paths.unlockedKeys + "/node.key"
            let mode = try FileManager.default.attributesOfItem(atPath: unlocked)[.posixPermissions]
            #expect(mode as? Int == 0o600)

            // Stopped: the clear copies go. A new start opens the material with the key only.
            files.lock()
            #expect(throws: (any Error).self) { try TLSFiles.read(from: URL(fileURLWithPath: paths.tls)) }
            let restarted = SwarmKeyFiles(paths: paths)
            #expect(restarted.isSealed && restarted.unlockKey == nil)
            do {
                try restarted.unlock(with: UnlockKey.generate())
                Issue.record("a wrong key unlocked the material")
            } catch let error as ShoalError {
                #expect(error.code == .permissionDenied)
            }
            #expect(!FileManager.default.fileExists(atPath: paths.unlockedKeys + "/node.key"))
            try restarted.unlock(with: key)
            #expect(try TLSFiles.read(from: URL(fileURLWithPath: paths.tls)) == tls)
            #expect(try ClusterDataKey.read(from: paths.dataKey) == dataKey)

            // A renewed certificate while sealed is sealed too; a new key re-seals everything.
            let (renewed, _) = try material()
            try restarted.writeTLS(renewed)
            #expect(filesShowing("PRIVATE KEY", in: paths).isEmpty)
            let next = UnlockKey.generate()
            try restarted.reseal(with: next)
            restarted.lock()
            #expect(throws: ShoalError.self) { try SwarmKeyFiles(paths: paths).unlock(with: key) }
            try SwarmKeyFiles(paths: paths).unlock(with: next)
            #expect(try TLSFiles.read(from: URL(fileURLWithPath: paths.tls)).keyPEM == renewed.keyPEM)

            // Back to clear (autolock off, or a demoted manager): plain files, nothing sealed, no clear copies.
            try restarted.reseal(with: nil)
            #expect(!restarted.isSealed && !isLink(paths.nodeKey) && !isLink(paths.dataKey))
            #expect(!FileManager.default.fileExists(atPath: paths.unlockedKeys + "/node.key"))
            #expect(try TLSFiles.read(from: URL(fileURLWithPath: paths.tls)).keyPEM == renewed.keyPEM)
            #expect(try ClusterDataKey.read(from: paths.dataKey) == dataKey)
            restarted.removeDataKey()
            #expect(try ClusterDataKey.read(from: paths.dataKey) == nil)
        }
    }
}
