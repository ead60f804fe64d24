import Foundation
import ShoalTestSupport
import Testing

/// `docker cp` both ways with the stock CLI: running, created and exited containers, volumes and binds, and paths
/// through symlinks that must never lead out of the container's files.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CopyTests {
    @Test func copiesFilesAndDirectoriesBothWaysWithARunningContainer() async throws {
        try await TestRun.with("cp") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "cc", "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["exec", "cc", "sh", "-c",
                                       "mkdir -p /srv/d/sub && echo one > /srv/d/a && echo two > /srv/d/sub/b && echo file > /srv/f"])
            let out = run.path("out")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

            // Out: a file into a directory, a file to a new name, a directory to a new name, a directory's contents.
            try await daemon.dockerOK(["cp", "cc:/srv/f", out])
            #expect(try String(contentsOfFile: out + "/f", encoding: .utf8) == "file\n")
            try await daemon.dockerOK(["cp", "cc:/srv/f", out + "/renamed"])
            #expect(try String(contentsOfFile: out + "/renamed", encoding: .utf8) == "file\n")
            try await daemon.dockerOK(["cp", "cc:/srv/d", out + "/d2"])
            #expect(try String(contentsOfFile: out + "/d2/a", encoding: .utf8) == "one\n")
            #expect(try String(contentsOfFile: out + "/d2/sub/b", encoding: .utf8) == "two\n")
            try await daemon.dockerOK(["cp", "cc:/srv/d/.", out + "/contents"])
            #expect(try String(contentsOfFile: out + "/contents/sub/b", encoding: .utf8) == "two\n")
            try await daemon.dockerOK(["cp", "cc:/srv/d", out])
            #expect(try String(contentsOfFile: out + "/d/a", encoding: .utf8) == "one\n")

            // The archive itself: its top entry is the source's base name, as Docker's.
            let listing = try await Shell.run("/bin/sh", ["-c", "\(DaemonFixture.docker) cp cc:/srv/d - | tar -tf - | sort"],
                                              environment: daemon.environment)
            #expect(listing.stdout == "d/\nd/a\nd/sub/\nd/sub/b\n", "\(listing.stderr)")

            // In: a file into a directory, a file to a new name, a directory to a new name and into a directory.
            let input = run.path("in")
            try FileManager.default.createDirectory(atPath: input + "/tree/deep", withIntermediateDirectories: true)
            try "hello\n".write(toFile: input + "/hello.txt", atomically: true, encoding: .utf8)
            try "deep\n".write(toFile: input + "/tree/deep/x", atomically: true, encoding: .utf8)
            try await daemon.dockerOK(["cp", input + "/hello.txt", "cc:/tmp/"])
            try await daemon.dockerOK(["cp", input + "/hello.txt", "cc:/tmp/other.txt"])
            try await daemon.dockerOK(["cp", input + "/tree", "cc:/tmp/newtree"])
            try await daemon.dockerOK(["cp", input + "/tree", "cc:/srv"])
            #expect(try await daemon.dockerOK(["exec", "cc", "sh", "-c",
                                               "cat /tmp/hello.txt /tmp/other.txt /tmp/newtree/deep/x /srv/tree/deep/x"])
                == "hello\nhello\ndeep\ndeep")
            // Copied files belong to the container's root (no -a), whatever their owner on the host.
            #expect(try await daemon.dockerOK(["exec", "cc", "stat", "-c", "%u:%g", "/tmp/hello.txt"]) == "0:0")
        }
    }

    @Test func copiesIntoAndOutOfStoppedContainers() async throws {
        try await TestRun.with("cpstop") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let input = run.path("in.txt")
            try "before start\n".write(toFile: input, atomically: true, encoding: .utf8)

            // Created, never started: the file is there when it runs.
            try await daemon.dockerOK(["create", "--name", "fresh", "busybox", "cat", "/tmp/in.txt"])
            try await daemon.dockerOK(["cp", input, "fresh:/tmp/in.txt"])
            #expect(DaemonFixture.mounts(under: [daemon.dataRoot]).isEmpty, "the temporary rootfs mount is gone")
            #expect(try await daemon.dockerOK(["start", "-a", "fresh"]) == "before start")

            // Exited: what it wrote can be copied out, and a file copied in is seen by its next run.
            try await daemon.dockerOK(["run", "--name", "done", "busybox", "sh", "-c",
                                       "echo made > /made; test -f /tmp/in.txt && cat /tmp/in.txt; true"])
            let out = run.path("out")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try await daemon.dockerOK(["cp", "done:/made", out])
            #expect(try String(contentsOfFile: out + "/made", encoding: .utf8) == "made\n")
            try await daemon.dockerOK(["cp", input, "done:/tmp/"])
            #expect(try await daemon.dockerOK(["start", "-a", "done"]) == "before start")
            #expect(DaemonFixture.mounts(under: [daemon.dataRoot]).isEmpty)
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "done"]) == "exited")
        }
    }

    @Test func symlinksInTheContainerNeverLeadOut() async throws {
        try await TestRun.with("cpesc") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "cc", "--hostname", "cpbox", "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["exec", "cc", "sh", "-c",
                                       "ln -s / /escape && ln -s ../../../../../../.. /up && ln -s /etc/passwd /pw"])
            let containerPasswd = try await daemon.dockerOK(["exec", "cc", "cat", "/etc/passwd"])
            let out = run.path("out")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

            try await daemon.dockerOK(["cp", "cc:/escape/etc/hostname", out + "/hostname"])
            #expect(try String(contentsOfFile: out + "/hostname", encoding: .utf8) == "cpbox\n")
            try await daemon.dockerOK(["cp", "cc:/up/etc/passwd", out + "/passwd"])
            #expect(try String(contentsOfFile: out + "/passwd", encoding: .utf8).trimmingCharacters(in: .newlines)
                == containerPasswd)
            // A final symlink is copied as a link, or followed with -L (in the container's scope).
            try await daemon.dockerOK(["cp", "cc:/pw", out + "/link"])
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link") == "/etc/passwd")
            try await daemon.dockerOK(["cp", "-L", "cc:/pw", out + "/followed"])
            #expect(try String(contentsOfFile: out + "/followed", encoding: .utf8).trimmingCharacters(in: .newlines)
                == containerPasswd)

            // Into the container through the links: files land inside its rootfs, never on the host.
            let name = "shoal-cp-escape-\(run.id)"
            run.onCleanup("host escape files") {
                for path in ["/\(name)", "/tmp/\(name)", "/etc/\(name)"] { try? FileManager.default.removeItem(atPath: path) }
            }
            let input = run.path(name)
            try "inside\n".write(toFile: input, atomically: true, encoding: .utf8)
            try await daemon.dockerOK(["cp", input, "cc:/escape/tmp/"])
            try await daemon.dockerOK(["cp", input, "cc:/up/etc/"])
            try await daemon.dockerOK(["cp", input, "cc:/escape"])
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(name)"))
            #expect(!FileManager.default.fileExists(atPath: "/etc/\(name)"))
            #expect(!FileManager.default.fileExists(atPath: "/\(name)"))
            #expect(try await daemon.dockerOK(["exec", "cc", "cat", "/tmp/\(name)", "/etc/\(name)", "/\(name)"])
                == "inside\ninside\ninside")
        }
    }

    @Test func missingPathsAndBadDestinationsFailAsDocker() async throws {
        try await TestRun.with("cpmiss") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "cc", "busybox", "sleep", "1000"])
            let missing = try await daemon.docker(["cp", "cc:/no/such/file", run.path("x")])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("Could not find the file /no/such/file in container cc"), "\(missing.stderr)")
            #expect(!FileManager.default.fileExists(atPath: run.path("x")))

            // The API: stat of a missing path is 404, extraction into a file is 400, into a missing directory 404.
            #expect(try await daemon.rawRequest("HEAD", "/containers/cc/archive?path=/nope").status == 404)
            let tar = run.path("one.tar")
            try "x".write(toFile: run.path("one"), atomically: true, encoding: .utf8)
            try await Shell.sh("tar -cf \(tar) -C \(run.directory.path) one")
            let intoFile = try await daemon.rawRequest("PUT", "/containers/cc/archive?path=/etc/passwd", bodyFile: tar)
            #expect(intoFile.status == 400)
            #expect(intoFile.body.contains("not a directory"), "\(intoFile.body)")
            let intoMissing = try await daemon.rawRequest("PUT", "/containers/cc/archive?path=/nowhere", bodyFile: tar)
            #expect(intoMissing.status == 404)
            #expect(intoMissing.body.contains("Could not find the file /nowhere in container cc"), "\(intoMissing.body)")
            // A file may not replace a directory: the CLI asks for noOverwriteDirNonDir.
            try FileManager.default.createDirectory(atPath: run.path("clash"), withIntermediateDirectories: true)
            try "f".write(toFile: run.path("clash/tmp"), atomically: true, encoding: .utf8)
            let clash = try await daemon.docker(["cp", run.path("clash/tmp"), "cc:/"])
            #expect(clash.status != 0)
            #expect(clash.stderr.contains("cannot overwrite directory \"/tmp\" with non-directory \"tmp\""),
                    "\(clash.stderr)")
            try await daemon.dockerOK(["exec", "cc", "test", "-d", "/tmp"])
            let noContainer = try await daemon.docker(["cp", "nosuch:/etc/passwd", run.path("y")])
            #expect(noContainer.status != 0)
            #expect(noContainer.stderr.contains("No such container"), "\(noContainer.stderr)")

            // The stat header carries Docker's mode bits: the CLI sees a directory as one.
            let head = try await daemon.rawRequest("HEAD", "/containers/cc/archive?path=/etc")
            #expect(head.status == 200)
            let encoded = head.headers["x-docker-container-path-stat"] ?? ""
            let json = try #require(Data(base64Encoded: encoded))
            let stat = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            #expect(stat["name"] as? String == "etc")
            #expect(((stat["mode"] as? NSNumber)?.uint32Value ?? 0) & (1 << 31) != 0)
            // /tmp is 1777: Go's ModeDir | ModeSticky | 0777.
            let tmpHead = try await daemon.rawRequest("HEAD", "/containers/cc/archive?path=/tmp")
            let tmpJSON = try #require(Data(base64Encoded: tmpHead.headers["x-docker-container-path-stat"] ?? ""))
            let tmpStat = try #require(try JSONSerialization.jsonObject(with: tmpJSON) as? [String: Any])
            let tmpMode = (tmpStat["mode"] as? NSNumber)?.intValue ?? 0
            #expect(tmpMode == 1 << 31 | 1 << 20 | 0o777)
        }
    }

    @Test func volumeAndBindPathsAreSeenAtTheirContainerPaths() async throws {
        try await TestRun.with("cpvol") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["volume", "create", "data"])
            let bind = run.path("bind")
            try FileManager.default.createDirectory(atPath: bind, withIntermediateDirectories: true)
            try "bound\n".write(toFile: bind + "/h", atomically: true, encoding: .utf8)
            try await daemon.dockerOK(["run", "-d", "--name", "cc", "-v", "data:/data", "-v", "\(bind):/b:ro", "busybox",
                                       "sleep", "1000"])
            try await daemon.dockerOK(["exec", "cc", "sh", "-c", "echo vol > /data/x"])
            let out = run.path("out")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try await daemon.dockerOK(["cp", "cc:/data/x", out + "/x"])
            #expect(try String(contentsOfFile: out + "/x", encoding: .utf8) == "vol\n")
            try await daemon.dockerOK(["cp", "cc:/b/h", out + "/h"])
            #expect(try String(contentsOfFile: out + "/h", encoding: .utf8) == "bound\n")

            // Into the volume: another container sees it. Into a read-only bind: refused.
            let input = run.path("in.txt")
            try "into volume\n".write(toFile: input, atomically: true, encoding: .utf8)
            try await daemon.dockerOK(["cp", input, "cc:/data/"])
            #expect(try await daemon.dockerOK(["run", "--rm", "-v", "data:/d", "busybox", "cat", "/d/in.txt"]) == "into volume")
            let readOnly = try await daemon.docker(["cp", input, "cc:/b/"])
            #expect(readOnly.status != 0)
            #expect(readOnly.stderr.contains("read-only"), "\(readOnly.stderr)")
            #expect(!FileManager.default.fileExists(atPath: bind + "/in.txt"))

            // Stopped: the volume's files are still reachable.
            try await daemon.dockerOK(["stop", "-t", "0", "cc"])
            try await daemon.dockerOK(["cp", "cc:/data/x", out + "/x2"])
            #expect(try String(contentsOfFile: out + "/x2", encoding: .utf8) == "vol\n")
            #expect(DaemonFixture.mounts(under: [daemon.dataRoot]).isEmpty)
        }
    }
}

extension DaemonFixture {
    struct RawResponse {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// One HTTP request over the daemon's unix socket with curl (for what the CLI never sends or hides).
    func rawRequest(_ method: String, _ path: String, bodyFile: String? = nil, body: String? = nil,
                    contentType: String = "application/x-tar") async throws -> RawResponse {
        let headerFile = run.path("curl-headers-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: headerFile) }
        var arguments = ["-sS", "--unix-socket", socket, "-D", headerFile, "-o", "-", "-w", "\n%{http_code}"]
        arguments += method == "HEAD" ? ["-I"] : ["-X", method]
        if let bodyFile { arguments += ["-H", "Content-Type: \(contentType)", "--data-binary", "@" + bodyFile] }
        if let body { arguments += ["-H", "Content-Type: \(contentType)", "--data-binary", body] }
        arguments.append("http://localhost/v1.41" + path)
        let result = try await Shell.run("/usr/bin/curl", arguments)
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.popLast() ?? "") ?? 0
        var headers: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in headerText.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let text = lines.joined(separator: "\n")
        // With -I curl also prints the headers on stdout: keep only the body.
        return RawResponse(status: status, headers: headers, body: method == "HEAD" ? "" : text)
    }
}
