import Foundation
import ShoalTestSupport
import Testing

/// `docker diff` and `docker commit` with the stock CLI: what a container's writable layer added, changed and
/// deleted against its image, in Docker's letters and order, and the image made of it (whiteouts and opaque
/// directories included) running with its `--change`s.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerChangesTests {
    @Test func diffShowsWhatTheContainerChanged() async throws {
        try await TestRun.with("diff") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("diff")
            // Not started yet: no writable layer, no changes.
            try await daemon.dockerOK(["create", "--name", name, "--network", "none", "busybox", "sh", "-c",
                                       "mkdir /newdir && echo x > /newdir/f && echo y > /etc/motd-new "
                                       + "&& rm /etc/group && echo z >> /etc/passwd && rm -rf /home && mkdir /home && touch /home/only "
                                       + "&& touch /ready && exec sleep 1000"])
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
                C /home
                D /home/app
                A /home/only
                A /newdir
                A /newdir/f
                A /ready
                """, "\(diff)")
            // The image made of it, committed while it runs (paused for the copy, running again after): the
            // changes, the deletions, and the run defaults --change sets.
            let committed = try await daemon.dockerOK(["commit", "--change", #"CMD ["cat", "/newdir/f"]"#,
                                                       "--change", "ENV COMMITTED=yes", "-m", "made by a test",
                                                       "-a", "Shoal Test", name, "committed:1"])
            #expect(committed.hasPrefix("sha256:") && committed.count == 71, "\(committed)")
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "committed:1"]) == "x")
            let seen = try await daemon.dockerOK(["run", "--rm", "--network", "none", "committed:1", "sh", "-c",
                                                  "echo $COMMITTED; test -e /etc/group && echo group || echo no-group; "
                                                  + "tail -n 1 /etc/passwd; ls /home; cat /etc/motd-new"])
            #expect(seen == "yes\nno-group\nz\nonly\ny", "\(seen)")
            let inspected = try await daemon.dockerOK(["image", "inspect", "-f",
                                                       "{{.Comment}}|{{.Author}}|{{len .RootFS.Layers}}", "committed:1"])
            #expect(inspected == "made by a test|Shoal Test|2", "\(inspected)")
            // The new layer's blob is in the store under its diffID: `docker save` carries layers hashing to the
            // image's RootFS.
            let archive = run.path("committed.tar")
            try await daemon.dockerOK(["save", "-o", archive, "committed:1"])
            let layers = try await daemon.dockerOK(["image", "inspect", "-f", "{{json .RootFS.Layers}}", "committed:1"])
            let saved = try await Shell.run("/usr/bin/env", ["python3", "-c", """
                import hashlib, json, sys, tarfile
                with tarfile.open(sys.argv[1]) as t:
                    manifest = json.load(t.extractfile('manifest.json'))
                    print(json.dumps(['sha256:' + hashlib.sha256(t.extractfile(l).read()).hexdigest()
                                      for l in manifest[0]['Layers']], separators=(',', ':')))
                """, archive])
            #expect(saved.stdout.trimmingCharacters(in: .newlines) == layers, "\(saved.stderr)")
            let bad = try await daemon.docker(["commit", "--change", "FROBNICATE x", name, "bad:1"])
            #expect(bad.status != 0 && bad.stderr.contains("frobnicate is not a valid change command"), "\(bad)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", name]) == "running")
            // Still there once it has stopped; a missing container is Docker's 404.
            try await daemon.dockerOK(["stop", "-t", "0", name])
            #expect(try await daemon.dockerOK(["diff", name]) == diff)
            let missing = try await daemon.docker(["diff", "nosuch"])
            #expect(missing.status != 0 && missing.stderr.contains("No such container: nosuch"), "\(missing)")
            _ = try await daemon.docker(["rm", "-f", name])
            _ = try await daemon.docker(["rmi", "committed:1"])
        }
    }
}
