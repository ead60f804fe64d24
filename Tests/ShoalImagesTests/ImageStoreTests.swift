import Foundation
import ShoalArchive
import ShoalCore
import ShoalImages
import ShoalOCI
import ShoalTestSupport
import Testing

@Suite struct ImageStoreLoadTests {
    @Test func loadsADockerSaveTarball() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let (tarball, id) = try await fixtures.busyboxSave(gzip: true)
            let store = try fixtures.store()
            let results = try await store.load(tarballAt: tarball)
            #expect(results.map(\.message) == ["Loaded image: busybox:latest"])
            let image = try await store.image("busybox")
            #expect(image.id == id)
            #expect(image.repoTags == ["busybox:latest"])
            #expect(image.config.cmd == ["/bin/sh"])
            #expect(image.size > 1_000_000 && image.size == image.virtualSize)
            #expect(try await store.image(id.shortHex).id == id)
            #expect(try await store.image(id.description).id == id)
            let dirs = try await store.layerDirectories(for: "busybox:latest")
            #expect(dirs.count == 1)
            #expect(FileManager.default.isExecutableFile(atPath: dirs[0] + "/bin/busybox"))
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dirs[0] + "/bin/sh") == "busybox")
            let missing = await #expect(throws: ShoalError.self) { try await store.image("nothere") }
            #expect(missing?.message == "No such image: nothere:latest")
            #expect(missing?.code == .notFound)
            // State survives a restart.
            let reopened = try fixtures.store()
            #expect(try await reopened.image("busybox:latest").id == id)
        }
    }

    @Test func loadsAnOCILayout() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let path = run.path("oci.tar.gz")
            let ids = try await ImageTarballs.ociLayout(
                [.init(repoTags: ["localhost:5000/tools/bb:1"], layers: [.directory(fixtures.base), .directory(fixtures.extra)]),
                 .init(repoTags: [], layers: [.directory(fixtures.extra)], cmd: ["/bin/true"])],
                to: path, work: run.directory.path, gzip: true)
            let store = try fixtures.store()
            let results = try await store.load(tarballAt: path)
            #expect(results.map(\.message) == ["Loaded image: localhost:5000/tools/bb:1", "Loaded image ID: \(ids[1])"])
            let image = try await store.image("localhost:5000/tools/bb:1")
            #expect(image.id == ids[0])
            let dirs = try await store.layerDirectories(for: ids[0].hex)
            #expect(dirs.count == 2)
            #expect(FileManager.default.fileExists(atPath: dirs[0] + "/etc/extra"))
            #expect(FileManager.default.fileExists(atPath: dirs[1] + "/bin/busybox"))
            #expect(try await store.image(ids[1].hex).repoTags == [])
        }
    }

    @Test func sharedBaseLayerIsStoredOnce() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let (first, _) = try await fixtures.busyboxSave(tags: ["base:1"], name: "a.tar")
            let second = run.path("b.tar")
            try await ImageTarballs.dockerSave([.init(repoTags: ["app:1"], layers: [.directory(fixtures.base), .directory(fixtures.extra)])],
                                               to: second, work: run.directory.path)
            let store = try fixtures.store()
            // Loaded concurrently: the shared layer must be unpacked once and both loads must succeed.
            async let a = store.load(tarballAt: first)
            async let b = store.load(tarballAt: second)
            _ = try await (a, b)
            #expect(try FileManager.default.contentsOfDirectory(atPath: run.path("store/layers")).count == 2)
            let base = try await store.layerDirectories(for: "base:1")
            let app = try await store.layerDirectories(for: "app:1")
            #expect(app.count == 2 && app[1] == base[0])
            let usage = await store.diskUsage()
            #expect(usage.images.count == 2)
            // Both images share exactly the base layer, which is the whole of base:1.
            let baseSize = try await store.image("base:1").size
            #expect(usage.images.allSatisfy { $0.sharedSize == baseSize })
            #expect(usage.layersSize < usage.images.reduce(0) { $0 + $1.record.size })
            // The same tarball twice at once.
            async let c = store.load(tarballAt: first)
            async let d = store.load(tarballAt: first)
            _ = try await (c, d)
            #expect(await store.list().count == 2)
        }
    }

    @Test func saveThenLoadGivesTheSameImage() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let path = run.path("oci.tar")
            let ids = try await ImageTarballs.ociLayout(
                [.init(repoTags: ["app:2"], layers: [.directory(fixtures.base), .directory(fixtures.extra)])],
                to: path, work: run.directory.path)
            let store = try fixtures.store()
            _ = try await store.load(tarballAt: path)
            try await store.tag("app:2", "other/app:3")
            let saved = run.path("saved.tar")
            try await store.save(["app", "other/app:3"], to: saved)
            let listing = try await Shell.sh("tar -tf \(saved)")
            #expect(listing.contains("manifest.json") && listing.contains("index.json") && listing.contains("repositories"))

            let fresh = try fixtures.store("fresh")
            let results = try await fresh.load(tarballAt: saved)
            #expect(Set(results.map(\.message)) == ["Loaded image: app:2", "Loaded image: other/app:3"])
            let image = try await fresh.image("app:2")
            #expect(image.id == ids[0])
            #expect(image.repoTags == ["app:2", "other/app:3"])
            #expect(FileManager.default.fileExists(atPath: try await fresh.layerDirectories(for: "app:2")[0] + "/etc/extra"))
            // Saved by ID: no tags in the tarball.
            try await store.save([ids[0].hex], to: run.path("byid.tar"))
            let third = try fixtures.store("third")
            #expect(try await third.load(tarballAt: run.path("byid.tar")).map(\.message) == ["Loaded image ID: \(ids[0])"])
        }
    }

    @Test func importMakesAOneLayerImage() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let tar = run.path("rootfs.tar")
            let diffID = try await ImageTarballs.layerTar(of: fixtures.base, to: tar)
            try await Shell.sh("gzip -k \(tar)")
            let store = try fixtures.store()
            let changes = try ImageChanges.apply(["CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", "ENV A=1 B=2", "EXPOSE 80",
                                                  "WORKDIR /tmp", "USER app", "LABEL x=y"])
            let image = try await store.importRootfs(tarAt: tar + ".gz", reference: "imported", changes: changes,
                                                     message: "from test")
            #expect(image.repoTags == ["imported:latest"])
            #expect(image.diffIDs == [diffID])
            #expect(image.config.cmd == ["/bin/sh", "-c", "echo hi"])
            #expect(image.config.env == ["A=1", "B=2"])
            #expect(image.config.exposedPorts?.keys.sorted() == ["80/tcp"])
            #expect(image.config.workingDir == "/tmp" && image.config.user == "app" && image.config.labels == ["x": "y"])
            #expect(image.comment == "from test")
            let history = try await store.history("imported")
            #expect(history.count == 1 && history[0].id == image.id.description && history[0].tags == ["imported:latest"])
            #expect(history[0].size == image.size)
            #expect(throws: ShoalError.self) { try ImageChanges.apply(["FROM scratch"]) }
        }
    }
}

