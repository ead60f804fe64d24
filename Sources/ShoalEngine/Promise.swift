import Synchronization

/// A value that arrives once and can be awaited by any number of tasks, before or after it arrives.
/// Registering interest is synchronous (so a wait can be registered before the event it waits for is caused).
final class Promise<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var continuations: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    /// The first call wins; later ones are ignored.
    func fulfill(_ value: Value) {
        let continuations = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.continuations.removeAll() }
            return state.continuations
        }
        for continuation in continuations { continuation.resume(returning: value) }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.continuations.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// The value, or nil if it has not arrived within `timeout`.
    func value(timeout: Duration) async -> Value? {
        let race = Promise<Value?>()
        let waiter = Task { race.fulfill(await self.value) }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            race.fulfill(nil)
        }
        let result = await race.value
        waiter.cancel()
        timer.cancel()
        return result
    }
}
