import Foundation
import ShoalModel
import ShoalCore

// Docker's network JSON (create body, inspect/list, connect/disconnect) and its one conversion to ShoalModel.

struct IPAMConfigWire: Codable, Sendable {
    var Subnet: String?
    var IPRange: String?
    var Gateway: String?
    var AuxiliaryAddresses: [String: String]?
}

struct IPAMWire: Codable, Sendable {
    var Driver: String?
    var Config: [IPAMConfigWire]?
    var Options: [String: String]?
}

struct NetworkCreateBody: Decodable, Sendable {
    var Name: String?
    var CheckDuplicate: Bool?
    var Driver: String?
    var Internal: Bool?
    var Attachable: Bool?
    var Ingress: Bool?
    var Scope: String?
    var IPAM: IPAMWire?
    var EnableIPv6: Bool?
    var Options: [String: String]?
    var Labels: [String: String]?

    func request() throws -> NetworkCreateRequest {
        guard let name = Name, !name.isEmpty else { throw DockerAPIError.badRequest("network name cannot be empty") }
        let pools = try (IPAM?.Config ?? []).map { config -> IPAMPool in
            guard let subnet = config.Subnet, !subnet.isEmpty else {
                throw DockerAPIError.badRequest("IPAM config needs a subnet")
            }
            return IPAMPool(subnet: subnet, gateway: config.Gateway.flatMap { $0.isEmpty ? nil : $0 },
                            ipRange: config.IPRange.flatMap { $0.isEmpty ? nil : $0 },
                            auxAddresses: config.AuxiliaryAddresses ?? [:])
        }
        return NetworkCreateRequest(
            name: name, driver: Driver.flatMap { $0.isEmpty ? nil : $0 } ?? "bridge", isInternal: Internal ?? false,
            attachable: Attachable ?? false, enableIPv6: EnableIPv6 ?? false, labels: Labels ?? [:],
            options: Options ?? [:], ipam: pools, ipamDriver: IPAM?.Driver.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            ipamOptions: IPAM?.Options ?? [:], ingress: Ingress ?? false, scope: Scope ?? "")
    }
}

struct EndpointIPAMConfigWire: Codable, Sendable {
    var IPv4Address: String?
    var IPv6Address: String?
    var LinkLocalIPs: [String]?
}

/// An endpoint's settings as clients send them (create's `NetworkingConfig.EndpointsConfig`, connect's
/// `EndpointConfig`).
struct EndpointSettingsBody: Codable, Sendable {
    var IPAMConfig: EndpointIPAMConfigWire?
    var Links: [String]?
    var Aliases: [String]?

    func request() throws -> EndpointRequest {
        let links: [ContainerLink]?
        do {
            links = try Links.flatMap { $0.isEmpty ? nil : try $0.map { try ContainerLink(parsing: $0) } }
        } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
        let linkLocal = (IPAMConfig?.LinkLocalIPs ?? []).filter { !$0.isEmpty }
        return EndpointRequest(aliases: Aliases ?? [],
                               ipv4Address: IPAMConfig?.IPv4Address.flatMap { $0.isEmpty ? nil : $0 },
                               ipv6Address: IPAMConfig?.IPv6Address.flatMap { $0.isEmpty ? nil : $0 },
                               linkLocalIPs: linkLocal.isEmpty ? nil : linkLocal, links: links)
    }
}

struct NetworkConnectBody: Decodable, Sendable {
    var Container: String?
    var EndpointConfig: EndpointSettingsBody?
}

struct NetworkDisconnectBody: Decodable, Sendable {
    var Container: String?
    var Force: Bool?
}

struct NetworkContainerWire: Encodable, Sendable {
    var Name: String
    var EndpointID: String
    var MacAddress: String
    var IPv4Address: String
    var IPv6Address: String
}

struct NetworkWire: Encodable, Sendable {
    struct ConfigFrom: Encodable, Sendable { var Network: String }
    var Name: String
    var Id: String
    var Created: String
    var Scope: String
    var Driver: String
    var EnableIPv6: Bool
    var IPAM: IPAMWire
    var Internal: Bool
    var Attachable: Bool
    var Ingress: Bool
    var ConfigFrom: ConfigFrom
    var ConfigOnly: Bool
    var Containers: [String: NetworkContainerWire]
    var Options: [String: String]
    var Labels: [String: String]
    /// Swarm-scoped networks only (Docker leaves the key out for local ones).
    var Peers: [NetworkPeerWire]?
}

struct NetworkPeerWire: Encodable, Sendable {
    var Name: String
    var IP: String
}

struct NetworkCreateResponseWire: Encodable, Sendable {
    var Id: String
    var Warning: String
}

struct NetworkPruneWire: Encodable, Sendable {
    var NetworksDeleted: [String]
}

extension NetworkView {
    func wire() -> NetworkWire {
        let config = record.ipam.map {
            IPAMConfigWire(Subnet: $0.subnet, IPRange: $0.ipRange, Gateway: $0.gateway,
                           AuxiliaryAddresses: $0.auxAddresses.isEmpty ? nil : $0.auxAddresses)
        }
        var containerMap: [String: NetworkContainerWire] = [:]
        for container in containers {
            containerMap[container.containerID] = NetworkContainerWire(
                Name: container.name, EndpointID: container.endpointID, MacAddress: container.macAddress,
                IPv4Address: container.ipv4Address, IPv6Address: container.ipv6Address)
        }
        return NetworkWire(
            Name: record.name, Id: record.id, Created: Wire.rfc3339Nano(record.created), Scope: record.scope,
            Driver: record.driver, EnableIPv6: record.ipv6Enabled,
            IPAM: IPAMWire(Driver: "default", Config: config, Options: record.ipamOptions),
            Internal: record.isInternal, Attachable: record.attachable, Ingress: record.isIngress,
            ConfigFrom: .init(Network: ""), ConfigOnly: false, Containers: containerMap, Options: record.options,
            Labels: record.labels,
            Peers: record.isSwarmScoped && !peers.isEmpty ? peers.map { NetworkPeerWire(Name: $0.name, IP: $0.ip) } : nil)
    }
}
