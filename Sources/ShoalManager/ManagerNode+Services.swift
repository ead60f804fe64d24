import ShoalClusterStore
import ShoalModel

/// Reads of services and tasks: any manager answers from its own store (SwarmKit's control API does the same), so
/// `docker service ls/inspect` and `docker service ps` never wait for the leader. The leader answers task reads
/// from its task mirror: a `GET /tasks` that a deploy's progress or a script polls then reads nothing from etcd
/// and decodes nothing (with 50 tasks, a third of the request's CPU; with 100,000, seconds).
extension ManagerNode {
    func services() async throws -> [SwarmService] {
        try await StoreTable<ServiceMessage>(store).list().map(SwarmService.init)
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// By full ID, name or unique ID prefix.
    func service(_ reference: String) async throws -> SwarmService {
        try ServiceLookup.service(reference, in: try await services())
    }

    func tasks() async throws -> [SwarmTask] {
        if let leader = leaderServices, let mirrored = await leader.tasks() { return mirrored }
        return try await StoreTable<TaskMessage>(store).list().map(SwarmTask.init)
    }

    /// By full ID or unique ID prefix.
    func task(_ reference: String) async throws -> SwarmTask {
        try ServiceLookup.task(reference, in: try await tasks())
    }
}
