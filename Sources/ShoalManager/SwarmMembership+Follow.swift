import ShoalClusterProto
import ShoalClusterStore
import ShoalModel

/// One change of the swarm's objects, as `SwarmMembership.follow()` reports it.
public enum SwarmObjectChange: Sendable {
    /// Every object of the table as a read found it: the table's first event, and again after its watch restarted
    /// (a compaction, a store hiccup); it replaces what came before.
    case tasks([SwarmTask])
    case services([SwarmService])
    case nodes([SwarmNode])
    /// An object was created or changed.
    case task(SwarmTask)
    case service(SwarmService)
    case node(SwarmNode)
    /// The object with this ID was deleted.
    case taskRemoved(String)
    case serviceRemoved(String)
    case nodeRemoved(String)
}

extension SwarmMembership {
    /// The swarm's tasks, services and nodes in this manager's store: each table once as read, then every change
    /// as it is committed (each table's changes in order). For tools in the manager's process that must see
    /// each change without reading whole tables again and again: the control plane's simulation times its steps
    /// with it. It ends when its consumer stops iterating.
    public func follow() async throws -> AsyncThrowingStream<SwarmObjectChange, any Error> {
        let store = try await requireManager().store
        let (stream, continuation) = AsyncThrowingStream<SwarmObjectChange, any Error>.makeStream()
        let following = [
            Self.follow(StoreTable<TaskMessage>(store), into: continuation, all: { .tasks($0.map(SwarmTask.init)) },
                        put: { .task(SwarmTask($0)) }, removed: { .taskRemoved($0) }),
            Self.follow(StoreTable<ServiceMessage>(store), into: continuation,
                        all: { .services($0.map(SwarmService.init)) }, put: { .service(SwarmService($0)) },
                        removed: { .serviceRemoved($0) }),
            Self.follow(StoreTable<Shoal_Cluster_V1_Node>(store), into: continuation,
                        all: { .nodes($0.map(SwarmNode.init)) }, put: { .node(SwarmNode($0)) },
                        removed: { .nodeRemoved($0) }),
        ]
        continuation.onTermination = { _ in following.forEach { $0.cancel() } }
        return stream
    }

    private static func follow<Object: StoreObject>(
        _ table: StoreTable<Object>, into continuation: AsyncThrowingStream<SwarmObjectChange, any Error>.Continuation,
        all: @escaping @Sendable ([Versioned<Object>]) -> SwarmObjectChange,
        put: @escaping @Sendable (Versioned<Object>) -> SwarmObjectChange,
        removed: @escaping @Sendable (String) -> SwarmObjectChange
    ) -> Task<Void, Never> {
        Task {
            await table.follow(retryPause: TaskPipeline.retryPause, snapshot: { continuation.yield(all($0.objects)) },
                               change: { change in
                switch change {
                case .put(let object): continuation.yield(put(object))
                case .delete(let id, _): continuation.yield(removed(id))
                }
            })
        }
    }
}
