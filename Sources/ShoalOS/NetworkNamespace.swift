import CShoal
import Foundation
import ShoalCore

/// Network namespaces pinned by a bind mount on a file, as `ip netns add` makes them, and work done inside one.
///
/// A thread's network namespace is per thread: entering one on a Swift-concurrency or NIO thread would move
/// whatever runs there next. So every entry happens on a fresh thread that does one job and ends; sockets made
/// there keep their namespace after the thread is gone (FIELD-NOTES, "Entering a network namespace").
public enum NetworkNamespace {
    /// `ip netns add`: a new, empty namespace (only `lo`, down) pinned at `path`.
    public static func create(at path: String) async throws {
        try await onDedicatedThread {
            let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
            guard fd >= 0 else { throw ShoalError.internalError("cannot create \(path): \(errnoText())") }
            close(fd)
            guard cshoal_unshare(cshoal_clone_newnet()) == 0 else {
                let text = errnoText()
                unlink(path)
                throw ShoalError.internalError("unshare(CLONE_NEWNET): \(text)")
            }
            guard cshoal_mount("/proc/thread-self/ns/net", path, nil, cshoal_ms_bind(), nil) == 0 else {
                let text = errnoText()
                unlink(path)
                throw ShoalError.internalError("cannot pin the network namespace at \(path): \(text)")
            }
        }
    }

    /// `ip netns delete`: unpins the namespace; the kernel frees it (and the veth ends in it) once no process
    /// and no socket holds it. Quiet when it is already gone.
    public static func remove(at path: String) {
        _ = cshoal_umount_detach(path)
        unlink(path)
    }

    /// Whether `path` is a pinned namespace (a bind mount of nsfs), not just a leftover file.
    public static func isPinned(at path: String) -> Bool {
        // A pinned namespace lives on nsfs, the same device as our own /proc/self/ns/net; the empty file below
        // the mount does not.
        var pinned = stat()
        var own = stat()
        guard stat(path, &pinned) == 0, stat("/proc/self/ns/net", &own) == 0 else { return false }
        return pinned.st_dev == own.st_dev
    }

    /// Runs `body` on a new thread that has entered the namespace at `path`, and returns its result. File
    /// descriptors `body` creates (sockets, netlink) stay in that namespace.
    public static func run<T: Sendable>(in path: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await onDedicatedThread {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ShoalError.notFound("network namespace \(path): \(errnoText())") }
            defer { close(fd) }
            guard cshoal_setns(fd, cshoal_clone_newnet()) == 0 else {
                throw ShoalError.internalError("setns(\(path)): \(errnoText())")
            }
            return try body()
        }
    }

    /// A thread that runs one job and ends, so a namespace it entered never leaks to other work.
    static func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
