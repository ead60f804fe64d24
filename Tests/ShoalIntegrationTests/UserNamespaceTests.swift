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

            // On the default bridge (its network namespace belongs to the container's user namespace: a sysfs of
            // its own) and with a volume.
            try await daemon.dockerOK(["volume", "create", "data"])
            let output = try await daemon.dockerOK([
                "run", "--name", "box", "-v", "data:/data", "busybox", "sh", "-c",
                "cat /proc/self/uid_map; id -u; echo v > /data/from-container; echo r > /made-here; ls -ln /bin/busybox"])
            try await daemon.dockerOK(["run", "-d", "--name", "alive", "busybox", "sleep", "120"])
            let inside = try await daemon.dockerOK(["exec", "alive", "sh", "-c", "id -u; grep ' /sys ' /proc/self/mounts"])
            #expect(inside.hasPrefix("0\nsysfs /sys sysfs ro,"), "\(inside)")
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

    /// `default`: dockerd's dockremap user, created when missing with 65536 subordinate uids and gids after the
    /// ranges already given; removed again (with its lines) if this test created it.
    @Test func defaultCreatesAndUsesDockremap() async throws {
        try await TestRun.with("usernsdef") { run in
            let existed = try await Shell.run("/usr/bin/id", ["dockremap"]).status == 0
            if !existed {
                run.onCleanup("userdel dockremap") { _ = try? await Shell.run("/usr/sbin/userdel", ["dockremap"]) }
            }
            let daemon = try await DaemonFixture(run, arguments: ["--userns-remap", "default"])
            try await Shell.sh("id dockremap")
            func first(_ file: String) async throws -> String {
                let line = try await Shell.sh("grep '^dockremap:' \(file) | head -1")
                let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
                #expect(fields.count == 3 && (existed || fields[2] == "65536"), "\(line)")
                return fields.count == 3 ? String(fields[1]) : ""
            }
            let (uid, gid) = (try await first("/etc/subuid"), try await first("/etc/subgid"))
            #expect(try await daemon.dockerOK(["info", "--format", "{{.DockerRootDir}}"])
                == daemon.dataRoot + "/\(uid).\(gid)")
            try await daemon.loadBusybox()
            let map = try await daemon.dockerOK(["run", "--rm", "--network", "none", "busybox", "cat", "/proc/self/gid_map"])
            #expect(map.split(separator: " ").joined(separator: " ") == "0 \(gid) 65536")
        }
    }

    /// A swarm task's secret is staged for the container's root (dockerd chowns a remapped container's secrets the
    /// same way): the remapped service reads it, owned inside by the ids the secret names.
    @Test func aRemappedServiceReadsItsSecret() async throws {
        try await TestRun.with("usernssvc") { run in
            let (user, first) = try await Self.makeUser(run, uids: true, gids: true)
            let port = 27500 + Int.random(in: 0..<150) * 10
            let daemon = try await DaemonFixture(run, arguments: [
                "--userns-remap", user, "--cluster-endpoint-port", String(port + 7), "--node-engine-port", String(port + 8)])
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["swarm", "init", "--advertise-addr", "127.0.0.1:\(port)",
                                       "--listen-addr", "127.0.0.1:\(port)"])
            let value = "secret-\(run.name("v"))"
            try await daemon.dockerOK(["secret", "create", "token", "-"], stdin: value)
            try await daemon.dockerOK(["service", "create", "--detach", "--name", "reader",
                                       "--secret", "source=token,uid=7,gid=8,mode=0400", "busybox", "sleep", "300"])
            var container = ""
            for _ in 0..<200 where container.isEmpty {
                container = try await daemon.dockerOK(["ps", "-q", "--filter", "label=com.docker.swarm.service.name=reader"])
                if container.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            if container.isEmpty {
                let tasks = try await daemon.docker(["service", "ps", "--no-trunc", "reader"])
                Issue.record("no running task: \(tasks.stdout)\(tasks.stderr)")
                return
            }
            let seen = try await daemon.dockerOK(["exec", container, "sh", "-c",
                                                  "cat /proc/self/uid_map; stat -c %u:%g /run/secrets/token; cat /run/secrets/token"])
            let lines = seen.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            #expect(lines == ["0 \(first) 65536", "7:8", value], "\(seen)")
            try await daemon.dockerOK(["service", "rm", "reader"])
            try await daemon.dockerOK(["swarm", "leave", "--force"])
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
