import Foundation
import ShoalTestSupport
import Testing

/// `shoal daemon --userns-remap USER`: containers run in a user namespace whose root is the first id of USER's
/// subordinate ranges, their files (layers, rootfs changes, volumes, `docker cp`) owned on the host by the mapped
/// ids, as under dockerd with the same flag. Each test makes a host user unique to the run (a system user, so
/// useradd gives it no ranges of its own) and `userdel` removes it with its /etc/subuid and /etc/subgid lines.
@Suite(.serialized, .timeLimit(.minutes(4))) struct UserNamespaceTests {
    /// A user of this run; with `ranges`, 65536 subordinate uids and gids from a block chosen for the run.
    static func makeUser(_ run: TestRun, _ prefix: String = "shoalu", uids: Bool, gids: Bool) async throws
        -> (name: String, first: Int) {
        let name = run.name(prefix)
        let first = 1_000_000 + Int.random(in: 0..<2000) * 65536
        let created = try await Shell.run("/usr/sbin/useradd", ["-r", "-M", "-s", "/bin/false", name])
        #expect(created.status == 0, "\(created.stderr)")
        run.onCleanup("userdel \(name)") { _ = try? await Shell.run("/usr/sbin/userdel", [name]) }
        let range = "\(first)-\(first + 65535)"
        if uids { try await Shell.sh("/usr/sbin/usermod -v \(range) \(name)") }
        if gids { try await Shell.sh("/usr/sbin/usermod -w \(range) \(name)") }
        return (name, first)
    }

    /// The owner `uid:gid` of a host path.
    static func owner(_ path: String) async throws -> String {
        try await Shell.sh("stat -c %u:%g '\(path)'").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func remappedContainersAndTheirFilesBelongToTheSubordinateRange() async throws {
        try await TestRun.with("userns") { run in
            let (user, first) = try await Self.makeUser(run, uids: true, gids: true)
            let upstream = try await UpstreamDNS.start(in: run, answers: [:])
            let daemon = try await DaemonFixture(run, arguments: ["--userns-remap", user, "--dns", upstream.address])
            let mapped = "\(first):\(first)"
            let root = daemon.dataRoot + "/\(first).\(first)"
            #expect(try await daemon.dockerOK(["info", "--format", "{{.DockerRootDir}}"]) == root)
            #expect(try await daemon.dockerOK(["info", "--format", "{{json .SecurityOptions}}"]).contains("\"name=userns\""))

            // A loaded image's layers are stored owned by the mapped ids.
            try await daemon.loadBusybox()
            let busybox = try await Shell.sh("ls -d \(root)/images/layers/*/diff/bin/busybox | head -1")
            #expect(try await Self.owner(busybox.trimmingCharacters(in: .whitespacesAndNewlines)) == mapped)

            // On the default bridge (a network namespace made outside the user namespace) and with a volume.
            try await daemon.dockerOK(["volume", "create", "data"])
            let output = try await daemon.dockerOK([
                "run", "--name", "box", "-v", "data:/data", "busybox", "sh", "-c",
                "cat /proc/self/uid_map; id -u; echo v > /data/from-container; echo r > /made-here; ls -ln /bin/busybox"])
            let lines = output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            #expect(lines.first == "0 \(first) 65536")
            #expect(lines.dropFirst().first == "0")
            // Inside, the image's files are root's.
            #expect(lines.last?.split(separator: " ").dropFirst(2).prefix(2).joined(separator: ":") == "0:0")
            let id = try await daemon.dockerOK(["inspect", "--format", "{{.Id}}", "box"])
            #expect(try await Self.owner("\(root)/containers/\(id)/upper/made-here") == mapped)
            let volume = try await daemon.dockerOK(["volume", "inspect", "--format", "{{.Mountpoint}}", "data"])
            #expect(try await Self.owner(volume + "/from-container") == mapped)
            #expect(try await daemon.dockerOK(["inspect", "--format", "{{.HostConfig.UsernsMode}}", "box"]).isEmpty)

            // docker cp in: owned by the container's root; commit and cp out: the container's ids, not the host's.
            try "copied\n".write(toFile: run.path("copied"), atomically: true, encoding: .utf8)
            try await daemon.dockerOK(["cp", run.path("copied"), "box:/copied"])
            #expect(try await Self.owner("\(root)/containers/\(id)/upper/copied") == mapped)
            let listing = try await Shell.sh(
                "DOCKER_HOST=unix://\(daemon.socket) \(DaemonFixture.docker) cp box:/made-here - | tar -tv --numeric-owner")
            #expect(listing.contains(" 0/0 "), "\(listing)")
            try await daemon.dockerOK(["commit", "box", "committed"])
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "committed", "stat", "-c", "%u:%g",
                                               "/made-here"]) == "0:0")

            // --userns host: the host's ids, and what Docker allows only then.
            let hostMap = try await daemon.dockerOK(["run", "--rm", "--userns", "host", "--network", "none", "busybox",
                                                     "cat", "/proc/self/uid_map"])
            #expect(hostMap.split(separator: " ").joined(separator: " ") == "0 0 4294967295")
            #expect(try await daemon.dockerOK(["run", "--rm", "--userns", "host", "--privileged", "--network", "host",
                                               "busybox", "id", "-u"]) == "0")
            for (options, message) in [
                (["--privileged"], "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode"),
                (["--network", "host"], "cannot share the host's network namespace when user namespaces are enabled"),
                (["--pid", "host"], "cannot share the host PID namespace when user namespaces are enabled"),
            ] {
                let refused = try await daemon.docker(["create"] + options + ["busybox", "true"])
                #expect(refused.status != 0)
                #expect(refused.stderr.contains(message), "\(options): \(refused.stderr)")
            }

            // A mode other than "" and host: the CLI refuses it; through the API, Shoal answers 400 with its words.
            #expect(try await daemon.docker(["create", "--userns", "private", "busybox"]).stderr
                .contains("--userns: invalid USER mode"))
            let response = try await Shell.run("/usr/bin/curl", [
                "-s", "-w", "\n%{http_code}", "-X", "POST", "--unix-socket", daemon.socket, "-H",
                "Content-Type: application/json", "-d", #"{"Image":"busybox","HostConfig":{"UsernsMode":"private"}}"#,
                "http://localhost/v1.41/containers/create"])
            #expect(response.stdout == "{\"message\":\"--userns: invalid USER mode\"}\n\n400")
        }
    }

    @Test func theDaemonRefusesAUserWithoutBothRanges() async throws {
        try await TestRun.with("usernsbad") { run in
            let (user, _) = try await Self.makeUser(run, uids: true, gids: false)
            let (bare, _) = try await Self.makeUser(run, "shoalb", uids: false, gids: false)
            for (value, message) in [
                (user, "Can't create ID mappings: no subgid ranges found for user \"\(user)\""),
                (bare, "Can't create ID mappings: no subuid ranges found for user \"\(bare)\""),
                ("\(user):\(user):x", "Invalid user/group specification in --userns-remap: \"\(user):\(user):x\""),
                (run.name("nouser"), "Error during uid lookup for \"\(run.name("nouser"))\""),
            ] {
                do {
                    _ = try await DaemonFixture(run, arguments: ["--userns-remap", value])
                    Issue.record("the daemon started with --userns-remap \(value)")
                } catch let error as ShellError {
                    #expect(error.stderr.contains(message), "\(error.stderr)")
                }
            }
        }
    }
}
