import Foundation
import ShoalArchive
import ShoalCore
import ShoalTestSupport
import Testing

@Suite struct ArchiveRoundTripTests {
    @Test func addTreeThenReadBackAndExtract() async throws {
        try await TestRun.with("arc") { run in
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("ln \(rootfs)/etc/passwd \(rootfs)/etc/passwd.hard && mkfifo \(rootfs)/tmp/fifo")
            let tar = run.path("out.tar")
            let writer = try ArchiveWriter(path: tar)
            try writer.addTree(at: rootfs, as: ".")
            try writer.finish()

            let reader = try ArchiveReader(path: tar)
            var names: [String: ArchiveEntry] = [:]
            while let entry = try reader.next() {
                names[entry.path] = entry
                if entry.path == "etc/group" {
                    #expect(String(decoding: try reader.readAll(), as: UTF8.self).hasPrefix("root:x:0:"))
                }
            }
            #expect(names["bin/sh"]?.kind == .symlink && names["bin/sh"]?.linkTarget == "busybox")
            #expect(names["tmp/"]?.permissions == 0o1777)
            let hard = [names["etc/passwd"], names["etc/passwd.hard"]].compactMap { $0 }
            #expect(hard.filter { $0.kind == .hardlink }.count == 1)
            #expect(names["tmp/fifo"]?.kind == .fifo)

            let result = try Extraction.extractLayer(archiveAt: tar, to: run.path("copy"))
            #expect(result.diffID == Digest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: tar))))
            #expect(FileManager.default.contentsEqual(atPath: rootfs + "/bin/busybox", andPath: run.path("copy/bin/busybox")))
            #expect(treeListing(rootfs) == treeListing(run.path("copy")))
        }
    }

    @Test func cleanAndResolveInRoot() async throws {
        #expect(TarPath.clean("./a/b/../c") == "a/c")
        #expect(TarPath.clean("/abs//x/") == "abs/x")
        #expect(TarPath.clean("./") == "")
        #expect(TarPath.clean("a/../../b") == nil)
        try await TestRun.with("arc") { run in
            let root = run.path("r")
            try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root + "/abs", withDestinationPath: "/real")
            try FileManager.default.createSymbolicLink(atPath: root + "/up", withDestinationPath: "../../../../real")
            #expect(try TarPath.resolve("abs/f", inRoot: root) == root + "/real/f")
            #expect(try TarPath.resolve("up/f", inRoot: root) == root + "/real/f")
            #expect(try TarPath.resolve("../../etc/passwd", inRoot: root) == root + "/etc/passwd")
        }
    }
}
