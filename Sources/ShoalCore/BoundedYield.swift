/// Backpressure for a stream with a bounded buffer (`.bufferingOldest(n)`): AsyncStream offers no way to wait
/// for room, so a full buffer is retried after a short pause. The producer then runs at its consumer's pace (a
/// log reader at the pace of the client that reads the logs, a node session's feeds at the pace its node reads)
/// instead of piling its output up in memory.
extension AsyncThrowingStream.Continuation where Failure == any Error, Element: Sendable {
    /// Enqueues `element`, waiting while the buffer is full; throws `CancellationError` once the stream has
    /// ended (its consumer left) or the caller is cancelled.
    public func yieldWaiting(_ element: Element, retry: Duration = .milliseconds(5)) async throws {
        try await offerUntilTaken(retry: retry) {
            switch yield(element) {
            case .enqueued: .taken
            case .dropped: .full
            default: .ended
            }
        }
    }
}

extension AsyncStream.Continuation where Element: Sendable {
    /// See `AsyncThrowingStream.Continuation.yieldWaiting`.
    public func yieldWaiting(_ element: Element, retry: Duration = .milliseconds(5)) async throws {
        try await offerUntilTaken(retry: retry) {
            switch yield(element) {
            case .enqueued: .taken
            case .dropped: .full
            default: .ended
            }
        }
    }
}

private enum Offer { case taken, full, ended }

private func offerUntilTaken(retry: Duration, _ offer: () -> Offer) async throws {
    while true {
        switch offer() {
        case .taken: return
        case .ended: throw CancellationError()
        case .full: try await Task.sleep(for: retry)
        }
    }
}
