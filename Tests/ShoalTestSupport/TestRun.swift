import Foundation
import ShoalOS

/// One test's scratch space: a unique id for every name it creates (so two runs never collide) and a cleanup
/// stack that runs in reverse order even when the test fails. Write a test as `try await TestRun.with("label")
/// { run in … }`: the stack runs when the body returns, throws or is cancelled (a `defer` cannot await).
public final class TestRun: @unchecked Sendable {
    public let id: String
    public let directory: URL
    private let lock = NSLock()
    private var cleanups: [(String, () async -> Void)] = []

    private init(_ label: String) throws {
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        id = "\(label)-\(suffix)"
        directory = URL(fileURLWithPath: "/tmp/shoal-test-\(id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory
        onCleanup("remove \(dir.path)") { try? FileManager.default.removeItem(at: dir) }
    }

    /// Runs `body` with a new run, then the run's cleanup stack, whether `body` returned or threw.
    public static func with(_ label: String = "t", _ body: (TestRun) async throws -> Void) async throws {
        let run = try TestRun(label)
        do {
            try await body(run)
        } catch {
            await run.cleanup()
            throw error
        }
        await run.cleanup()
    }

    /// Short unique name with a prefix, e.g. for containers, netns or links (kernel link names ≤ 15 bytes).
    public func name(_ prefix: String) -> String { "\(prefix)\(id.suffix(8))" }

    public func path(_ component: String) -> String { directory.appendingPathComponent(component).path }

    public func onCleanup(_ what: String, _ action: @escaping () async -> Void) {
        lock.withLock { cleanups.append((what, action)) }
    }

    /// Starts a long-running child (a server; see `Shell.start`) that the cleanup stack kills by its pidfd and reaps.
    public func startProcess(_ what: String, _ executable: String, _ arguments: [String],
                             log: String? = nil) throws -> ChildProcess {
        let child = try Shell.start(executable, arguments, log: log)
        onCleanup("kill \(what) \(child.pid)") { await child.kill() }
        return child
    }

    /// Runs the cleanup steps, last registered first. In a task of its own: a test cancelled by its time limit
    /// still waits for every step (cancellation would cut the steps' waits for their commands short).
    private func cleanup() async {
        await Task { await self.runCleanups() }.value
    }

    private func runCleanups() async {
        let actions = lock.withLock {
            defer { cleanups.removeAll() }
            return cleanups.reversed()
        }
        for (_, action) in actions { await action() }
    }
}
