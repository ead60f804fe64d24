/// A table's change as `StoreTable.follow` reports it after the snapshot.
public enum TableChange<Object: StoreObject>: Sendable {
    /// The object was created or updated; its version is the change's revision.
    case put(Versioned<Object>)
    /// The object with `id` was deleted at `revision`.
    case delete(id: String, revision: Int64)
}

extension StoreTable {
    /// Follows the table until the calling task is cancelled (DESIGN §4b: a snapshot, then the watch from its
    /// revision + 1): `snapshot` gets every object as read, then `change` every later put and delete in revision
    /// order. A watch that ends (a compaction, a store hiccup) starts again from a new snapshot, which replaces
    /// what came before; a failed read or watch is tried again after `retryPause`.
    public func follow(retryPause: Duration, snapshot: @Sendable (TableSnapshot<Object>) async -> Void,
                       change: @Sendable (TableChange<Object>) async -> Void) async {
        while !Task.isCancelled {
            do {
                let read = try await self.snapshot()
                await snapshot(read)
                watching: for try await event in try await watch(from: read.revision + 1) {
                    switch event {
                    case .put(let object): await change(.put(object))
                    case .delete(let id, let revision): await change(.delete(id: id, revision: revision))
                    case .compacted: break watching
                    }
                }
            } catch {
                try? await Task.sleep(for: retryPause)
            }
        }
    }
}
