import ShoalClusterStore
import Synchronization

/// The memory store, whose commits wait while `held` (so a test decides when a write on its way lands), and
/// which counts the commits.
final class HeldStore: ClusterStore, Sendable {
    let inner = MemoryClusterStore()
    private let state = Mutex<(held: Bool, waiting: [CheckedContinuation<Void, Never>], commits: Int)>((false, [], 0))

    var commits: Int { state.withLock { $0.commits } }
    func hold() { state.withLock { $0.held = true } }
    func release() {
        let waiting = state.withLock { state in
            state.held = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }
    /// Whether a commit is waiting.
    var blocked: Bool { state.withLock { !$0.waiting.isEmpty } }

    func get(_ key: String) async throws -> StoredValue? { await inner.get(key) }
    func snapshot(prefix: String) async throws -> StoreSnapshot { await inner.snapshot(prefix: prefix) }
    func watch(prefix: String, from revision: Int64) async throws -> StoreWatch {
        try await inner.watch(prefix: prefix, from: revision)
    }
    func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) async throws -> StoreCommit {
        await withCheckedContinuation { continuation in
            let wait = state.withLock { state -> Bool in
                state.commits += 1
                if state.held { state.waiting.append(continuation) }
                return state.held
            }
            if !wait { continuation.resume() }
        }
        return try await inner.commit(changes, if: conditions)
    }
}
