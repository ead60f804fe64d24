/// A value set once, awaited by any number of tasks. A waiting task that is cancelled stops waiting with
/// `CancellationError` (so a task group racing it against other work can finish).
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value, any Error>] = [:]
        var nextID = 0
    }

    private enum WaitAction {
        case resume(Value)
        case cancel
        case wait
    }

    private let state = LockedValue(State())

    init() {}

    var value: Value? { state.value.value }

    /// Sets the value (the first call wins) and wakes every waiter; returns whether this call set it.
    @discardableResult
    func complete(_ value: Value) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>]? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    func wait() async throws -> Value {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let action = state.withLock { state -> WaitAction in
                    if let value = state.value { return .resume(value) }
                    if Task.isCancelled { return .cancel }
                    state.waiters[id] = continuation
                    return .wait
                }
                switch action {
                case .resume(let value): continuation.resume(returning: value)
                case .cancel: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
