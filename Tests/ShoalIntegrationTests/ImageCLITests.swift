import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// The image side of the engine driven by the stock docker CLI: load, list, inspect, tag, remove, prune, history,
/// save, import and image events, against a real daemon.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ImageCLITests {
    @Test func loadsDockerSaveAndOCILayoutTarballs() async throws {
        try await TestRun.with("imgload") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let saved = run.name("saved")
            let oci = run.name("oci")
            let save = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(saved):1"], layers: [.directory(rootfs)],
                                                                      cmd: ["echo", "from-save"])])
            let layout = try await ImageFixtures.ociLayout(run, [.init(repoTags: ["\(oci):2"], layers: [.directory(rootfs)],
                                                                       cmd: ["echo", "from-oci"])])
            #expect(try await daemon.dockerOK(["load", "-i", save.path]) == "Loaded image: \(saved):1")
            #expect(try await daemon.dockerOK(["load", "-i", layout.path]) == "Loaded image: \(oci):2")

            // The same rootfs tar is one layer on disk, shared by both images.
            #expect(try ImageFixtures.layerCount(daemon) == 1)
            let diffID = try await ImageTarballs.layerTar(of: rootfs, to: run.path("check.tar"))

            let table = try await daemon.dockerOK(["images"])
            #expect(table.hasPrefix("REPOSITORY"), "\(table)")
            #expect(table.contains("IMAGE ID"))
            #expect(table.contains(saved) && table.contains(oci))
            #expect(try await ImageFixtures.imageIDs(daemon) == [save.ids[0].description, layout.ids[0].description].sorted())
            let short = try await daemon.dockerOK(["images", "-q", "\(saved):1"])
            #expect(short == String(save.ids[0].hex.prefix(12)))

            for (name, id, cmd) in [("\(saved):1", save.ids[0], "from-save"), ("\(oci):2", layout.ids[0], "from-oci")] {
                let inspect = try await daemon.dockerOK(["image", "inspect", "-f",
                                                         "{{.Id}}|{{json .RepoTags}}|{{json .Config.Cmd}}|{{json .RootFS.Layers}}|{{.Size}}|{{.Os}}",
                                                         name])
                let fields = inspect.split(separator: "|").map(String.init)
                #expect(fields.count == 6, "\(inspect)")
                guard fields.count == 6 else { continue }
                #expect(fields[0] == id.description)
                #expect(fields[1] == "[\"\(name)\"]")
                #expect(fields[2] == "[\"echo\",\"\(cmd)\"]")
                #expect(fields[3] == "[\"\(diffID)\"]")
                #expect((Int(fields[4]) ?? 0) > 1_900_000, "size \(fields[4])")  // busybox alone is ~2 MB
                #expect(fields[5] == "linux")
                #expect(try await daemon.dockerOK(["run", "--rm", name]) == cmd)
            }
        }
    }

    @Test func listFiltersByReferenceDanglingAndLabel() async throws {
        try await TestRun.with("imgls") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let busy = "busy" + run.name("x")
            let other = run.name("other")
            let first = try await ImageFixtures.dockerSave(run, [
                .init(repoTags: ["\(busy):1"], layers: [.directory(rootfs)], cmd: ["sh"]),
                .init(repoTags: ["\(other):1"], layers: [.directory(rootfs)], cmd: ["true"]),
            ])
            try await daemon.dockerOK(["load", "-i", first.path])
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=busy*"])
                == "\(busy):1")
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}", "--filter", "reference=\(other)"]) == other)
            #expect(try await daemon.dockerOK(["images", "-q", "--filter", "dangling=true"]) == "")

            // Loading another image under the same name leaves the first one dangling.
            let second = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(busy):1"], layers: [.directory(rootfs)],
                                                                        cmd: ["echo", "second"])])
            try await daemon.dockerOK(["load", "-i", second.path])
            #expect(try await daemon.dockerOK(["images", "-q", "--no-trunc", "--filter", "dangling=true"])
                == first.ids[0].description)
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "--filter", "dangling=true"])
                == "<none>:<none> \(first.ids[0].hex.prefix(12))")
            #expect(try await daemon.dockerOK(["images", "-q", "--filter", "dangling=false", "--filter", "reference=busy*"])
                == String(second.ids[0].hex.prefix(12)))

            // Labels come from `docker import --change LABEL …`.
            let tar = run.path("rootfs.tar")
            try await ImageTarballs.layerTar(of: rootfs, to: tar)
            let labelled = run.name("lab")
            try await daemon.dockerOK(["import", "--change", "LABEL tier=base", tar, "\(labelled):1"])
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}", "--filter", "label=tier=base"]) == labelled)
            #expect(try await daemon.dockerOK(["images", "--format", "{{.Repository}}", "--filter", "label=tier"]) == labelled)
            #expect(try await daemon.dockerOK(["images", "-q", "--filter", "label=tier=other"]) == "")
            let bad = try await daemon.docker(["images", "--filter", "colour=blue"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("invalid filter 'colour'"), "\(bad.stderr)")
            // --digests adds the column; loaded images have no repo digest.
            let digests = try await daemon.dockerOK(["images", "--digests", "--filter", "reference=\(other)"])
            #expect(digests.contains("DIGEST"), "\(digests)")
            #expect(digests.contains("<none>"))
        }
    }

    @Test func tagThenRemoveTheTagAndInUseConflicts() async throws {
        try await TestRun.with("imgtag") { run in
            let daemon = try await DaemonFixture(run)
            let name = run.name("tagged")
            try await daemon.loadBusybox(as: "\(name):1")
            let id = try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}}", "\(name):1"])
            try await daemon.dockerOK(["tag", "\(name):1", "\(name)-copy:2"])
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}}", "\(name)-copy:2"]) == id)
            #expect(try await daemon.dockerOK(["rmi", "\(name)-copy:2"]) == "Untagged: \(name)-copy:2")
            #expect(try await daemon.docker(["image", "inspect", "\(name)-copy:2"]).status == 1)
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}}", "\(name):1"]) == id)

            // An image a container uses cannot lose its last tag without -f.
            let container = try await daemon.dockerOK(["run", "-d", "\(name):1", "sleep", "1000"])
            let refused = try await daemon.docker(["rmi", "\(name):1"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains(
                "Error response from daemon: conflict: unable to remove repository reference \"\(name):1\" (must force) - container \(container.prefix(12)) is using its referenced image \(id.dropFirst(7).prefix(12))"),
                "\(refused.stderr)")
            let byID = try await daemon.docker(["rmi", String(id.dropFirst(7).prefix(12))])
            #expect(byID.status == 1)
            #expect(byID.stderr.contains("image is being used by running container \(container.prefix(12))"), "\(byID.stderr)")
            // -f untags (Docker keeps an image a running container uses, now dangling).
            let forced = try await daemon.docker(["rmi", "-f", "\(name):1"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stdout == "Untagged: \(name):1\n")
            #expect(try await daemon.dockerOK(["images", "-q", "--no-trunc", "--filter", "dangling=true"]) == id)
            #expect(try await daemon.dockerOK(["exec", container, "echo", "still"]) == "still")
            try await daemon.dockerOK(["rm", "-f", container])
            let gone = try await daemon.dockerOK(["rmi", id])
            #expect(gone.hasPrefix("Deleted: \(id)"), "\(gone)")
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")
            #expect(try ImageFixtures.layerCount(daemon) == 0)
            #expect(try ImageFixtures.blobCount(daemon) == 0)

            let missing = try await daemon.docker(["rmi", "\(name):1"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("No such image: \(name):1"), "\(missing.stderr)")
        }
    }

    @Test func pruneRemovesDanglingThenUnusedImages() async throws {
        try await TestRun.with("imgprune") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let name = run.name("pr")
            let old = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):1"], layers: [.directory(rootfs)], cmd: ["sh"])])
            let new = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):1"], layers: [.directory(rootfs)], cmd: ["true"])])
            let used = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name)-used:1"], layers: [.directory(rootfs)],
                                                                      cmd: ["sleep", "1000"])])
            for tarball in [old.path, new.path, used.path] { try await daemon.dockerOK(["load", "-i", tarball]) }
            try await daemon.dockerOK(["run", "-d", "\(name)-used:1"])

            let dangling = try await daemon.dockerOK(["image", "prune", "-f"])
            #expect(dangling.contains("Deleted Images:"), "\(dangling)")
            #expect(dangling.contains("deleted: \(old.ids[0])"))
            #expect(dangling.contains("Total reclaimed space:"))
            #expect(try await ImageFixtures.imageIDs(daemon) == [new.ids[0].description, used.ids[0].description].sorted())

            let all = try await daemon.dockerOK(["image", "prune", "-a", "-f"])
            #expect(all.contains("untagged: \(name):1"), "\(all)")
            #expect(all.contains("deleted: \(new.ids[0])"))
            // The image a container uses stays, and so does its layer.
            #expect(try await ImageFixtures.imageIDs(daemon) == [used.ids[0].description])
            #expect(try ImageFixtures.layerCount(daemon) == 1)
            #expect(try await daemon.dockerOK(["image", "prune", "-a", "-f"]) == "Total reclaimed space: 0B")
        }
    }

    @Test func historyShowsTheLayers() async throws {
        try await TestRun.with("imghist") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let extra = try ImageFixtures.fileLayer(run, file: "hello.txt", content: String(repeating: "h", count: 5000))
            let name = run.name("hist")
            let save = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):1"],
                                                                      layers: [.directory(rootfs), .directory(extra)])])
            try await daemon.dockerOK(["load", "-i", save.path])
            let history = try await daemon.dockerOK(["history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", "\(name):1"])
            let lines = history.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(history)")
            #expect(lines.first == "\(save.ids[0])|layer 1|5kB", "\(history)")
            #expect(lines.last?.hasPrefix("<missing>|layer 0|") == true, "\(history)")
            #expect(lines.last?.hasSuffix("MB") == true, "\(history)")
            let table = try await daemon.dockerOK(["history", "\(name):1"])
            #expect(table.hasPrefix("IMAGE"), "\(table)")
            #expect(table.contains("CREATED BY"))
            let missing = try await daemon.docker(["history", "no-such-\(name)"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("No such image"), "\(missing.stderr)")
        }
    }

    @Test func saveRemoveLoadGivesTheSameImage() async throws {
        try await TestRun.with("imgsave") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let extra = try ImageFixtures.fileLayer(run, file: "greeting", content: "saved-and-back\n")
            let name = run.name("sv")
            let save = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name):1"],
                                                                      layers: [.directory(rootfs), .directory(extra)],
                                                                      cmd: ["cat", "/greeting"])])
            try await daemon.dockerOK(["load", "-i", save.path])
            try await daemon.dockerOK(["tag", "\(name):1", "\(name):2"])
            let out = run.path("out.tar")
            try await daemon.dockerOK(["save", "-o", out, "\(name):1"])
            let members = try await Shell.sh("tar -tf '\(out)'")
            #expect(members.contains("manifest.json"), "\(members)")
            #expect(members.contains("index.json"))
            try await daemon.dockerOK(["rmi", "\(name):1", "\(name):2"])
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")
            #expect(try ImageFixtures.layerCount(daemon) == 0)
            #expect(try await daemon.dockerOK(["load", "-i", out]) == "Loaded image: \(name):1")
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}} {{json .RepoTags}}", "\(name):1"])
                == "\(save.ids[0]) [\"\(name):1\"]")
            #expect(try await daemon.dockerOK(["run", "--rm", "\(name):1"]) == "saved-and-back")

            // `docker save` to stdout, and by ID: no names inside, the load prints the ID.
            let byID = run.path("by-id.tar")
            try await Shell.sh("DOCKER_HOST='unix://\(daemon.socket)' DOCKER_CONFIG='\(run.path("docker-config"))' \(DaemonFixture.docker) save \(save.ids[0].hex.prefix(12)) > '\(byID)'")
            try await daemon.dockerOK(["rmi", "\(name):1"])
            #expect(try await daemon.dockerOK(["load", "-i", byID]) == "Loaded image ID: \(save.ids[0])")
            let missing = try await daemon.docker(["save", "-o", run.path("none.tar"), "no-such-\(name)"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("No such image"), "\(missing.stderr)")
        }
    }

    @Test func importWithChangesRuns() async throws {
        try await TestRun.with("imgimport") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let tar = run.path("rootfs.tar")
            try await ImageTarballs.layerTar(of: rootfs, to: tar)
            let name = run.name("imp")
            let id = try await daemon.dockerOK(["import", tar, "\(name):tag", "--change", #"CMD ["echo","imported"]"#,
                                                "--change", "ENV GREETING=hi", "-m", "from a tar"])
            #expect(id.hasPrefix("sha256:") && id.count == 71, "\(id)")
            #expect(try await daemon.dockerOK(["run", "--rm", "\(name):tag"]) == "imported")
            #expect(try await daemon.dockerOK(["run", "--rm", "\(name):tag", "sh", "-c", "echo $GREETING"]) == "hi")
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}} {{.Comment}}", "\(name):tag"]) == "\(id) from a tar")
            // From stdin too, gzip-compressed.
            try await Shell.sh("gzip -k '\(tar)'")
            let viaShell = try await Shell.sh("DOCKER_HOST='unix://\(daemon.socket)' DOCKER_CONFIG='\(run.path("docker-config"))' \(DaemonFixture.docker) import - \(name):gz < '\(tar).gz'")
            #expect(viaShell.hasPrefix("sha256:"), "\(viaShell)")
            // Same content, same layer: still one layer directory.
            #expect(try ImageFixtures.layerCount(daemon) == 1)
            let bad = try await daemon.docker(["import", "--change", "FROM scratch", tar, "\(name):bad"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("from is not a valid change command"), "\(bad.stderr)")
        }
    }

    @Test func imagesSharingABaseLayerStoreItOnce() async throws {
        try await TestRun.with("imgshare") { run in
            let daemon = try await DaemonFixture(run)
            let rootfs = try ImageFixtures.rootfs(run)
            let a = try ImageFixtures.fileLayer(run, file: "a", content: "A\n")
            let b = try ImageFixtures.fileLayer(run, file: "b", content: "B\n")
            let name = run.name("sh")
            let first = try await ImageFixtures.dockerSave(run, [.init(repoTags: ["\(name)-a:1"], layers: [.directory(rootfs), .directory(a)],
                                                                       cmd: ["cat", "/a"])])
            let second = try await ImageFixtures.ociLayout(run, [.init(repoTags: ["\(name)-b:1"], layers: [.directory(rootfs), .directory(b)],
                                                                       cmd: ["cat", "/b"])])
            try await daemon.dockerOK(["load", "-i", first.path])
            #expect(try ImageFixtures.layerCount(daemon) == 2)
            try await daemon.dockerOK(["load", "-i", second.path])
            // base + a + b: the base layer is unpacked once.
            #expect(try ImageFixtures.layerCount(daemon) == 3)
            #expect(try await daemon.dockerOK(["run", "--rm", "\(name)-a:1"]) == "A")
            #expect(try await daemon.dockerOK(["run", "--rm", "\(name)-b:1"]) == "B")
            // Removing one image keeps the shared layer for the other.
            let removed = try await daemon.dockerOK(["rmi", "\(name)-a:1"])
            #expect(removed.split(separator: "\n").filter { $0.hasPrefix("Deleted:") }.count == 2, "\(removed)")
            #expect(try ImageFixtures.layerCount(daemon) == 2)
            #expect(try await daemon.dockerOK(["run", "--rm", "\(name)-b:1"]) == "B")
            // Loading the same tarball again unpacks nothing new.
            try await daemon.dockerOK(["load", "-i", second.path])
            #expect(try ImageFixtures.layerCount(daemon) == 2)
        }
    }

    @Test func imageEventsReportLoadTagUntagAndDelete() async throws {
        try await TestRun.with("imgev") { run in
            let daemon = try await DaemonFixture(run)
            let since = String(Int(Date().timeIntervalSince1970) - 1)
            let name = run.name("ev")
            try await daemon.loadBusybox(as: "\(name):1")
            try await daemon.dockerOK(["tag", "\(name):1", "\(name):2"])
            try await daemon.dockerOK(["rmi", "\(name):2"])
            try await daemon.dockerOK(["rmi", "\(name):1"])
            let until = String(Int(Date().timeIntervalSince1970) + 1)
            let events = try await daemon.dockerOK(["events", "--since", since, "--until", until, "--filter", "type=image",
                                                    "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"])
            let lines = events.split(separator: "\n").map(String.init)
            #expect(lines.contains("image load \(name):1"), "\(events)")
            #expect(lines.contains("image tag \(name):2"), "\(events)")
            #expect(lines.contains("image untag \(name):2"), "\(events)")
            #expect(lines.contains("image untag \(name):1"), "\(events)")
            #expect(lines.contains { $0.hasPrefix("image delete") }, "\(events)")
            let order = ["load", "tag", "untag", "untag", "delete"]
            #expect(lines.map { $0.split(separator: " ")[1] } == order.map { Substring($0) }, "\(events)")
            // The filter keeps container events out.
            #expect(!lines.contains { !$0.hasPrefix("image ") })
        }
    }
}
