import ShoalCore

/// The cluster store in memory, for orchestrator, allocator and scheduler unit tests: the same contract as
/// `EtcdClusterStore` (the store's tests run one suite against both), without a process or a network.
///
/// It owns the keys, the global revision (1 for an empty store, like etcd; each commit that changes something
/// moves it on by one), the history of changes since the last `compact(to:)`, and the open watches. Being an
/// actor makes a commit, and a watch's replay plus registration, atomic with respect to each other.
public actor MemoryClusterStore: ClusterStore {
    private var values: [String: StoredValue] = [:]
    private var revision: Int64 = 1
    /// Revisions before this one are gone from `history` (0: nothing compacted yet).
    private var compactedRevision: Int64 = 0
    /// Every change since `compactedRevision`, in revision order.
    private var history: [StoreEvent] = []
    private var watchers: [Int: Watcher] = [:]
    private var nextWatcherID = 0

    private struct Watcher {
        var prefix: String
        var from: Int64
        var continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation
    }

    public init() {}

    public func get(_ key: String) -> StoredValue? {
        values[key]
    }

    public func snapshot(prefix: String) -> StoreSnapshot {
        let found = values.values
            .filter { StoreKeys.key($0.key, hasPrefix: prefix) }
            .sorted { StoreKeys.precedes($0.key, $1.key) }
        return StoreSnapshot(values: found, revision: revision)
    }

    @discardableResult
    public func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) throws -> StoreCommit {
        try Self.refuseOverlaps(changes)
        guard conditions.allSatisfy(holds) else { return StoreCommit(succeeded: false, revision: revision) }
        let next = revision + 1
        var events: [StoreEvent] = []
        for change in changes {
            switch change {
            case .put(let key, let value):
                let created = values[key]?.createRevision ?? next
                let stored = StoredValue(key: key, value: value, createRevision: created, modRevision: next)
                values[key] = stored
                events.append(.put(stored))
            case .delete(let key):
                if values.removeValue(forKey: key) != nil { events.append(.delete(key: key, revision: next)) }
            case .deletePrefix(let prefix):
                let doomed = values.keys.filter { StoreKeys.key($0, hasPrefix: prefix) }
                for key in doomed.sorted(by: StoreKeys.precedes) {
                    values[key] = nil
                    events.append(.delete(key: key, revision: next))
                }
            }
        }
        guard !events.isEmpty else { return StoreCommit(succeeded: true, revision: revision) }
        revision = next
        history.append(contentsOf: events)
        for watcher in watchers.values where next >= watcher.from {
            for event in events where StoreKeys.key(Self.key(of: event), hasPrefix: watcher.prefix) {
                watcher.continuation.yield(event)
            }
        }
        return StoreCommit(succeeded: true, revision: next)
    }

    public func watch(prefix: String, from revision: Int64) throws -> StoreWatch {
        try StoreWatch.validate(revision)
        guard revision >= compactedRevision else { return .compacted(compactedRevision) }
        let (events, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream()
        for event in history where event.revision >= revision && StoreKeys.key(Self.key(of: event), hasPrefix: prefix) {
            continuation.yield(event)
        }
        let id = nextWatcherID
        nextWatcherID += 1
        watchers[id] = Watcher(prefix: prefix, from: revision, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatcher(id) }
        }
        return StoreWatch(events: events) { continuation.finish() }
    }

    /// Forgets the history before `revision`, as `etcdctl compact REV` does: a watch from an older revision then
    /// reports `.compacted(revision)`. Open watches are not affected. A revision in the future, or one already
    /// compacted, is refused as etcd refuses it.
    public func compact(to revision: Int64) throws {
        guard revision <= self.revision else {
            throw ShoalError.invalidArgument("revision \(revision) is in the future (the store is at \(self.revision))")
        }
        guard revision > compactedRevision else {
            throw ShoalError.invalidArgument("revision \(revision) has already been compacted")
        }
        compactedRevision = revision
        history.removeAll { $0.revision < revision }
    }

    /// How many watches are open: lets tests see that a cancelled watch is let go.
    public var openWatches: Int { watchers.count }

    private func removeWatcher(_ id: Int) {
        watchers[id] = nil
    }

    private func holds(_ condition: StoreCondition) -> Bool {
        switch condition {
        case .absent(let key): values[key] == nil
        case .modRevision(let key, let revision): (values[key]?.modRevision ?? 0) == revision
        }
    }

    /// etcd refuses a transaction that puts one key twice, or puts a key it also deletes ("duplicate key given in
    /// txn request"); so does this store, so a test cannot pass here with a commit etcd would refuse.
    private static func refuseOverlaps(_ changes: [StoreChange]) throws {
        var puts = Set<String>()
        var deleted: [String] = []
        var prefixes: [String] = []
        for change in changes {
            switch change {
            case .put(let key, _):
                guard puts.insert(key).inserted else { throw duplicate(key) }
            case .delete(let key): deleted.append(key)
            case .deletePrefix(let prefix): prefixes.append(prefix)
            }
        }
        for key in puts where deleted.contains(key) || prefixes.contains(where: { StoreKeys.key(key, hasPrefix: $0) }) {
            throw duplicate(key)
        }
    }

    private static func duplicate(_ key: String) -> ShoalError {
        ShoalError.invalidArgument("a commit changes \(key) more than once")
    }

    private static func key(of event: StoreEvent) -> String {
        switch event {
        case .put(let value): value.key
        case .delete(let key, _): key
        case .compacted: ""
        }
    }
}
