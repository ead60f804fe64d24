import Foundation
import ShoalModel
import Synchronization

/// Fan-out of engine events to `docker events` subscribers, with a bounded history so `--since` can replay
/// what happened before the subscription (Docker keeps the last 256; we keep 1024).
public final class EventBus: Sendable {
    private struct State {
        var history: [EngineEvent] = []
        var subscribers: [UUID: AsyncStream<EngineEvent>.Continuation] = [:]
    }

    private let state = Mutex(State())
    private let capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    public func publish(_ event: EngineEvent) {
        let subscribers = state.withLock { state in
            state.history.append(event)
            if state.history.count > capacity { state.history.removeFirst(state.history.count - capacity) }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// A time as Unix nanoseconds, clamped to what Int64 holds (a far time from a client must not trap).
    static func nanoseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000_000_000).rounded(.down)
        guard value.isFinite else { return value < 0 ? .min : .max }
        return value >= 9.2e18 ? .max : value <= -9.2e18 ? .min : Int64(value)
    }

    /// Past events since `since` (if given), then live ones until `until` (if given, the stream ends then).
    public func subscribe(since: Date?, until: Date?) -> AsyncStream<EngineEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: EngineEvent.self, bufferingPolicy: .bufferingNewest(4096))
        let id = UUID()
        let sinceNanos = since.map(Self.nanoseconds)
        let untilNanos = until.map(Self.nanoseconds)
        let replay: [EngineEvent] = state.withLock { state in
            if untilNanos == nil || untilNanos! > Int64(Date().timeIntervalSince1970 * 1_000_000_000) {
                state.subscribers[id] = continuation
            }
            guard let sinceNanos else { return [] }
            return state.history.filter { $0.timeNano >= sinceNanos && (untilNanos == nil || $0.timeNano <= untilNanos!) }
        }
        for event in replay { continuation.yield(event) }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        if let untilNanos {
            let delay = Double(untilNanos) / 1e9 - Date().timeIntervalSince1970
            if delay <= 0 {
                continuation.finish()
            } else {
                Task {
                    try? await Task.sleep(for: .seconds(delay))
                    continuation.finish()
                }
            }
        }
        return stream
    }
}
