import Foundation
import ShoalCore
import ShoalIPAM
import ShoalModel
import ShoalNetwork

/// Docker's answers when a swarm-scoped network is used where it cannot be.
enum ClusterNetworkErrors {
    static var notInSwarm: ShoalError {
        ShoalError.permissionDenied(
            "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
    }

    static func notAttachable(_ name: String) -> ShoalError {
        ShoalError.permissionDenied(
            "Could not attach to network \(name): rpc error: code = PermissionDenied desc = network \(name) not manually attachable")
    }
}

/// Overlays on this host: a swarm-scoped network has a data path here (its VXLAN device) while a
/// local container uses it, and a local copy of its record for as long (so `docker network ls` on a worker lists
/// it, as on Docker, and a daemon restart finds it again). Endpoints on other hosts arrive from the leader.
extension NetworkService {
    /// The VNI option as `docker network inspect` shows it.
    static let vniOption = "com.docker.network.driver.overlay.vxlanid_list"
    /// Docker's name for the bridge that takes overlay containers out (and their published ports in).
    static let gatewayBridgeName = "docker_gwbridge"

    public func setCluster(_ cluster: (any ClusterNetworks)?) { self.cluster = cluster }

    /// A local network, else the swarm-scoped network the cluster knows by that reference.
    func resolveAny(_ reference: String) async throws -> NetworkRecord {
        do {
            return try resolve(reference)
        } catch let error as ShoalError where error.code == .notFound {
            guard let cluster, let record = try await cluster.network(reference) else { throw error }
            return record
        }
    }

    /// `docker run --network` and `network connect` of an overlay that was not created `--attachable`.
    func checkAttachable(_ network: NetworkRecord) throws {
        guard network.isSwarmScoped, !network.attachable else { return }
        throw ClusterNetworkErrors.notAttachable(network.name)
    }

    /// Makes the overlay's VXLAN device here (converges), keeps its record and programs every peer
    /// already known on it.
    func ensureOverlay(_ network: NetworkRecord) async throws -> OverlaySettings {
        if let existing = endpoints.overlay(network.id) { return existing }
        guard let cluster, let local = await cluster.underlayAddress() else { throw ClusterNetworkErrors.notInSwarm }
        guard let vni = network.options[Self.vniOption].flatMap({ UInt32($0) }) else {
            throw ShoalError.internalError("overlay \(network.name) has no VXLAN ID")
        }
        let mtu = network.mtu ?? dataplane.overlayMTU(underlay: local)
        let overlay = OverlaySettings(networkID: network.id, vni: vni, local: local, mtu: mtu)
        let driver = try driver(network)
        try driver.ensure(.overlay(overlay))
        var record = network
        record.mtu = mtu
        if networks[network.id] != record {
            do {
                try store.upsert(record)
            } catch {
                driver.remove(.overlay(overlay))
                throw error
            }
            networks[network.id] = record
        }
        endpoints.overlayReady(network.id, overlay)
        return overlay
    }

    /// Removes an overlay's data path and local record once no container here uses it.
    func releaseOverlayIfUnused(_ networkID: String) {
        guard let network = networks[networkID], network.isSwarmScoped else { return }
        let inUse = sandboxes.values.contains { $0.endpoints.contains { $0.networkID == networkID } }
        guard !inUse else { return }
        if let overlay = endpoints.overlay(networkID) { try? driver(network).remove(.overlay(overlay)) }
        endpoints.overlayRemoved(networkID)
        networks[networkID] = nil
        try? store.deleteNetwork(id: networkID)
    }

    // MARK: the way out

    /// The endpoint a container's ports are published on: its first local network with a way out, else its
    /// docker_gwbridge endpoint.
    func publishingEndpoint(_ live: LiveSandbox) -> EndpointState? {
        if let first = live.endpoints.first, let network = networks[first.networkID], !network.isSwarmScoped {
            return network.isInternal ? nil : first
        }
        return live.gatewayEndpoint
    }

    /// A container whose networks are only overlays, one of them not `--internal`, joins docker_gwbridge for
    /// its outbound traffic and published ports (as on Docker). Containers on docker_gwbridge do not reach each
    /// other through it (enable_icc=false), so two overlays stay apart.
    func addGatewayIfNeeded(_ record: ContainerRecord, sandbox live: inout LiveSandbox) async throws {
        guard live.gatewayEndpoint == nil else { return }
        let joined = live.endpoints.compactMap { networks[$0.networkID] }
        guard joined.contains(where: { $0.isSwarmScoped && !$0.isInternal }),
              !joined.contains(where: { !$0.isSwarmScoped && !$0.isInternal }) else { return }
        let gateway = try await gatewayNetwork()
        live.gatewayEndpoint = try await plumb(gateway, request: EndpointRequest(), record: record, sandbox: live,
                                               names: [])
    }

    /// docker_gwbridge, made the first time an overlay container needs it (a local bridge network, listed by
    /// `docker network ls` as on Docker).
    func gatewayNetwork() async throws -> NetworkRecord {
        if let existing = network(named: Self.gatewayBridgeName) { return existing }
        // enable_icc=false holds only where bridged frames pass the IPv4 hooks (as Docker sets it too).
        try? Sysctl.set("net.bridge.bridge-nf-call-iptables", "1")
        return try await create(NetworkCreateRequest(
            name: Self.gatewayBridgeName,
            options: ["com.docker.network.bridge.name": Self.gatewayBridgeName,
                      "com.docker.network.bridge.enable_icc": "false",
                      "com.docker.network.bridge.enable_ip_masquerade": "true"]))
    }

    // MARK: endpoints on other hosts

    /// The leader's full set of endpoints on other hosts (a new session): anything else known before goes.
    public func replaceRemoteEndpoints(_ remote: [RemoteEndpoint]) {
        endpoints.replaceRemote(remote.map(Self.endpoint))
        syncBalancers()
    }

    /// A change on the leader's stream.
    public func updateRemoteEndpoints(upserted: [RemoteEndpoint], removed: [String]) {
        for id in removed { endpoints.remove(id: id) }
        for endpoint in upserted { endpoints.upsert(Self.endpoint(endpoint)) }
        syncBalancers()
    }

    static func endpoint(_ remote: RemoteEndpoint) -> NetworkEndpoint {
        NetworkEndpoint(id: remote.id, networkID: remote.networkID, address: remote.address, mac: remote.mac,
                        dnsNames: remote.dnsNames, remoteHost: remote.host, fromLeader: true,
                        meshPorts: remote.meshPorts)
    }

    /// The attachments of this host's containers on swarm-scoped networks (reported to the leader when a session
    /// starts, so it can drop any it still holds for containers that are gone).
    public func localAttachmentIDs() -> [String] {
        sandboxes.values.flatMap { live in
            live.endpoints.filter { networks[$0.networkID]?.isSwarmScoped == true }.map(\.endpointID)
        }
    }
}
