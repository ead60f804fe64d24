import ShoalDockerAPI
import ShoalEngine
import ShoalManager
import ShoalModel

/// The API's service backend: the node's SwarmMembership (a manager answers; a worker gets Docker's refusal).
/// Like the Docker daemon, it names a service created without a name before the managers see it.
struct ServiceBackendAdapter: ServiceBackend {
    let swarm: SwarmMembership

    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> String {
        var spec = spec
        if spec.name.isEmpty {
            let taken = Set(try await swarm.services().map(\.spec.name))
            spec.name = NameGenerator.generate(avoiding: { taken.contains($0) })
        }
        return try await swarm.createService(spec, registryAuth: registryAuth).id
    }

    func listServices() async throws -> [ShoalModel.SwarmService] { try await swarm.services() }
    func service(_ ref: String) async throws -> ShoalModel.SwarmService { try await swarm.service(ref) }
    func updateService(_ ref: String, version: UInt64, spec: ServiceSpec, rollback: Bool, registryAuth: String?)
        async throws
    {
        _ = try await swarm.updateService(ref, version: version, spec: spec, rollback: rollback,
                                          registryAuth: registryAuth)
    }
    func removeService(_ ref: String) async throws { try await swarm.removeService(ref) }
    func listTasks() async throws -> [SwarmTask] { try await swarm.tasks() }
    func task(_ ref: String) async throws -> SwarmTask { try await swarm.task(ref) }
    func taskLogs(_ selector: TaskLogSelector, options: LogOptions) async throws
        -> AsyncThrowingStream<TaskLogMessage, any Error>
    {
        try await swarm.taskLogs(selector, options: options)
    }
}
