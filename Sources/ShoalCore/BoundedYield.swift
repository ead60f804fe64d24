/// Backpressure for a stream with a bounded buffer (`.bufferingOldest(n)`): AsyncStream offers no way to wait
/// for room, so a full buffer is retried after a short pause. The producer then runs at its consumer's pace (a
/// log reader at the pace of the client that reads the logs) instead of piling its output up in memory.
extension AsyncThrowingStream.Continuation where Failure == any Error, Element: Sendable {
    /// Enqueues `element`, waiting while the buffer is full; throws `CancellationError` once the stream has
    /// ended (its consumer left) or the caller is cancelled.
    public func yieldWaiting(_ element: Element, retry: Duration = .milliseconds(5)) async throws {
        while true {
            switch yield(element) {
            case .enqueued: return
            case .terminated: throw CancellationError()
            case .dropped: try await Task.sleep(for: retry)
            @unknown default: throw CancellationError()
            }
        }
    }
}
