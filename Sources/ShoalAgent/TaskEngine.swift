import Foundation
import ShoalModel

/// What a task controller needs of this host's engine (the daemon adapts its container service to it; tests
/// use a fake).
public protocol TaskEngine: Sendable {
    /// The container made for `taskID` (found by its task label), and what it is doing; nil when there is none.
    func container(ofTask taskID: String) async -> (id: String, observation: TaskController.Observation)?
    /// Pulls `image` unless this node has it (with the service's X-Registry-Auth text when it has one); throws
    /// what a failed `docker pull` would answer.
    func ensureImage(_ image: String, registryAuth: String?) async throws
    /// Creates the container; throws what a failed `docker create` would answer (no such image …).
    func create(name: String, spec: ContainerSpec) async throws -> String
    func start(_ id: String) async throws
    /// Returns once what the container does is no longer `observation` (it exited, its health changed), or the
    /// calling task is cancelled.
    func waitForChange(_ id: String, from observation: TaskController.Observation) async
    /// The task's container runs (healthy, when it has a health check): its endpoints here start answering to
    /// its service's names, so this host's balancers and DNS send it traffic.
    func serve(_ id: String) async
    /// Its endpoints leave its service's names here first (no new traffic), then its stop signal, then SIGKILL after `grace` seconds (the container's own timeout when nil).
    func stop(_ id: String, grace: Int?) async throws
    func remove(_ id: String) async throws
    /// Puts a task's secret and config files where its container can mount them (memory only); returns the
    /// mounts (read-only binds at each file's target).
    func stageFiles(taskID: String, files: [TaskFile]) async throws -> [MountSpec]
    /// The task's files go (its container is removed, or it never got one).
    func dropFiles(taskID: String) async
    /// The container's log as `docker logs` reads it (`docker service logs` on this node's tasks).
    func logs(_ id: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error>
}
