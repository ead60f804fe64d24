import Foundation
import ShoalTestSupport
import Testing

/// `docker diff` with the stock CLI: what a container's writable layer added, changed and deleted against its
/// image, in Docker's letters and order.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerChangesTests {
    @Test func diffShowsWhatTheContainerChanged() async throws {
        try await TestRun.with("diff") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("diff")
            // Not started yet: no writable layer, no changes.
            try await daemon.dockerOK(["create", "--name", name, "--network", "none", "busybox", "sh", "-c",
                                       "mkdir /newdir && echo x > /newdir/f && echo y > /etc/motd-new "
                                       + "&& rm /etc/group && echo z >> /etc/passwd && touch /ready && exec sleep 1000"])
            #expect(try await daemon.dockerOK(["diff", name]) == "")
            try await daemon.dockerOK(["start", name])
            var ready = false
            for _ in 0..<100 where !ready {
                ready = try await daemon.docker(["exec", name, "test", "-e", "/ready"]).status == 0
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(ready)
            let diff = try await daemon.dockerOK(["diff", name])
            #expect(diff == """
                C /etc
                D /etc/group
                A /etc/motd-new
                C /etc/passwd
                A /newdir
                A /newdir/f
                A /ready
                """, "\(diff)")
            // Still there once it has stopped; a missing container is Docker's 404.
            try await daemon.dockerOK(["stop", "-t", "0", name])
            #expect(try await daemon.dockerOK(["diff", name]) == diff)
            let missing = try await daemon.docker(["diff", "nosuch"])
            #expect(missing.status != 0 && missing.stderr.contains("No such container: nosuch"), "\(missing)")
            _ = try await daemon.docker(["rm", "-f", name])
        }
    }
}
