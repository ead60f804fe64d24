import Foundation
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalEngine

/// `docker network create` checks and host-port requests: pure, so every refusal is checked without a kernel.
@Suite struct NetworkDefinitionTests {
    static let existing = [
        NetworkRecord(id: String(repeating: "a", count: 64), name: "bridge", driver: "bridge", created: Date(),
                      isPredefined: true, bridgeName: "shoal0"),
        NetworkRecord(id: String(repeating: "b", count: 64), name: "app", driver: "bridge", created: Date(),
                      bridgeName: "br-app"),
    ]

    func refusal(_ request: NetworkCreateRequest) -> ShoalError? {
        do {
            _ = try NetworkDefinition.validate(request, existing: Self.existing)
            return nil
        } catch {
            return error as? ShoalError
        }
    }

    @Test func acceptsEveryOptionAndNamesTheBridge() throws {
        let record = try NetworkDefinition.validate(NetworkCreateRequest(
            name: "db.net_1", isInternal: true, attachable: true, labels: ["a": "b"],
            options: ["com.docker.network.driver.mtu": "1400"],
            ipam: [IPAMPool(subnet: "10.9.0.0/24", gateway: "10.9.0.254", ipRange: "10.9.0.128/25",
                            auxAddresses: ["printer": "10.9.0.129"])]), existing: Self.existing)
        #expect(record.bridgeName == "br-" + record.id.prefix(12))
        #expect(record.mtu == 1400 && record.isInternal && record.attachable && record.driver == "bridge")
        let named = try NetworkDefinition.validate(NetworkCreateRequest(
            name: "x1", options: ["com.docker.network.bridge.name": "mybr0"]), existing: Self.existing)
        #expect(named.bridgeName == "mybr0")
        // Docker 20.10 takes any name that is not blank, and unknown driver options without effect.
        let spaced = try NetworkDefinition.validate(NetworkCreateRequest(
            name: "my net/1", options: ["com.example.whatever": "x", "com.docker.network.bridge.enable_icc": "0"],
            ipamOptions: ["k": "v"], scope: "local"), existing: Self.existing)
        #expect(spaced.name == "my net/1" && spaced.options["com.example.whatever"] == "x" && spaced.scope == "local")
        #expect(spaced.ipamOptions == ["k": "v"] && !spaced.ipv6Enabled)
        let dual = try NetworkDefinition.validate(NetworkCreateRequest(
            name: "v6", enableIPv6: true, ipam: [IPAMPool(subnet: "fd00:1::/64"), IPAMPool(subnet: "10.7.0.0/24")]),
            existing: Self.existing)
        #expect(dual.ipv6Enabled && dual.ipv4Pool?.subnet == "10.7.0.0/24" && dual.ipv6Pool?.subnet == "fd00:1::/64")
    }

    @Test func bridgeOptionsReadAsGoReadsThem() throws {
        let options = try BridgeOptions(["com.docker.network.bridge.enable_icc": "F",
                                         "com.docker.network.bridge.enable_ip_masquerade": "0",
                                         "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
                                         "com.docker.network.driver.mtu": "0"])
        #expect(!options.interContainer && !options.masquerade && options.mtu == nil)
        #expect(options.hostBinding?.description == "127.0.0.1")
        #expect(BridgeOptions.flag(["k": "TRUE"], "k", default: false) && !BridgeOptions.flag([:], "k", default: false))
    }

