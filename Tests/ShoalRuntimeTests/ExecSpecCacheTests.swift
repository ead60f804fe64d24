import Foundation
@testable import ShoalRuntime
import Testing

/// The exec spec memo gives what the file holds now: a spec rewritten in place (`docker update`) or replaced (a new
/// container under the same id) is decoded again, a forgotten container is read anew, and a missing file is an
/// error rather than a remembered spec.
@Suite struct ExecSpecCacheTests {
    static func spec(_ args: [String]) throws -> [UInt8] {
        let options = ContainerSpecOptions(id: "abc", rootfs: "/r", args: args)
        return Array(try JSONEncoder().encode(try SpecBuilder.build(options, user: ExecUser(
            uid: 0, gid: 0, additionalGids: [], home: "/root"))))
    }

    @Test func aRewrittenOrReplacedSpecIsReadAgain() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exec-spec-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.json"
        let cache = ExecSpecCache()

        try Data(try Self.spec(["first"])).write(to: URL(fileURLWithPath: path))
        #expect(try cache.spec(id: "c", path: path).process.args == ["first"])
        #expect(try cache.spec(id: "c", path: path).process.args == ["first"])

        // Rewritten in place, the same size: the change time tells.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: try Self.spec(["again"]))
        try handle.close()
        #expect(try cache.spec(id: "c", path: path).process.args == ["again"])

        // Replaced by another file (another inode).
        try Data(try Self.spec(["replaced"])).write(to: URL(fileURLWithPath: path), options: .atomic)
        #expect(try cache.spec(id: "c", path: path).process.args == ["replaced"])

        cache.forget("c")
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: (any Error).self) { try cache.spec(id: "c", path: path) }
    }
}
