import Glibc
import ShoalTestSupport
import Testing
import ShoalNetlink

@Suite struct AddressRouteIntegrationTests {
    /// A namespace with an up veth pair "eth0"/"peer0"; returns eth0's index.
    private func upVeth(_ session: NetlinkSession) throws -> Int32 {
        try session.linkAddVeth(name: "eth0", peerName: "peer0")
        let index = try #require(try session.linkIndex(name: "eth0"))
        try session.linkSetUp(index: index)
        try session.linkSetUp(index: try #require(try session.linkIndex(name: "peer0")))
        return index
    }

    @Test func addressesOfBothFamilies() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            let eth0 = try upVeth(session)

            try session.addressAdd(index: eth0, address: ipBytes("10.1.0.2"), prefixLength: 24)
            try session.addressAdd(index: eth0, address: ipBytes("fd00::2"), prefixLength: 64)

            let ours = try session.addresses(index: eth0).filter { $0.family == .inet || $0.address.first == 0xfd }
            #expect(Set(ours) == [
                AddressInfo(family: .inet, address: ipBytes("10.1.0.2"), prefixLength: 24, index: eth0),
                AddressInfo(family: .inet6, address: ipBytes("fd00::2"), prefixLength: 64, index: eth0),
            ])
            #expect(try session.addresses().contains { $0.address == ipBytes("127.0.0.1") } == false)  // lo is down

            let shown = try #require(try await ns.ipJSON([IPAddressList].self, "addr", "show", "dev", "eth0").first)
            let v4 = try #require(shown.addr_info.first { $0.family == "inet" })
            #expect(v4.local == "10.1.0.2" && v4.prefixlen == 24 && v4.broadcast == "10.1.0.255")
            #expect(shown.addr_info.contains { $0.family == "inet6" && $0.local == "fd00::2" && $0.prefixlen == 64 })

            try session.addressDelete(index: eth0, address: ipBytes("10.1.0.2"), prefixLength: 24)
            try session.addressDelete(index: eth0, address: ipBytes("fd00::2"), prefixLength: 64)
            #expect(try session.addresses(index: eth0).allSatisfy { $0.family == .inet6 && $0.address.first == 0xfe })
            let after = try #require(try await ns.ipJSON([IPAddressList].self, "addr", "show", "dev", "eth0").first)
            #expect(after.addr_info.allSatisfy { $0.local.hasPrefix("fe80") })
        }
    }

    @Test func routesAndDefaultRoutes() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            let eth0 = try upVeth(session)
            try session.addressAdd(index: eth0, address: ipBytes("10.1.0.2"), prefixLength: 24)

            try session.routeAdd(destination: nil, gateway: ipBytes("10.1.0.1"))
            try session.routeAdd(destination: ipBytes("10.9.0.0"), prefixLength: 16, gateway: ipBytes("10.1.0.1"),
                                 outputIndex: eth0)
            try session.routeAdd(destination: ipBytes("10.8.0.0"), prefixLength: 16, outputIndex: eth0)
            try session.routeAdd(destination: ipBytes("fd01::"), prefixLength: 64, outputIndex: eth0)

            let v4 = try session.routes(family: .inet)
            #expect(v4.contains(RouteInfo(family: .inet, destination: nil, prefixLength: 0, gateway: ipBytes("10.1.0.1"),
                                          outputIndex: eth0)))
            #expect(v4.contains(RouteInfo(family: .inet, destination: ipBytes("10.9.0.0"), prefixLength: 16,
                                          gateway: ipBytes("10.1.0.1"), outputIndex: eth0)))
            #expect(v4.contains(RouteInfo(family: .inet, destination: ipBytes("10.8.0.0"), prefixLength: 16, gateway: nil,
                                          outputIndex: eth0)))
            #expect(v4.contains { $0.destination == ipBytes("10.1.0.0") && $0.prefixLength == 24 })  // connected route
            #expect(v4.count == 4)  // main table only: no local/broadcast routes
            #expect(try session.routes(family: .inet6).contains(RouteInfo(
                family: .inet6, destination: ipBytes("fd01::"), prefixLength: 64, gateway: nil, outputIndex: eth0)))

            let shown = try await ns.ipJSON([IPRoute].self, "route", "show")
            #expect(shown.contains { $0.dst == "default" && $0.gateway == "10.1.0.1" && $0.dev == "eth0" })
            #expect(shown.contains { $0.dst == "10.9.0.0/16" && $0.gateway == "10.1.0.1" })
            #expect(shown.contains { $0.dst == "10.8.0.0/16" && $0.gateway == nil && $0.dev == "eth0" })

            try session.routeDelete(destination: nil, gateway: ipBytes("10.1.0.1"))
            try session.routeDelete(destination: ipBytes("10.9.0.0"), prefixLength: 16)
            try session.routeDelete(destination: ipBytes("10.8.0.0"), prefixLength: 16, outputIndex: eth0)
            try session.routeDelete(destination: ipBytes("fd01::"), prefixLength: 64)
            #expect(try session.routes(family: .inet).map(\.destination) == [ipBytes("10.1.0.0")])
            #expect(try await ns.ipJSON([IPRoute].self, "route", "show").map(\.dst) == ["10.1.0.0/24"])
            #expect(try session.routes(family: .inet6).contains { $0.destination == ipBytes("fd01::") } == false)
        }
    }

    @Test func ipv6DefaultRoute() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            let eth0 = try upVeth(session)
            try session.routeAdd(destination: nil, gateway: ipBytes("fe80::1"), outputIndex: eth0)
            let route = RouteInfo(family: .inet6, destination: nil, prefixLength: 0, gateway: ipBytes("fe80::1"),
                                  outputIndex: eth0)
            #expect(try session.routes(family: .inet6).contains(route))
            #expect(try await ns.ipJSON([IPRoute].self, "-6", "route", "show").contains {
                $0.dst == "default" && $0.gateway == "fe80::1"
            })
            try session.routeDelete(destination: nil, gateway: ipBytes("fe80::1"), outputIndex: eth0)
            #expect(try session.routes(family: .inet6).contains(route) == false)
        }
    }
}
