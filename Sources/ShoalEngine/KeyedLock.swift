import Synchronization

/// Serialises operations per key (one container's start, stop, remove … never interleave) while operations on
/// different keys run concurrently. Actor methods are reentrant across `await`, so the actor alone does not
/// give this.
final class KeyedLock: Sendable {
    private struct State {
        var held: Set<String> = []
        var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())

    /// Runs `body` in the caller's isolation (an actor's methods keep access to its state) holding `key`.
    func withLock<T>(_ key: String, isolation: isolated (any Actor)? = #isolation,
                     _ body: () async throws -> sending T) async rethrows -> sending T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if state.held.contains(key) {
                    state.waiters[key, default: []].append(continuation)
                    return false
                }
                state.held.insert(key)
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if var queue = state.waiters[key], !queue.isEmpty {
                let next = queue.removeFirst()
                state.waiters[key] = queue.isEmpty ? nil : queue
                return next // ownership passes to the next waiter; the key stays held
            }
            state.held.remove(key)
            return nil
        }
        next?.resume()
    }
}
