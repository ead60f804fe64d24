import Foundation
import ShoalTestSupport
import Testing

/// `bind-propagation` and `-v src:dst:rshared` with the stock CLI: inspect shows the mode, a mount made inside
/// the container under an rshared bind appears on the host, and a shared bind of a private mount is refused as
/// Docker refuses it.
@Suite(.timeLimit(.minutes(3))) struct BindPropagationTests {
    /// Whether `path` is on another file system than its parent (a mount point). Not read from mountinfo: with
    /// the hundreds of mounts of a parallel test run, a read of it could miss the entry.
    static func isMountPoint(_ path: String) -> Bool {
        var own = stat()
        var parent = stat()
        guard stat(path, &own) == 0, stat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }

    @Test func rsharedBindCarriesMountsBackToTheHost() async throws {
        try await TestRun.with("prop") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            // The VM's mounts are private (FIELD-NOTES): the test makes its directory a shared mount of its own.
            let shared = run.path("shared")
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            let bound = try await Shell.run("/bin/mount", ["--bind", shared, shared])
            try #require(bound.status == 0, "\(bound.stderr)")
            run.onCleanup("unmount \(shared)") {
                _ = try? await Shell.run("/bin/umount", ["-l", shared + "/sub"])
                _ = try? await Shell.run("/bin/umount", ["-l", shared])
            }
            let made = try await Shell.run("/bin/mount", ["--make-shared", shared])
            try #require(made.status == 0, "\(made.stderr)")

            try await daemon.dockerOK(["run", "--rm", "--privileged", "-v", "\(shared):/mnt:rshared", "busybox",
                                       "sh", "-c",
                                       "mkdir -p /mnt/sub && mount -t tmpfs tmpfs /mnt/sub && echo hi > /mnt/sub/f"])
            #expect(Self.isMountPoint(shared + "/sub"), "the container's mount reached the host")
            #expect((try? String(contentsOfFile: shared + "/sub/f", encoding: .utf8)) == "hi\n")
            _ = try await Shell.run("/bin/umount", ["-l", shared + "/sub"])

            try await daemon.dockerOK(["create", "--name", "slave", "--mount",
                                       "type=bind,src=\(shared),dst=/m,bind-propagation=rslave", "busybox", "true"])
            let propagation = "{{(index .Mounts 0).Propagation}}"
            #expect(try await daemon.dockerOK(["inspect", "-f", propagation, "slave"]) == "rslave")
            try await daemon.dockerOK(["create", "--name", "short", "-v", "\(shared):/m:rshared", "busybox", "true"])
            #expect(try await daemon.dockerOK(["inspect", "-f", propagation + " {{(index .Mounts 0).Mode}}", "short"])
                == "rshared rshared")
            try await daemon.dockerOK(["create", "--name", "plain", "-v", "\(shared):/m", "busybox", "true"])
            #expect(try await daemon.dockerOK(["inspect", "-f", propagation, "plain"]) == "rprivate")

            // A shared bind of a directory on a private mount fails the start, in Docker's words.
            let privateDir = run.path("private")
            try FileManager.default.createDirectory(atPath: privateDir, withIntermediateDirectories: true)
            let refused = try await daemon.docker(["run", "--rm", "-v", "\(privateDir):/m:rshared", "busybox", "true"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("path \(privateDir) is mounted on ")
                && refused.stderr.contains("but it is not a shared mount"), "\(refused.stderr)")
            let bogus = try await daemon.docker(["create", "--mount",
                                                 "type=bind,src=\(shared),dst=/m,bind-propagation=bogus", "busybox"])
            #expect(bogus.stderr.contains(#"invalid mount config for type "bind": invalid propagation mode: bogus"#),
                    "\(bogus.stderr)")
        }
    }
}