@Suite struct ImageStoreRemoveTests {
    @Test func tagUntagConflictsAndRemove() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let (tarball, id) = try await fixtures.busyboxSave()
            let store = try fixtures.store()
            let empty = treeListing(run.path("store"))
            _ = try await store.load(tarballAt: tarball)
            try await store.tag("busybox", "mine/bb:1")
            #expect(try await store.image("mine/bb:1").repoTags == ["busybox:latest", "mine/bb:1"])

            // By ID while two repositories name it: a soft conflict.
            let multiple = await #expect(throws: ShoalError.self) { try await store.remove(id.hex) }
            #expect(multiple?.message == "conflict: unable to delete \(id.shortHex) (must be forced) - image is referenced in multiple repositories")
            #expect(multiple?.code == .conflict)

            // Untagging one of two references only untags.
            #expect(try await store.remove("busybox") == [.untagged("busybox:latest")])

            // The last reference while a container uses the image: must force.
            let stopped: @Sendable (Digest) -> [ImageUser] = { _ in [ImageUser(containerID: String(repeating: "c", count: 64), running: false)] }
            let inUse = await #expect(throws: ShoalError.self) { try await store.remove("mine/bb:1", usage: stopped) }
            #expect(inUse?.message == "conflict: unable to remove repository reference \"mine/bb:1\" (must force) - container cccccccccccc is using its referenced image \(id.shortHex)")
            let running: @Sendable (Digest) -> [ImageUser] = { _ in [ImageUser(containerID: "r1", running: true)] }
            let hard = await #expect(throws: ShoalError.self) { try await store.remove(id.hex, force: true, usage: running) }
            #expect(hard?.message == "conflict: unable to delete \(id.shortHex) (cannot be forced) - image is being used by running container r1")

