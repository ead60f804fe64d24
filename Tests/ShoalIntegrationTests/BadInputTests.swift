import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Hostile or broken input through the docker CLI: every refused load leaves the image store exactly as it was,
/// and bad names get Docker's messages and exit codes.
@Suite(.serialized, .timeLimit(.minutes(3))) struct BadInputTests {
    /// Loads `tarball`, expects a refusal mentioning `message`, and checks the store is unchanged.
    func expectRefusedLoad(_ daemon: DaemonFixture, _ tarball: String, _ message: String,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let listing = try await ImageFixtures.storeListing(daemon)
        let ids = try await ImageFixtures.imageIDs(daemon)
        let result = try await daemon.docker(["load", "-i", tarball])
        #expect(result.status == 1, "\(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(try await ImageFixtures.storeListing(daemon) == listing, sourceLocation: sourceLocation)
        #expect(try await ImageFixtures.imageIDs(daemon) == ids, sourceLocation: sourceLocation)
        #expect(try await Shell.sh("ls -A '\(daemon.dataRoot)/tmp'") == "", "spool left behind", sourceLocation: sourceLocation)
    }

    /// A docker-save tarball of busybox plus one hostile layer on top.
    func hostileImage(_ run: TestRun, _ rootfs: String, layerScript: String) async throws -> String {
        let layer = run.path("hostile-\(UUID().uuidString.prefix(8)).tar")
        try await ImageFixtures.pythonTar(layer, layerScript)
        return try await ImageFixtures.dockerSave(run, [.init(repoTags: [run.name("evil") + ":1"],
                                                              layers: [.directory(rootfs), .tarball(layer)])]).path
    }

    @Test func hostileLayersAreRefusedAndLeaveNothing() async throws {
        try await TestRun.with("badlayer") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let rootfs = try ImageFixtures.rootfs(run)
            let marker = "escape-\(run.id)"

            let dotdot = try await hostileImage(run, rootfs, layerScript: """
            t.addfile(*reg("ok"))
            t.addfile(*reg("../../../../\(marker)"))
            """)
            try await expectRefusedLoad(daemon, dotdot, "escapes the layer root")

            let hardlink = try await hostileImage(run, rootfs, layerScript: """
            t.addfile(*reg("ok"))
            info = tarfile.TarInfo("passwd-link"); info.type = tarfile.LNKTYPE; info.linkname = "../../../../../../../etc/passwd"
            t.addfile(info)
            """)
            let passwdLinks = try await Shell.sh("stat -c %h /etc/passwd")
            try await expectRefusedLoad(daemon, hardlink, "hard link target escapes the layer root")
            #expect(try await Shell.sh("stat -c %h /etc/passwd") == passwdLinks)

            let outside = "/tmp/shoal-outside-\(run.id)"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            run.onCleanup("remove \(outside)") { try? FileManager.default.removeItem(atPath: outside) }
            let symlink = try await hostileImage(run, rootfs, layerScript: """
            info = tarfile.TarInfo("link"); info.type = tarfile.SYMTYPE; info.linkname = "\(outside)"
            t.addfile(info)
            t.addfile(*reg("link/evil", b"written through the link"))
            """)
            try await expectRefusedLoad(daemon, symlink, "link/evil")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)

            // The same trick with a relative symlink climbing out.
            let relative = try await hostileImage(run, rootfs, layerScript: """
            info = tarfile.TarInfo("up"); info.type = tarfile.SYMTYPE; info.linkname = "../../../../../../../../../\(outside.dropFirst())"
            t.addfile(info)
            t.addfile(*reg("up/evil2"))
            """)
            try await expectRefusedLoad(daemon, relative, "up/evil2")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
            // `../../../../marker` from a layer's staging directory would land in the data root, inside the run.
            #expect(try await Shell.sh("find '\(run.directory.path)' /tmp -maxdepth 4 -name '\(marker)' 2>/dev/null | head -1") == "")

            // The daemon still works after all that.
            #expect(try await daemon.dockerOK(["run", "--rm", "busybox", "echo", "fine"]) == "fine")
        }
    }

    @Test func brokenArchivesAreRefusedAndLeaveNothing() async throws {
        try await TestRun.with("badarch") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let rootfs = try ImageFixtures.rootfs(run)
            let name = run.name("broken")

            // Truncated in the middle of the layer.
            let good = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):1"], layers: [.directory(rootfs)])])
            let truncated = run.path("truncated.tar")
            let size = try FileManager.default.attributesOfItem(atPath: good.path)[.size] as? Int ?? 0
            try await Shell.sh("head -c \(size * 6 / 10) '\(good.path)' > '\(truncated)'")
            try await expectRefusedLoad(daemon, truncated, "runcated")

            // A config whose diffID is not the layer's.
            let mismatch = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):2"], layers: [.directory(rootfs)],
                                                                          diffIDOverride: [Digest.sha256(of: Array("other".utf8))])])
            try await expectRefusedLoad(daemon, mismatch.path, "layer digest mismatch")

            // The same mismatch in an OCI layout (gzip layers): the blob digest is right, the diffID is not.
            let ociMismatch = try await ImageFixtures.ociLayout(run, [.init(repoTags: ["\(name):3"], layers: [.directory(rootfs)],
                                                                            diffIDOverride: [Digest.sha256(of: Array("x".utf8))])])
            try await expectRefusedLoad(daemon, ociMismatch.path, "layer digest mismatch")

            // No manifest.json (nor index.json).
            let bare = run.path("bare")
            try FileManager.default.createDirectory(atPath: bare + "/abc", withIntermediateDirectories: true)
            try await ImageTarballs.layerTar(of: rootfs, to: bare + "/abc/layer.tar")
            try #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
                .write(toFile: bare + "/config.json", atomically: true, encoding: .utf8)
            let noManifest = run.path("no-manifest.tar")
            try await Shell.sh("tar -C '\(bare)' -cf '\(noManifest)' .")
            try await expectRefusedLoad(daemon, noManifest, "manifest.json")

            // manifest.json naming a layer the tarball lacks.
            try #"[{"Config":"config.json","RepoTags":["x:1"],"Layers":["missing/layer.tar"]}]"#
                .write(toFile: bare + "/manifest.json", atomically: true, encoding: .utf8)
            let missingLayer = run.path("missing-layer.tar")
            try await Shell.sh("tar -C '\(bare)' -cf '\(missingLayer)' .")
            try await expectRefusedLoad(daemon, missingLayer, "missing")

            // Not a tar at all.
            let garbage = run.path("garbage.tar")
            try String(repeating: "not a tarball ", count: 200).write(toFile: garbage, atomically: true, encoding: .utf8)
            try await expectRefusedLoad(daemon, garbage, "Error response from daemon")

            #expect(try await ImageFixtures.imageIDs(daemon).count == 1)
        }
    }

    @Test func badReferencesGetDockersMessages() async throws {
        try await TestRun.with("badref") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()

            let runBad = try await daemon.docker(["run", "--rm", "UPPER:case"])
            #expect(runBad.status == 125)
            #expect(runBad.stderr.contains("invalid reference format"), "\(runBad.stderr)")
            let pullBad = try await daemon.docker(["pull", "UPPER:case"])
            #expect(pullBad.status == 1)
            #expect(pullBad.stderr.contains("invalid reference format"), "\(pullBad.stderr)")
            let tagBad = try await daemon.docker(["tag", "busybox", "Bad Name:1"])
            #expect(tagBad.status == 1)
            #expect(tagBad.stderr.contains("invalid reference format"), "\(tagBad.stderr)")
            let missing = try await daemon.docker(["rmi", "no-such-\(run.name("i"))"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("Error response from daemon: No such image: no-such-\(run.name("i")):latest"),
                    "\(missing.stderr)")
            let inspect = try await daemon.docker(["image", "inspect", "no-such-\(run.name("i"))"])
            #expect(inspect.status == 1)
            #expect(inspect.stderr.contains("No such image"), "\(inspect.stderr)")

            // The CLI checks names itself; the daemon must refuse them too (other clients send them as is).
            for (method, path) in [("POST", "/images/create?fromImage=UPPER&tag=case"),
                                   ("POST", "/images/busybox/tag?repo=Bad%20Name&tag=1"),
                                   ("POST", "/images/busybox/tag?repo=ok&tag=bad%3Atag"),
                                   ("GET", "/images/UPPER:case/json")] {
                let response = try await Shell.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "-X", method, "--unix-socket",
                                                                     daemon.socket, "http://docker/v1.41" + path])
                let lines = response.stdout.split(separator: "\n")
                #expect(lines.last == "400" || (method == "GET" && lines.last == "404"), "\(path): \(response.stdout)")
                #expect(response.stdout.contains("invalid reference format") || response.stdout.contains("No such image"),
                        "\(path): \(response.stdout)")
            }
            #expect(try await ImageFixtures.imageIDs(daemon).count == 1)
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}:{{.Tag}}"]) == "busybox:latest")
        }
    }

    @Test func fullDiskDuringLoadFailsCleanly() async throws {
        try await TestRun.with("badfull") { run in
            let mountPoint = run.path("small")
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            try await Shell.sh("mount -t tmpfs -o size=16m shoal-test-tmpfs '\(mountPoint)'")
            run.onCleanup("umount \(mountPoint)") { _ = try? await Shell.run("/bin/umount", ["-l", mountPoint]) }
            let daemon = try await DaemonFixture(run, dataRoot: mountPoint + "/data")
            try await daemon.loadBusybox()
            let rootfs = try ImageFixtures.rootfs(run)

            // 40 MB of zeros compress to almost nothing: the upload fits, unpacking the layer does not.
            let big = run.path("big")
            try FileManager.default.createDirectory(atPath: big, withIntermediateDirectories: true)
            try await Shell.sh("dd if=/dev/zero of='\(big)/zeros' bs=1M count=40 status=none")
            let name = run.name("big")
            let layout = try await ImageFixtures.ociLayout(run, [.init(repoTags: ["\(name):1"],
                                                                       layers: [.directory(rootfs), .directory(big)])])
            try await expectRefusedLoad(daemon, layout.path, "No space left on device")

            // Incompressible: the spooled upload itself does not fit.
            try await Shell.sh("rm -f '\(big)/zeros' && head -c 20000000 /dev/urandom > '\(big)/random'")
            let random = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):2"], layers: [.directory(big)])])
            let listing = try await ImageFixtures.storeListing(daemon)
            let result = try await daemon.docker(["load", "-i", random.path])
            #expect(result.status == 1)
            #expect(result.stderr.lowercased().contains("no space left on device"), "\(result.stderr)")
            #expect(try await ImageFixtures.storeListing(daemon) == listing)
            #expect(try await Shell.sh("ls -A '\(daemon.dataRoot)/tmp'") == "", "spool left behind")

            // The store still works: space is back and a small image loads and runs.
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}"]) == "busybox")
            #expect(try await daemon.dockerOK(["run", "--rm", "busybox", "echo", "still-ok"]) == "still-ok")
            let small = try ImageFixtures.fileLayer(run, file: "f", content: "small\n")
            let fits = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):3"], layers: [.directory(rootfs), .directory(small)])])
            #expect(try await daemon.dockerOK(["load", "-i", fits.path]) == "Loaded image: \(name):3")
        }
    }
}
