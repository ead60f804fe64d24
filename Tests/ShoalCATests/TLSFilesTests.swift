import Foundation
import Testing
@testable import ShoalCA

@Suite struct TLSFilesTests {
    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? NSNumber).intValue
    }

    @Test func writesThreeFilesWithTheKeyPrivate() throws {
        let fixture = try Fixture()
        let directory = try TemporaryDirectory()
        let target = directory.url.appendingPathComponent("tls/nested")
        let files = TLSFiles(rootCA: fixture.root, certificatePEM: fixture.chainPEM, key: fixture.key)
        try files.write(to: target)
        #expect(try mode(target.appendingPathComponent("node.key").path) == 0o600)
        #expect(try mode(target.appendingPathComponent("node.crt").path) == 0o644)
        #expect(try mode(target.appendingPathComponent("ca.crt").path) == 0o644)
        #expect(try mode(target.path) == 0o700)
        #expect(try TLSFiles.read(from: target) == files)
        #expect(try String(contentsOfFile: target.appendingPathComponent("ca.crt").path, encoding: .utf8) == fixture.root.certificatePEM)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: target.path).sorted()
        #expect(leftovers == ["ca.crt", "node.crt", "node.key"])
    }

    @Test func overwritesAnOldKeyWithLooseModeTight() throws {
        let fixture = try Fixture()
        let directory = try TemporaryDirectory()
        let keyPath = directory.path("node.key")
        try "old".write(toFile: keyPath, atomically: false, encoding: .utf8)
        chmod(keyPath, 0o644)
        try TLSFiles(rootCA: fixture.root, certificatePEM: fixture.chainPEM, key: fixture.key).write(to: directory.url)
        #expect(try mode(keyPath) == 0o600)
        #expect(try NodeKey(pem: String(contentsOfFile: keyPath, encoding: .utf8)).pem == fixture.key.pem)
    }

    @Test func readingAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        let error = caError { _ = try TLSFiles.read(from: directory.url.appendingPathComponent("absent")) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func writingWhereADirectoryCannotBeMadeFails() throws {
        let directory = try TemporaryDirectory()
        try "file".write(toFile: directory.path("blocker"), atomically: false, encoding: .utf8)
        let fixture = try Fixture()
        let files = TLSFiles(rootCA: fixture.root, certificatePEM: fixture.chainPEM, key: fixture.key)
        #expect(caError { try files.write(to: directory.url.appendingPathComponent("blocker")) }?.code == .internalError)
    }
}
