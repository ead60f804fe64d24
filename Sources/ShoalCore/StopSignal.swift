import Synchronization

/// A one-time "stopping" announcement: whoever listens hears it at once, however many listen, and a listener
/// that comes later hears it right away. Listening ends too when the listener's task is cancelled, so nothing
/// waits on it forever.
public final class StopSignal: Sendable {
    private struct State {
        var fired = false
        var listeners: [Int: AsyncStream<Void>.Continuation] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isFired: Bool { state.withLock { $0.fired } }

    public func fire() {
        let listeners = state.withLock { state in
            state.fired = true
            defer { state.listeners = [:] }
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.finish() }
    }

    /// Returns once the signal has fired (or the calling task is cancelled).
    public func wait() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let id: Int? = state.withLock { state in
            guard !state.fired else { return nil }
            state.next += 1
            state.listeners[state.next] = continuation
            return state.next
        }
        guard let id else { return }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        for await _ in stream {}
    }
}
