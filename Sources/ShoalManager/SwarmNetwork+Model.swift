import Foundation
import ShoalAllocator
import ShoalCore
import ShoalModel
import ShoalClusterProto

/// The one conversion edge between swarm-scoped networks as the store keeps them (protobuf) and as the engine and
/// the Docker API show them (`NetworkRecord`).
extension SwarmNetworkSpec {
    static let mtuOption = "com.docker.network.driver.mtu"

    /// `docker network create -d overlay …` as the leader will store it; Docker's checks that need no store.
    init(_ request: NetworkCreateRequest) throws {
        guard !request.name.isEmpty else { throw ShoalError.invalidArgument("network name cannot be empty") }
        guard request.driver == "overlay" else { throw ShoalError.notFound("plugin \"\(request.driver)\" not found") }
        guard request.ipamDriver.isEmpty || request.ipamDriver == "default" else {
            throw ShoalError.notFound("plugin \"\(request.ipamDriver)\" not found")
        }
        if request.enableIPv6 { throw ShoalError.invalidArgument("IPv6 overlay networks are not supported yet") }
        if let text = request.options[Self.mtuOption] {
            guard let mtu = Int(text), (68...65535).contains(mtu) else {
                throw ShoalError.invalidArgument("invalid MTU number: \(text)")
            }
        }
        self.init()
        name = request.name
        labels = request.labels
        driver = "overlay"
        driverOptions = request.options
        ipam = request.ipam.map { pool in
            var config = Shoal_Cluster_V1_IPAMConfig()
            config.subnet = pool.subnet
            config.gateway = pool.gateway ?? ""
            config.ipRange = pool.ipRange ?? ""
            config.auxAddresses = pool.auxAddresses
            return config
        }
        ipamOptions = request.ipamOptions
        `internal` = request.isInternal
        attachable = request.attachable
        ipamDriver = "default"
    }
}

extension NetworkRecord {
    /// A swarm-scoped network as `docker network ls/inspect` shows it (its VNI among the options, as on Docker).
    init(_ network: SwarmNetwork) {
        var options = network.spec.driverOptions
        options[OverlayNetworkAllocator.vniOption] = String(network.vni)
        self.init(
            id: network.id, name: network.spec.name, driver: "overlay",
            created: Date(milliseconds: network.createdAtMs),
            isInternal: network.spec.`internal`, attachable: network.spec.attachable, labels: network.spec.labels,
            options: options,
            ipam: network.ipam.map { config in
                IPAMPool(subnet: config.subnet, gateway: config.gateway.isEmpty ? nil : config.gateway,
                         ipRange: config.ipRange.isEmpty ? nil : config.ipRange, auxAddresses: config.auxAddresses)
            },
            ipamOptions: network.spec.ipamOptions,
            mtu: network.spec.driverOptions[SwarmNetworkSpec.mtuOption].flatMap { Int($0) })
        ingress = network.spec.ingress ? true : nil
    }
}
