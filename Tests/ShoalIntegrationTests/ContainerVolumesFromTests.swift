import Foundation
import ShoalTestSupport
import Testing

/// `--volumes-from` with the stock CLI: another container's volumes and binds at the same places, read-only when
/// asked, the container's own mounts first, the source's anonymous volumes left alone by `rm -v`.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerVolumesFromTests {
    @Test func mountsComeFromTheSourceContainer() async throws {
        try await TestRun.with("volfrom") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let source = run.name("src"), named = run.name("data"), other = run.name("other")
            let hostDir = run.path("hostdir")
            try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
            try "from-host\n".write(toFile: hostDir + "/h", atomically: true, encoding: .utf8)
            try await daemon.dockerOK(["run", "-d", "--name", source, "--network", "none", "-v", "\(named):/data",
                                       "-v", "\(hostDir):/hostdir", "-v", "/anon", "busybox", "sh", "-c",
                                       "echo one > /data/f; echo two > /anon/f; touch /ready; exec sleep 1000"])
            var ready = false
            for _ in 0..<100 where !ready {
                ready = try await daemon.docker(["exec", source, "test", "-e", "/ready"]).status == 0
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(ready)
            func inside(_ options: [String], _ command: String) async throws -> Shell.Result {
                try await daemon.docker(["run", "--rm", "--network", "none"] + options + ["busybox", "sh", "-c", command])
            }
            let seen = try await inside(["--volumes-from", source], "cat /data/f /anon/f /hostdir/h")
            #expect(seen.stdout == "one\ntwo\nfrom-host\n", "\(seen)")
            let readOnly = try await inside(["--volumes-from", "\(source):ro"], "echo x > /data/g")
            #expect(readOnly.status != 0 && readOnly.stderr.contains("Read-only file system"), "\(readOnly)")
            let own = try await inside(["--volumes-from", source, "-v", "\(other):/data"], "ls /data | wc -l")
            #expect(own.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(own)")
            // A missing source is Docker's 404 (through the API: the CLI takes a 404 on create for a missing image
            // and would try to pull it).
            let missing = try await Shell.run("/usr/bin/curl", [
                "-s", "-w", "\n%{http_code}", "--unix-socket", daemon.socket, "-H", "Content-Type: application/json",
                "-d", #"{"Image":"busybox","HostConfig":{"VolumesFrom":["nosuch"]}}"#,
                "http://localhost/v1.41/containers/create"])
            #expect(missing.stdout == #"{"message":"No such container: nosuch"}"# + "\n\n404", "\(missing)")

            // The consumer's `rm -v` leaves the source's anonymous volume.
            let consumer = run.name("use")
            try await daemon.dockerOK(["create", "--name", consumer, "--volumes-from", source, "busybox", "true"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.VolumesFrom}}", consumer])
                == "[\"\(source)\"]")
            let before = try await daemon.dockerOK(["volume", "ls", "-q"])
            try await daemon.dockerOK(["rm", "-v", consumer])
            #expect(try await daemon.dockerOK(["volume", "ls", "-q"]) == before)
            #expect(try await daemon.dockerOK(["exec", source, "cat", "/anon/f"]) == "two")
            _ = try await daemon.docker(["rm", "-f", "-v", source])
            _ = try await daemon.docker(["volume", "rm", named, other])
        }
    }
}