            let removed = try await store.remove("mine/bb:1")
            #expect(removed.first == .untagged("mine/bb:1"))
            #expect(removed.contains(.deleted(id.description)))
            #expect(removed.count == 3)  // untagged, image, its one layer
            #expect(await store.list().isEmpty)
            #expect(treeListing(run.path("store")) == empty)
        }
    }

    @Test func pruneDanglingThenAll() async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let path = run.path("two.tar")
            let ids = try await ImageTarballs.ociLayout(
                [.init(repoTags: ["kept:1"], layers: [.directory(fixtures.base)]),
                 .init(repoTags: [], layers: [.directory(fixtures.extra)])],
                to: path, work: run.directory.path, gzipLayers: false)
            let store = try fixtures.store()
            _ = try await store.load(tarballAt: path)
            let dangling = try await store.prune()
            #expect(dangling.deleted.contains(.deleted(ids[1].description)))
            #expect(dangling.spaceReclaimed == 6)  // "extra\n"
            #expect(await store.list().map(\.id) == [ids[0]])
            let used: @Sendable (Digest) -> [ImageUser] = { _ in [ImageUser(containerID: "x", running: false)] }
            #expect(try await store.prune(all: true, usage: used).deleted.isEmpty)
            let all = try await store.prune(all: true)
            #expect(all.deleted.first == .untagged("kept:1") && all.spaceReclaimed > 1_000_000)
            #expect(await store.list().isEmpty)
        }
    }
}

@Suite struct ImageStoreBadTarballTests {
    enum Bad: String, CaseIterable, Sendable { case missingManifest, dotdotLayer, diffIDMismatch, truncated, ociBlobMismatch }

    @Test(arguments: Bad.allCases)
    func badTarballLeavesNothing(_ bad: Bad) async throws {
        try await TestRun.with("img") { run in
            let fixtures = try Fixtures(run)
            let store = try fixtures.store()
            // A good image already in the store must survive untouched.
            let (good, goodID) = try await fixtures.busyboxSave(tags: ["good:1"], name: "good.tar")
            _ = try await store.load(tarballAt: good)
            let before = treeListing(run.path("store"))
            let path = run.path("bad.tar")
            switch bad {
            case .missingManifest:
                try FileManager.default.createDirectory(atPath: run.path("junk"), withIntermediateDirectories: true)
                try "x".write(toFile: run.path("junk/layer.tar"), atomically: true, encoding: .utf8)
                try await Shell.sh("tar -C \(run.path("junk")) -cf \(path) .")
            case .dotdotLayer:
                let evil = run.path("evil.tar")
                let writer = try ArchiveWriter(path: evil)
                try writer.write(path: "ok", contents: Array("fine".utf8))
                try writer.write(path: "../../escape-\(run.id)", contents: Array("pwned".utf8))
                try writer.finish()
                try await ImageTarballs.dockerSave([.init(repoTags: ["evil:1"], layers: [.directory(fixtures.extra), .tarball(evil)])],
                                                   to: path, work: run.directory.path)
            case .diffIDMismatch:
                let wrong = Digest.sha256(of: Array("nope".utf8))
                try await ImageTarballs.dockerSave([.init(repoTags: ["bad:1"], layers: [.directory(fixtures.extra)], diffIDOverride: [wrong])],
                                                   to: path, work: run.directory.path)
            case .truncated:
                try await ImageTarballs.dockerSave([.init(repoTags: ["cut:1"], layers: [.directory(fixtures.extra), .directory(fixtures.base)])],
                                                   to: path, work: run.directory.path)
                try await Shell.sh("truncate -s 600000 \(path)")
            case .ociBlobMismatch:
                try await ImageTarballs.ociLayout([.init(repoTags: ["oci:1"], layers: [.directory(fixtures.extra)])],
                                                  to: path, work: run.directory.path, gzipLayers: false)
                // Corrupt the layer blob inside the layout: its digest no longer matches the manifest.
                let dir = run.path("unpacked")
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try await Shell.sh("tar -C \(dir) -xf \(path) && for f in \(dir)/blobs/sha256/*; do if tar -tf $f >/dev/null 2>&1; then printf 'x' >> $f; fi; done && tar -C \(dir) -cf \(path) .")
            }
            await #expect(throws: ShoalError.self) { try await store.load(tarballAt: path) }
            #expect(treeListing(run.path("store")) == before, "\(bad)")
            #expect(await store.list().map(\.id) == [goodID])
            #expect(!FileManager.default.fileExists(atPath: "/tmp/escape-\(run.id)"))
        }
    }
}
