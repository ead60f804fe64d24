import Foundation

/// One test's scratch space: a unique id for every name it creates (so two runs never collide) and a cleanup
/// stack that runs in reverse order even when the test fails (call `cleanup()` from a `defer`).
public final class TestRun: @unchecked Sendable {
    public let id: String
    public let directory: URL
    private let lock = NSLock()
    private var cleanups: [(String, () -> Void)] = []

    public init(_ label: String = "t") throws {
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        id = "\(label)-\(suffix)"
        directory = URL(fileURLWithPath: "/tmp/shoal-test-\(id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory
        onCleanup("remove \(dir.path)") { try? FileManager.default.removeItem(at: dir) }
    }

    /// Short unique name with a prefix, e.g. for containers, netns or links (kernel link names ≤ 15 bytes).
    public func name(_ prefix: String) -> String { "\(prefix)\(id.suffix(8))" }

    public func path(_ component: String) -> String { directory.appendingPathComponent(component).path }

    public func onCleanup(_ what: String, _ action: @escaping () -> Void) {
        lock.lock()
        cleanups.append((what, action))
        lock.unlock()
    }

    public func cleanup() {
        lock.lock()
        let actions = cleanups.reversed()
        cleanups.removeAll()
        lock.unlock()
        for (_, action) in actions { action() }
    }
}