    @Test(arguments: [
        (NetworkCreateRequest(name: "app"), ShoalError.Code.conflict, "network with name app already exists"),
        (NetworkCreateRequest(name: "bridge"), .permissionDenied, "bridge is a pre-defined network and cannot be created"),
        (NetworkCreateRequest(name: "  "), .invalidArgument, "invalid name:   "),
        (NetworkCreateRequest(name: "n", driver: "host"), .permissionDenied, "only one instance of \"host\" network is allowed"),
        (NetworkCreateRequest(name: "n", driver: "weave"), .notFound, "plugin \"weave\" not found"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.driver.mtu": "9x"]), .invalidArgument,
         "failed to parse com.docker.network.driver.mtu value: 9x (strconv.Atoi: parsing \"9x\": invalid syntax)"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.driver.mtu": "-5"]), .invalidArgument,
         "invalid MTU number: -5"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.bridge.enable_icc": "maybe"]), .invalidArgument,
         "failed to parse com.docker.network.bridge.enable_icc value: maybe "
             + "(strconv.ParseBool: parsing \"maybe\": invalid syntax)"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.bridge.enable_ip_masquerade": "no"]),
         .invalidArgument,
         "failed to parse com.docker.network.bridge.enable_ip_masquerade value: no"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.bridge.host_binding_ipv4": "x"]),
         .invalidArgument,
         "failed to parse com.docker.network.bridge.host_binding_ipv4 value: x (nil ip)"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.bridge.name": "br-app"]), .permissionDenied,
         "conflicts with network bbbbbbbbbbbb"),
        (NetworkCreateRequest(name: "n", options: ["com.docker.network.bridge.name": "a-very-long-bridge-name"]), .invalidArgument, "at most 15 characters"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.0/33")]), .invalidArgument, "invalid CIDR address: 10.0.0.0/33"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.5/24")]), .invalidArgument, "invalid subnet 10.0.0.5/24"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.0/24", gateway: "10.0.1.1")]), .invalidArgument, "no matching subnet for gateway 10.0.1.1"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.0/24", ipRange: "10.0.1.0/25")]), .invalidArgument, "no matching subnet for range 10.0.1.0/25"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.0/24", auxAddresses: ["h": "10.2.0.1"])]), .invalidArgument, "no matching subnet for aux-address 10.2.0.1"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.0/24", gateway: "10.0.0.9", auxAddresses: ["h": "10.0.0.9"])]), .conflict, "Address already in use"),
        (NetworkCreateRequest(name: "n", ipam: [IPAMPool(subnet: "10.0.0.0/24"), IPAMPool(subnet: "10.1.0.0/24")]),
         .permissionDenied, "bridge driver doesnt support multiple subnets"),
        (NetworkCreateRequest(name: "n", enableIPv6: true), .notFound,
         "could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network"),
        (NetworkCreateRequest(name: "n", enableIPv6: true,
                              ipam: [IPAMPool(subnet: "fd00:1::/64", gateway: "fd00:2::1")]),
         .invalidArgument, "no matching subnet for gateway fd00:2::1"),
        (NetworkCreateRequest(name: "n", enableIPv6: true,
                              ipam: [IPAMPool(subnet: "fd00:1::/64", auxAddresses: ["a": "fd00:2::5"])]),
         .invalidArgument, "no matching subnet for aux-address fd00:2::5"),
        (NetworkCreateRequest(name: "n", enableIPv6: true, ipam: [IPAMPool(subnet: "fd00:1::1/64")]), .invalidArgument,
         "invalid subnet fd00:1::1/64"),
        (NetworkCreateRequest(name: "n", ingress: true), .permissionDenied,
         "Ingress network can only be global scope network"),
        (NetworkCreateRequest(name: "n", scope: "swarm"), .permissionDenied,
         "cannot create a swarm scoped network when swarm is not active"),
        (NetworkCreateRequest(name: "n", ipamDriver: "dhcp"), .notFound, "plugin \"dhcp\" not found"),
    ])
    func refusesBadRequests(_ request: NetworkCreateRequest, _ code: ShoalError.Code, _ message: String) {
        let error = refusal(request)
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func gatewayDefaultsToTheFirstHost() throws {
        #expect(try NetworkDefinition.withGateway(IPAMPool(subnet: "10.4.0.0/16")).gateway == "10.4.0.1")
        #expect(try NetworkDefinition.withGateway(IPAMPool(subnet: "10.4.0.0/16", gateway: "10.4.9.9")).gateway == "10.4.9.9")
        #expect(try NetworkDefinition.withGateway(IPAMPool(subnet: "fd00:4::/64")).gateway == "fd00:4::1")
    }

    @Test func hostPortRequests() throws {
        var spec = ContainerSpec(image: "x")
        spec.host.portBindings = [
            "80/tcp": [PortBinding(hostIP: "", hostPort: "8080"), PortBinding(hostIP: "127.0.0.1", hostPort: "")],
            "53/udp": [PortBinding(hostIP: "::", hostPort: "53")],
            "90": [PortBinding(hostIP: "", hostPort: "9000-9010")],
        ]
        spec.host.publishAllPorts = true
        var record = ContainerRecord(id: "id", name: "n", created: Date(), spec: spec, imageID: "", entrypoint: [],
                                     cmd: [], env: [], workingDir: "/", user: "", hostname: "h", stopSignal: "",
                                     mounts: [], exposedPorts: ["443/tcp", "80/tcp"], labels: [:])
        let onLoopback = try PortRequests.expand(record, defaultHostIP: "127.0.0.2").map(\.1)
        #expect(onLoopback == ["127.0.0.2", "127.0.0.2", "127.0.0.1", "127.0.0.2"])
        let expanded = try PortRequests.expand(record).map { "\($0.0) \($0.1) \(String(describing: $0.2))" }
        #expect(expanded == [
            "443/tcp 0.0.0.0 nil", "80/tcp 0.0.0.0 Optional(ClosedRange(8080...8080))", "80/tcp 127.0.0.1 nil",
            "90/tcp 0.0.0.0 Optional(ClosedRange(9000...9010))",
        ])
        record.spec.host.portBindings = ["80/sctp": [PortBinding(hostIP: "", hostPort: "1")]]
        #expect(throws: ShoalError.self) { try PortRequests.expand(record) }
        for bad in ["x", "0-5", "9-3", "1-2-3", "70000"] {
            #expect(throws: ShoalError.self, "\(bad)") { try PortRequests.hostRange(bad) }
        }
    }
}
