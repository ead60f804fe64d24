/// One change of a typed table, as `TableWatch` delivers it.
public enum TableEvent<Object: StoreObject>: Sendable, Equatable {
    /// The object was created or updated; its version is the change's revision.
    case put(Versioned<Object>)
    /// The object with `id` was deleted at `revision`.
    case delete(id: String, revision: Int64)
    /// The history asked for is gone (see `StoreEvent.compacted`): take a new snapshot and watch from its
    /// revision + 1. This is the watch's last event.
    case compacted(Int64)
}

/// The changes of one table in revision order, decoded. It wraps a `StoreWatch` on the table's prefix and ends
/// when that watch ends (task cancelled, `cancel()`, after `.compacted`); an object the table cannot decode
/// ends it with an error.
public struct TableWatch<Object: StoreObject>: AsyncSequence, Sendable {
    public typealias Element = TableEvent<Object>

    private let watch: StoreWatch

    init(_ watch: StoreWatch) { self.watch = watch }

    public func cancel() { watch.cancel() }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: watch.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: StoreWatch.AsyncIterator

        public mutating func next() async throws -> TableEvent<Object>? {
            guard let event = try await base.next() else { return nil }
            switch event {
            case .put(let stored): return .put(try StoreTable<Object>.decode(stored))
            case .delete(let key, let revision): return .delete(id: StoreTable<Object>.id(of: key), revision: revision)
            case .compacted(let revision): return .compacted(revision)
            }
        }
    }
}
