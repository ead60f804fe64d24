import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalManager
import ShoalModel

/// The API's network backend: this host's networks from NetworkService, swarm-scoped ones from the swarm (a
/// manager sees them all; any node sees those its containers use), connect/disconnect through the container
/// service (which holds the container's lock and record).
struct NetworkBackendAdapter: NetworkBackend {
    let networks: NetworkService
    let containers: ContainerService
    let swarm: SwarmMembership

    /// This host's networks and, on a manager, every swarm-scoped one (with the containers this host has on it).
    func listNetworks() async throws -> [NetworkView] {
        let local = await networks.list()
        let cluster = try await swarm.swarmNetworks()
        let clusterIDs = Set(cluster.map(\.record.id))
        var all = local.filter { !clusterIDs.contains($0.record.id) }
        for view in cluster {
            var merged = view
            merged.containers = local.first { $0.record.id == view.record.id }?.containers ?? []
            all.append(merged)
        }
        return all
    }

    /// By full name, full ID or unique ID prefix, among this host's and the swarm's networks.
    func network(_ ref: String) async throws -> NetworkView {
        try await withContainers(try NetworkReference.resolve(ref, in: try await listNetworks(), name: \.record.name,
                                                              id: \.record.id))
    }

    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkRecord {
        guard request.driver == "overlay", await swarm.isInSwarm else { return try await networks.create(request) }
        // The swarm keeps the one ingress network it made; another is not made by hand (yet).
        if request.ingress { throw ShoalError.invalidArgument("creating an ingress network is not supported") }
        if try await listNetworks().contains(where: { $0.record.name == request.name }) {
            throw ShoalError.conflict("network with name \(request.name) already exists")
        }
        return try await swarm.createNetwork(request)
    }

    func removeNetwork(_ ref: String) async throws {
        let view = try await network(ref)
        guard view.record.isSwarmScoped else { return try await networks.remove(ref) }
        try await swarm.removeNetwork(view.record.id)
    }

    /// This host's unused networks, then (on a manager, as Docker's prune does) the swarm's networks no node has
    /// an endpoint on, the ingress network aside (Docker removes it only when asked by name). The leader refuses
    /// one that gained an endpoint meanwhile; it is kept.
    func pruneNetworks(labelFilter: @escaping @Sendable ([String: String]) -> Bool) async throws -> [String] {
        var removed = await networks.prune { labelFilter($0.labels) }
        for view in try await swarm.swarmNetworks()
        where view.peers.isEmpty && !view.record.isIngress && labelFilter(view.record.labels) {
            do {
                try await swarm.removeNetwork(view.record.id)
                removed.append(view.record.name)
            } catch {
                continue
            }
        }
        return removed
    }

    func connect(container: String, network: String, request: EndpointRequest) async throws {
        try await containers.connect(container, network: network, request: request)
    }

    func disconnect(container: String, network: String, force: Bool) async throws {
        try await containers.disconnect(container, network: network, force: force)
    }

    /// `docker network inspect` lists the containers this host has on the network.
    private func withContainers(_ view: NetworkView) async throws -> NetworkView {
        guard let local = try? await networks.inspect(view.record.id) else { return view }
        var merged = view
        merged.containers = local.containers
        return merged
    }
}
