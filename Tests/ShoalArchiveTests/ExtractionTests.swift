import Foundation
import ShoalArchive
import ShoalCore
import ShoalTestSupport
import Testing

@Suite struct ExtractionTests {
    @Test func normalLayerKeepsModesOwnersTimesLinksDevicesAndXattrs() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            let digest = try TarFixture.write([
                .dir("./bin/"), .file("./bin/tool", "#!/bin/sh\n", mode: 0o4755), .dir("etc/", mode: 0o700),
                .file("etc/owned", "x", mode: 0o640, uid: 1000, gid: 1001), .symlink("bin/sh", to: "/bin/busybox"),
                .hardlink("bin/tool2", to: "bin/tool"), .charDevice("dev/null", major: 1, minor: 3), .fifo("run/fifo"),
                .fileWithXattr("bin/ping", "p", xattr: "user.shoal", value: "yes"),
            ], to: tar)
            let target = run.path("diff")
            let result = try Extraction.extractLayer(archiveAt: tar, to: target, options: .init(expectedDiffID: digest))
            #expect(result.diffID == digest)
            let tool = try #require(lstatInfo(target + "/bin/tool"))
            #expect(tool.st_mode & 0o7777 == 0o4755)
            #expect(tool.st_mtim.tv_sec == Int(TarFixture.mtime))
            #expect(try String(contentsOfFile: target + "/bin/tool", encoding: .utf8) == "#!/bin/sh\n")
            #expect(tool.st_nlink == 2)
            let owned = try #require(lstatInfo(target + "/etc/owned"))
            #expect(owned.st_uid == 1000 && owned.st_gid == 1001 && owned.st_mode & 0o7777 == 0o640)
            #expect(try #require(lstatInfo(target + "/etc")).st_mode & 0o7777 == 0o700)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/bin/sh") == "/bin/busybox")
            let null = try #require(lstatInfo(target + "/dev/null"))
            #expect(null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == (1 << 8 | 3))
            #expect(try #require(lstatInfo(target + "/run/fifo")).st_mode & S_IFMT == S_IFIFO)
            #expect(try await xattr(target + "/bin/ping", "user.shoal") == "yes")
            // No temporary directory is left beside the result.
            #expect(treeListing(run.directory.path).filter { !$0.hasPrefix("diff") }.sorted() == ["layer.tar"])
        }
    }

    @Test func gzipAndZstdLayersHaveTheDiffIDOfTheirTar() async throws {
        try await TestRun.with("arc") { run in
            let plain = try TarFixture.write([.file("a", "hello")], to: run.path("l.tar"))
            let gz = try TarFixture.write([.file("a", "hello")], to: run.path("l.tar.gz"), compression: .gzip)
            #expect(plain == gz)
            try await Shell.sh("zstd -q \(run.path("l.tar")) -o \(run.path("l.tar.zst"))")
            for (file, dir) in [("l.tar.gz", "g"), ("l.tar.zst", "z")] {
                let result = try Extraction.extractLayer(archiveAt: run.path(file), to: run.path(dir),
                                                         options: .init(expectedDiffID: plain))
                #expect(result.diffID == plain)
                #expect(try String(contentsOfFile: run.path(dir) + "/a", encoding: .utf8) == "hello")
            }
        }
    }

    @Test func whiteoutsBecomeOverlayWhiteoutsAndOpaqueDirectories() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            try TarFixture.write([
                .dir("etc/"), .file("etc/.wh.passwd", ""), .dir("var/"), .file("var/.wh..wh..opq", ""),
                .file("var/new", "n"), .file("opt/deep/.wh..wh..opq", ""), .file(".wh..wh.plnk", ""),
            ], to: tar)
            let target = run.path("diff")
            try Extraction.extractLayer(archiveAt: tar, to: target)
            let whiteout = try #require(lstatInfo(target + "/etc/passwd"))
            #expect(whiteout.st_mode & S_IFMT == S_IFCHR && whiteout.st_rdev == 0)
            #expect(lstatInfo(target + "/etc/.wh.passwd") == nil)
            #expect(try await xattr(target + "/var", "trusted.overlay.opaque") == "y")
            #expect(try await xattr(target + "/opt/deep", "trusted.overlay.opaque") == "y")
            #expect(lstatInfo(target + "/var/.wh..wh..opq") == nil)
            #expect(treeListing(target) == ["etc", "etc/passwd", "opt", "opt/deep", "var", "var/new"])
        }
    }

    @Test func imagesCannotSetOverlayXattrsThemselves() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            try TarFixture.write([.fileWithXattr("f", "x", xattr: "trusted.overlay.redirect", value: "/etc")], to: tar)
            try Extraction.extractLayer(archiveAt: tar, to: run.path("diff"))
            await #expect(throws: (any Error).self) { try await xattr(run.path("diff/f"), "trusted.overlay.redirect") }
        }
    }

    @Test func absoluteNamesLandInsideTheRoot() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            let marker = "/shoal-abs-\(run.id)"
            try TarFixture.write([.file(marker + "/file", "inside"), .file("/a/../b", "b")], to: tar)
            try Extraction.extractLayer(archiveAt: tar, to: run.path("diff"))
            #expect(try String(contentsOfFile: run.path("diff") + marker + "/file", encoding: .utf8) == "inside")
            #expect(FileManager.default.fileExists(atPath: run.path("diff/b")))
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    /// Each hostile archive is refused, and nothing is left: neither the target nor a temporary directory.
    @Test(arguments: [
        ("dotdot", [TarFixture.Item.file("../escape", "x")], "layer entry escapes the layer root: ../escape"),
        ("dotdot-deep", [.dir("a/"), .file("a/../../escape", "x")], "escapes the layer root"),
        ("hardlink", [.file("a", "x"), .hardlink("b", to: "../../../etc/passwd")], "hard link target escapes"),
        ("symlink-dir", [.symlink("link", to: "VICTIM"), .file("link/file", "pwned")], "through a symlink"),
        ("symlink-rel", [.symlink("up", to: "../../../../../../VICTIM"), .file("up/file", "pwned")], "through a symlink"),
        ("hardlink-via-symlink", [.symlink("link", to: "VICTIM"), .hardlink("h", to: "link/secret")], "through a symlink"),
        ("opaque-via-symlink", [.symlink("link", to: "VICTIM"), .file("link/.wh..wh..opq", "")], "through a symlink"),
    ] as [(String, [TarFixture.Item], String)])
    func hostileArchivesAreRefusedAndLeaveNothing(name: String, items: [TarFixture.Item], message: String) async throws {
        try await TestRun.with("arc") { run in
            let victim = "/tmp/shoal-victim-\(run.id)"
            try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
            try "secret".write(toFile: victim + "/secret", atomically: true, encoding: .utf8)
            run.onCleanup("victim") { try? FileManager.default.removeItem(atPath: victim) }
            let resolved = items.map { item -> TarFixture.Item in
                switch item {
                case let .symlink(n, t): return .symlink(n, to: t.replacingOccurrences(of: "VICTIM", with: victim))
                default: return item
                }
            }
            try FileManager.default.createDirectory(atPath: run.path("store"), withIntermediateDirectories: true)
            let tar = run.path("layer.tar")
            try TarFixture.write(resolved, to: tar)
            let error = #expect(throws: ShoalError.self) {
                try Extraction.extractLayer(archiveAt: tar, to: run.path("store/diff"))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
            #expect(treeListing(run.path("store")) == [])
            #expect(treeListing(victim) == ["secret"])
            #expect(try String(contentsOfFile: victim + "/secret", encoding: .utf8) == "secret")
        }
    }

    @Test func truncatedArchiveLeavesNothing() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            try TarFixture.write([.file("a", "x"), .big("big", bytes: 200_000)], to: tar)
            try await Shell.sh("truncate -s 100000 \(tar)")
            try FileManager.default.createDirectory(atPath: run.path("store"), withIntermediateDirectories: true)
            #expect(throws: ShoalError.self) { try Extraction.extractLayer(archiveAt: tar, to: run.path("store/diff")) }
            // A truncated gzip stream too.
            let gz = run.path("layer.tar.gz")
            try TarFixture.write([.big("big", bytes: 2_000_000)], to: gz, compression: .gzip)
            try await Shell.sh("truncate -s 1000 \(gz)")
            #expect(throws: ShoalError.self) { try Extraction.extractLayer(archiveAt: gz, to: run.path("store/diff")) }
            #expect(treeListing(run.path("store")) == [])
        }
    }

    @Test func diffIDMismatchLeavesNothing() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            try TarFixture.write([.file("a", "x")], to: tar)
            try FileManager.default.createDirectory(atPath: run.path("store"), withIntermediateDirectories: true)
            let wrong = Digest.sha256(of: Array("other".utf8))
            let error = #expect(throws: ShoalError.self) {
                try Extraction.extractLayer(archiveAt: tar, to: run.path("store/diff"), options: .init(expectedDiffID: wrong))
            }
            #expect(error?.message.contains("layer digest mismatch") == true)
            #expect(treeListing(run.path("store")) == [])
        }
    }

    @Test func diskFullLeavesNothing() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            try TarFixture.write([.file("a", "x"), .big("big", bytes: 1_000_000)], to: tar)
            let mount = run.path("tiny")
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            try await Shell.sh("mount -t tmpfs -o size=256k shoal-test \(mount)")
            run.onCleanup("umount \(mount)") { _ = try? await Shell.run("/bin/umount", [mount]) }
            let error = #expect(throws: ShoalError.self) { try Extraction.extractLayer(archiveAt: tar, to: mount + "/diff") }
            #expect(error?.code == .unavailable, "\(error?.description ?? "")")
            #expect(treeListing(mount) == [])
        }
    }

    @Test func existingTargetIsAConflict() async throws {
        try await TestRun.with("arc") { run in
            let tar = run.path("layer.tar")
            try TarFixture.write([.file("a", "x")], to: tar)
            try Extraction.extractLayer(archiveAt: tar, to: run.path("diff"))
            let error = #expect(throws: ShoalError.self) { try Extraction.extractLayer(archiveAt: tar, to: run.path("diff")) }
            #expect(error?.code == .conflict)
        }
    }
}
