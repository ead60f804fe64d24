import ShoalDockerAPI
import ShoalEngine
import ShoalModel

/// The API's network backend: records and sandboxes from NetworkService, connect/disconnect through the
/// container service (which holds the container's lock and record).
struct NetworkBackendAdapter: NetworkBackend {
    let networks: NetworkService
    let containers: ContainerService

    func listNetworks() async throws -> [NetworkView] { await networks.list() }
    func network(_ ref: String) async throws -> NetworkView { try await networks.inspect(ref) }
    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkRecord {
        try await networks.create(request)
    }
    func removeNetwork(_ ref: String) async throws { try await networks.remove(ref) }
    func pruneNetworks(labelFilter: @escaping @Sendable ([String: String]) -> Bool) async throws -> [String] {
        await networks.prune { labelFilter($0.labels) }
    }
    func connect(container: String, network: String, request: EndpointRequest) async throws {
        try await containers.connect(container, network: network, request: request)
    }
    func disconnect(container: String, network: String, force: Bool) async throws {
        try await containers.disconnect(container, network: network, force: force)
    }
}
