import ShoalCore

/// One change a watch reports, or the report that the history it asked for is gone.
public enum StoreEvent: Sendable, Equatable {
    /// The key was written; its `modRevision` is the change's revision.
    case put(StoredValue)
    /// The key was deleted at `revision`.
    case delete(key: String, revision: Int64)
    /// The revision the watch asked for is older than the store keeps: history before `revision` is gone. This is
    /// the watch's last event. The consumer reads a fresh snapshot and watches from its revision + 1. (An event
    /// rather than an error, so one `switch` in the consumer's loop handles it, and no other failure looks alike.)
    case compacted(Int64)

    /// The store revision of the change (for `.compacted`, the oldest revision still kept).
    public var revision: Int64 {
        switch self {
        case .put(let value): value.modRevision
        case .delete(_, let revision): revision
        case .compacted(let revision): revision
        }
    }
}

/// The changes under a prefix, in revision order, as `ClusterStore.watch` delivers them. It owns the stream its
/// store feeds: it ends when the iterating task is cancelled, when `cancel()` is called, after `.compacted`, or
/// with an error when the store gives up on it.
public struct StoreWatch: AsyncSequence, Sendable {
    public typealias Element = StoreEvent

    private let events: AsyncThrowingStream<StoreEvent, any Error>
    private let stop: @Sendable () -> Void

    /// A watch over `events`; `stop` ends the feeding side (and must make `events` finish).
    init(events: AsyncThrowingStream<StoreEvent, any Error>, stop: @escaping @Sendable () -> Void) {
        self.events = events
        self.stop = stop
    }

    /// A watch whose only event is `.compacted(revision)`.
    static func compacted(_ revision: Int64) -> StoreWatch {
        let (events, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream()
        continuation.yield(.compacted(revision))
        continuation.finish()
        return StoreWatch(events: events, stop: {})
    }

    /// Refuses a start revision no store has: revisions begin at 1.
    static func validate(_ revision: Int64) throws {
        guard revision >= 1 else {
            throw ShoalError.invalidArgument("a watch starts at revision 1 or later, not \(revision)")
        }
    }

    /// Ends the watch: iteration finishes after the events already delivered.
    public func cancel() { stop() }

    public func makeAsyncIterator() -> AsyncThrowingStream<StoreEvent, any Error>.AsyncIterator {
        events.makeAsyncIterator()
    }
}
