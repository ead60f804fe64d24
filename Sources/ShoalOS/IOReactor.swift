import CShoal
import Foundation
import Glibc
import ShoalCore
import Synchronization

/// One epoll thread for the whole process that turns fd readiness (pipes, sockets, pidfds, inotify) into async
/// resumptions, so waiting never blocks a Swift-concurrency thread. Registrations are one-shot; an fd may have one
/// waiter at a time (dup the fd to wait for reading and writing at once). Cancelling the waiting task ends the wait
/// with `CancellationError`.
public final class IOReactor: Sendable {
    public static let shared = IOReactor()

    private struct Waiter {
        let fd: Int32
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var nextToken: UInt64 = 1
        var waiters: [UInt64: Waiter] = [:]
    }

    private let epollFD: Int32
    private let state = Mutex(State())

    private init() {
        epollFD = cshoal_epoll_create()
        precondition(epollFD >= 0, "epoll_create1 failed: \(errno)")
        // Writes to a pipe or socket whose reader is gone must fail with EPIPE, not kill the daemon. Children get
        // default dispositions back (ChildProcess.spawn resets every signal).
        signal(SIGPIPE, SIG_IGN)
        let thread = Thread { [self] in self.run() }
        thread.name = "shoal-io-reactor"
        thread.start()
    }

    /// Suspends until `fd` is readable (or at end of file / hung up, or a pidfd's process has exited).
    public func waitReadable(_ fd: Int32) async throws { try await wait(fd, events: cshoal_epollin()) }

    /// Suspends until `fd` is writable.
    public func waitWritable(_ fd: Int32) async throws { try await wait(fd, events: cshoal_epollout()) }

    private func wait(_ fd: Int32, events: UInt32) async throws {
        let token = state.withLock { state -> UInt64 in
            defer { state.nextToken &+= 1 }
            return state.nextToken
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let failure: (any Error)? = state.withLock { state in
                    // Checked under the lock the cancel handler takes too: either it sees our waiter or we see
                    // the cancellation, never neither.
                    if Task.isCancelled { return CancellationError() }
                    state.waiters[token] = Waiter(fd: fd, continuation: continuation)
                    if cshoal_epoll_add(epollFD, fd, events, token) != 0 {
                        state.waiters[token] = nil
                        return ShoalError.system("epoll_ctl(ADD, \(fd))")
                    }
                    return nil
                }
                if let failure { continuation.resume(throwing: failure) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
            if let waiter {
                _ = cshoal_epoll_del(epollFD, waiter.fd)
                waiter.continuation.resume(throwing: CancellationError())
            }
        }
    }

    private func run() {
        var tokens = [UInt64](repeating: 0, count: 64)
        var events = [UInt32](repeating: 0, count: 64)
        while true {
            let count = cshoal_epoll_wait(epollFD, &tokens, &events, 64, -1)
            if count <= 0 { continue }
            for index in 0..<Int(count) {
                let waiter = state.withLock { $0.waiters.removeValue(forKey: tokens[index]) }
                guard let waiter else { continue }
                // Deregister before resuming so the waiter may register the same fd again at once.
                _ = cshoal_epoll_del(epollFD, waiter.fd)
                waiter.continuation.resume()
            }
        }
    }
}
