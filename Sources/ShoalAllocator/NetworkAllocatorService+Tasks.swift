import Foundation
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalIPAM

public typealias SwarmTaskObject = Shoal_Cluster_V1_Task
public typealias SwarmServiceObject = Shoal_Cluster_V1_Service

/// Service tasks and VIPs (SwarmKit's allocator for tasks and services): a task gets an address on each of its
/// networks before it is scheduled, a service in `vip` mode one virtual IP on each; both hold them for as long as
/// they exist. The caller stores what these return (with the task's or service's other changes, in one commit);
/// asked again before that commit landed, they answer the same addresses, so a lost commit leaks nothing.
extension NetworkAllocatorService {
    /// `task` with an address on every network of its spec (kept when it has them), and first on `ingress` (the
    /// routing mesh's network) when its service publishes ports there. Throws when a network is gone.
    public func allocate(task: SwarmTaskObject, ingress: String? = nil) async throws -> SwarmTaskObject {
        var task = task
        var attachments: [Shoal_Cluster_V1_TaskNetworkAttachment] = []
        var configs = task.spec.networks
        if let ingress, !configs.contains(where: { $0.target == ingress }) {
            var config = Shoal_Cluster_V1_NetworkAttachmentConfig()
            config.target = ingress
            configs.insert(config, at: 0)
        }
        for config in configs {
            let (network, address, prefix) = try await address(for: task.id, on: config.target)
            var attachment = Shoal_Cluster_V1_TaskNetworkAttachment()
            attachment.networkID = network.id
            attachment.addresses = ["\(address)/\(prefix)"]
            attachment.aliases = config.aliases
            attachments.append(attachment)
        }
        task.networksAttachments = attachments
        return task
    }

    /// `service` with one VIP on each of its task template's networks in `vip` mode (none in `dnsrr` mode), the
    /// first on `ingress` when given (its service publishes ports on the routing mesh); nil when it has them
    /// already. The VIPs of networks it left are given back.
    public func allocateVIPs(service: SwarmServiceObject, ingress: String? = nil) async throws -> SwarmServiceObject? {
        var wanted = service.spec.endpointSpec.mode == "dnsrr" ? [] : service.spec.taskTemplate.networks.map(\.target)
        if let ingress, !wanted.contains(ingress) { wanted.insert(ingress, at: 0) }
        var vips: [Shoal_Cluster_V1_VirtualIP] = []
        for networkID in wanted {
            let (network, address, prefix) = try await address(for: service.id, on: networkID)
            var vip = Shoal_Cluster_V1_VirtualIP()
            vip.networkID = network.id
            vip.address = "\(address)/\(prefix)"
            vips.append(vip)
        }
        for (networkID, address) in held[service.id] ?? [:] where !wanted.contains(networkID) {
            _ = addressBooks[networkID]?.release(address)
            held[service.id]?[networkID] = nil
        }
        guard vips != service.endpoint.virtualIps else { return nil }
        var changed = service
        changed.endpoint.virtualIps = vips
        return changed
    }

    /// Gives back what tasks and services no longer in the store held (`present`: the IDs of those that are).
    public func releaseAbsent(present: Set<String>) {
        for (owner, addresses) in held where !present.contains(owner) {
            for (networkID, address) in addresses { _ = addressBooks[networkID]?.release(address) }
            held[owner] = nil
        }
    }

    /// The address `owner` holds on `networkID`, taken now if it holds none.
    private func address(for owner: String, on networkID: String) async throws
        -> (network: SwarmNetwork, address: IPv4Address, prefixLength: Int)
    {
        guard let network = try await networks.get(networkID)?.object else {
            throw ShoalError.notFound("network \(networkID) not found")
        }
        var book = try await addressBook(network)
        addressBooks[network.id] = book
        if let address = held[owner]?[network.id] {
            return (network, address, book.subnet.prefixLength)
        }
        let address = try Self.exhaustionIsFinal { try book.allocate() }
        addressBooks[network.id] = book
        held[owner, default: [:]][network.id] = address
        return (network, address, book.subnet.prefixLength)
    }
}
