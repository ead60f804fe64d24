import Foundation
import Glibc
import ShoalOS
@testable import ShoalRuntime
import ShoalTestSupport

/// A runtime with its own runc root and state dirs, a busybox rootfs, and cleanup that removes every container
/// it made (runc state, conmon, cgroup) even when the test fails.
final class RuntimeFixture: @unchecked Sendable {
    let run: TestRun
    let runtime: ConmonRuntime
    let paths: RuntimePaths
    let rootfs: String

    /// Runs `body` with a fixture in a new TestRun, whose cleanup removes what the fixture made.
    static func with(_ label: String = "rt", _ body: (RuntimeFixture) async throws -> Void) async throws {
        try await TestRun.with(label) { run in try await body(RuntimeFixture(run)) }
    }

    private init(_ run: TestRun) throws {
        self.run = run
        let base = "/run/shoal-test-\(run.id)"
        paths = RuntimePaths(runcRoot: base + "/runc", stateRoot: base + "/state")
        let paths = self.paths
        run.onCleanup("remove \(base)") { try? FileManager.default.removeItem(atPath: base) }
        runtime = try ConmonRuntime(paths: paths)
        rootfs = run.path("rootfs")
        try BusyboxRootfs.make(at: rootfs)
    }

    /// A fresh id and bundle dir; cleanup deletes the container whatever state it is in.
    func newContainer(_ prefix: String = "c") throws -> (id: String, bundle: String, log: String) {
        let id = run.name(prefix) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let bundle = run.path("bundle-\(id)")
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        let paths = self.paths
        let runc = runtime.binaries.runc
        run.onCleanup("delete container \(id)") {
            _ = try? await Shell.run(runc, ["--root", paths.runcRoot, "delete", "--force", id])
            if let text = try? String(contentsOfFile: paths.conmonPidFile(id), encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
               cmdline.contains(id) {
                kill(pid, SIGKILL)
            }
            CgroupHierarchies.remove(path: "/shoal/\(id)")
        }
        return (id, bundle, run.path("logs/\(id).log"))
    }

    func options(_ id: String, _ args: [String]) -> ContainerSpecOptions {
        var options = ContainerSpecOptions(id: id, rootfs: rootfs, args: args)
        options.hostname = String(id.prefix(12))
        return options
    }

    func spec(_ options: ContainerSpecOptions) throws -> OCISpec {
        let user = try UserResolver.resolve(options.user, rootfs: options.rootfs, groupAdd: options.groupAdd)
        return try SpecBuilder.build(options, user: user)
    }

    /// Creates the container and attaches to it (before start, so no output is lost).
    func create(_ options: ContainerSpecOptions, bundle: String, log: String, openStdin: Bool = false,
                attach: Bool = true) async throws -> AttachSession? {
        try await runtime.create(id: options.id, bundle: bundle, spec: spec(options), logPath: log,
                                 terminal: options.terminal, openStdin: openStdin)
        return attach ? try runtime.attach(id: options.id) : nil
    }

    /// Collects attach output until the container exits.
    static func collect(_ session: AttachSession) async throws -> (stdout: String, stderr: String) {
        var out: [UInt8] = []
        var err: [UInt8] = []
        for try await chunk in session.output {
            if chunk.stream == .stderr { err += chunk.bytes } else { out += chunk.bytes }
        }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Nothing left of a container: no runc state, no conmon, no cgroup.
    func assertGone(_ id: String, conmonPid: Int32?) async throws -> [String] {
        var problems: [String] = []
        let listed = try await runtime.list()
        if listed.contains(id) { problems.append("runc still lists \(id)") }
        if let conmonPid, ProcessWatch.isAlive(conmonPid),
           let cmdline = try? FileIO.readString("/proc/\(conmonPid)/cmdline"), cmdline.contains(id) {
            problems.append("conmon \(conmonPid) alive")
        }
        if CgroupHierarchies.exists(path: "/shoal/\(id)") { problems.append("cgroup /shoal/\(id) exists") }
        if FileIO.exists(paths.persistDir(id)) { problems.append("persist dir exists") }
        return problems
    }
}
