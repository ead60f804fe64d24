import Foundation
import ShoalCore
import ShoalCA
import ShoalClusterProto
import ShoalIPAM
import ShoalModel

/// The routing mesh's network (Docker's `ingress`): made with the swarm, the first subnet of its address pools
/// and the first VNI (10.0.0.0/24 and 4096 by default, as Docker's), so user overlays start after it.
extension NetworkAllocatorService {
    public static let ingressName = "ingress"

    /// The ingress network of a new swarm whose overlays take their subnets from `pools`.
    public static func ingressNetwork(pools: [AddressPoolSpec]) throws -> SwarmNetwork {
        var allocator = try OverlayNetworkAllocator(pools: pools, existing: [])
        let allocation = try allocator.allocate(OverlayRequest())
        var network = SwarmNetwork()
        network.id = RandomID.generate()
        network.spec.name = ingressName
        network.spec.driver = "overlay"
        network.spec.ingress = true
        var ipam = Shoal_Cluster_V1_IPAMConfig()
        ipam.subnet = allocation.subnet.description
        ipam.gateway = allocation.gateway.description
        network.ipam = [ipam]
        network.vni = allocation.vni
        network.createdAtMs = now()
        network.updatedAtMs = network.createdAtMs
        return network
    }

    /// The ports `service` publishes on the routing mesh (its allocated ones: `-p 80` has been given a port).
    public static func meshPorts(of service: SwarmServiceObject) -> [Shoal_Cluster_V1_PortConfig] {
        service.endpoint.ports.filter { $0.publishMode != PortConfig.PublishMode.host.rawValue && $0.publishedPort != 0 }
    }
}
