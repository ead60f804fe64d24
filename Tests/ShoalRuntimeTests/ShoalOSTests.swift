import Foundation
import Glibc
import ShoalCore
@testable import ShoalOS
import ShoalTestSupport
import Testing

@Suite struct ShoalOSTests {
    @Test func spawnHandsOverExactlyTheFdsGiven() async throws {
        let out = try FileIO.pipe()
        let err = try FileIO.pipe()
        defer { [out.read, err.read].forEach { close($0) } }
        // Swapped on purpose: child's stdout is our err pipe and the other way round.
        let child = try ChildProcess.spawn("/bin/sh", ["-c", "echo to-1; echo to-2 >&2; ls /proc/self/fd | wc -l; exit 4"],
                                           fds: [-1, err.write, out.write], newSession: true)
        close(out.write)
        close(err.write)
        let stdout = String(decoding: try await FileIO.readToEnd(err.read), as: UTF8.self)
        let stderr = String(decoding: try await FileIO.readToEnd(out.read), as: UTF8.self)
        #expect(try await child.wait() == .exited(4))
        #expect(try await child.wait().code == 4)
        // 0, 1, 2 and the fd ls opens for the listing.
        #expect(stdout == "to-1\n4\n")
        #expect(stderr == "to-2\n")
    }

    @Test func aTmpfsIsToldFromADisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mem-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer {
            try? Mounts.unmount(directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let onDisk = Mounts.isInMemory(directory)
        try Mounts.tmpfs(target: directory, options: "size=1m")
        #expect(Mounts.isInMemory(directory))
        try Mounts.unmount(directory)
        #expect(Mounts.isInMemory(directory) == onDisk)
        #expect(!Mounts.isInMemory(directory + "/nosuch"))
    }

    @Test func signalledChildMapsTo128PlusN() async throws {
        let child = try ChildProcess.spawn("/bin/sleep", ["10"])
        child.signal(SIGKILL)
        let status = try await child.wait()
        #expect(status == .signaled(SIGKILL) && status.code == 137)
    }

    @Test func commandCollectsOutputAndInput() async throws {
        let result = try await Command.run("/bin/cat", [], stdin: Array("hello".utf8))
        #expect(result.stdoutText == "hello" && result.status == .exited(0))
        let failing = try await Command.run("/bin/sh", ["-c", "echo oops >&2; exit 2"])
        #expect(failing.stderrText == "oops\n" && failing.status.code == 2)
        await #expect(throws: ShoalError.self) { _ = try await Command.run("/nonexistent/bin", []) }
    }

    @Test func cancellingAWaitEndsIt() async throws {
        let pipe = try FileIO.pipe()
        defer { close(pipe.read); close(pipe.write) }
        let task = Task { try await FileIO.read(pipe.read) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func atomicWrite() async throws {
        try await TestRun.with("os") { run in
            let path = run.path("file")
            try AtomicFile.write("one", to: path)
            try AtomicFile.write("two", to: path, durable: true)
            #expect(try FileIO.readString(path) == "two")
            #expect(try FileManager.default.contentsOfDirectory(atPath: run.directory.path) == ["file"])
        }
    }

    @Test func mountsOverlayBindTmpfs() async throws {
        try await TestRun.with("mnt") { run in
            // Many long lower dirs push the option string past one page: the fsconfig path must take over.
            var lowers: [String] = []
            for index in 0..<60 {
                let dir = run.path("layer-\(index)-" + String(repeating: "x", count: 60))
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try "\(index)".write(toFile: dir + "/f\(index)", atomically: false, encoding: .utf8)
                lowers.append(dir)
            }
            #expect(lowers.joined(separator: ":").utf8.count > 4096)
            for name in ["upper", "work", "merged", "small", "bind", "tmp"] {
                try FileManager.default.createDirectory(atPath: run.path(name), withIntermediateDirectories: true)
            }
            try Mounts.overlay(lowerDirs: lowers, upperDir: run.path("upper"), workDir: run.path("work"), target: run.path("merged"))
            run.onCleanup("unmount merged") { try? Mounts.unmount(run.path("merged")) }
            #expect(Mounts.isMounted(run.path("merged")))
            #expect(try FileIO.readString(run.path("merged/f59")) == "59")
            try "new".write(toFile: run.path("merged/new"), atomically: false, encoding: .utf8)
            #expect(FileIO.exists(run.path("upper/new")))
            try Mounts.unmount(run.path("merged"))
            #expect(!Mounts.isMounted(run.path("merged")))

            try Mounts.overlay(lowerDirs: Array(lowers.prefix(2)), upperDir: run.path("upper"), workDir: run.path("work"),
                               target: run.path("small"))
            #expect(Mounts.isMounted(run.path("small")))
            try Mounts.unmount(run.path("small"))

            try Mounts.bind(source: lowers[0], target: run.path("bind"), readOnly: true)
            // A bind mount within one filesystem (same device as its parent) is a mount point too, and the kernel's
            // answer (statx) agrees with the mount table's; a path that does not exist is none.
            #expect(Mounts.isMounted(run.path("bind")) && Mounts.isListedMountPoint(run.path("bind")))
            #expect(!Mounts.isMounted(run.path("upper")) && !Mounts.isListedMountPoint(run.path("upper")))
            #expect(!Mounts.isMounted(run.path("no-such-dir")))
            #expect(try FileIO.readString(run.path("bind/f0")) == "0")
            #expect(throws: (any Error).self) { try "x".write(toFile: run.path("bind/y"), atomically: false, encoding: .utf8) }
            try Mounts.unmount(run.path("bind"))

            try Mounts.tmpfs(target: run.path("tmp"), options: "size=1m,mode=755")
            #expect(Mounts.isMounted(run.path("tmp")))
            try Mounts.unmount(run.path("tmp"))
            try Mounts.unmount(run.path("tmp"))  // idempotent
            #expect(!Mounts.isMounted(run.path("tmp")))
        }
    }
}

/// The tests' own command runner (ShoalTestSupport's Shell): what the fixtures rely on.
@Suite struct ShellTests {
    @Test func inputEnvironmentAndChattyOutput() async throws {
        let script = "cat; echo \"$SHELL_TEST\" >&2; head -c 1000000 /dev/zero | tr '\\0' x"
        let result = try await Shell.run("/bin/sh", ["-c", script], environment: ["SHELL_TEST": "merged"], stdin: "piped\n")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("piped\nxxx") && result.stdout.count == 6 + 1_000_000)
        #expect(result.stderr == "merged\n")
        // The rest of our environment is still there.
        #expect(try await Shell.sh("echo $PATH") == (ProcessInfo.processInfo.environment["PATH"] ?? "") + "\n")
        await #expect(throws: ShellError.self) { try await Shell.sh("exit 3") }
    }

    /// -9 is the runner's own kill at the deadline (`sleep 60` would exit 0); no wall-clock bound, which a
    /// loaded machine could break.
    @Test func aCommandPastItsTimeoutIsKilled() async throws {
        let result = try await Shell.run("/bin/sh", ["-c", "echo $$; exec sleep 60"], timeout: 0.5)
        #expect(result.status == -9)
        let pid = try #require(Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!ProcessWatch.isAlive(pid))
    }

    @Test func aCancelledRunKillsItsCommand() async throws {
        try await TestRun.with("shell") { run in
            let pidFile = run.path("pid")
            let running = Task { try await Shell.run("/bin/sh", ["-c", "echo $$ > \(pidFile); exec sleep 60"]) }
            var pid: Int32?
            while pid == nil {
                try await Task.sleep(for: .milliseconds(20))
                let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
                pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            running.cancel()
            await #expect(throws: CancellationError.self) { _ = try await running.value }
            #expect(!ProcessWatch.isAlive(try #require(pid)))
        }
    }
}
