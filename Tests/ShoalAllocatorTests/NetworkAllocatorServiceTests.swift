import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalIPAM
import ShoalClusterProto
import Testing
@testable import ShoalAllocator

/// The leader's allocator over an in-memory store: networks and endpoints committed with their allocation,
/// fenced by the leadership term, so a deposed leader's writes fail and a new leader never hands out what the old
/// one did.
@Suite struct NetworkAllocatorServiceTests {
    static func spec(_ name: String, subnet: String? = nil, attachable: Bool = true) -> SwarmNetworkSpec {
        var spec = SwarmNetworkSpec()
        spec.name = name
        spec.driver = "overlay"
        spec.attachable = attachable
        if let subnet {
            var ipam = Shoal_Cluster_V1_IPAMConfig()
            ipam.subnet = subnet
            spec.ipam = [ipam]
        }
        return spec
    }

    static func leader(_ node: String, _ store: MemoryClusterStore) async throws -> NetworkAllocatorService {
        NetworkAllocatorService(store: store, fence: try await LeaderFence.claim(for: node, in: store),
                                pools: AddressPoolSpec.globalDefaults)
    }

    @Test func aDeposedLeaderCannotWriteAndTheNewOneReusesNothing() async throws {
        let store = MemoryClusterStore()
        let old = try await Self.leader("m1", store)
        var made: [SwarmNetwork] = []
        for index in 0..<3 { made.append(try await old.create(Self.spec("n\(index)"))) }
        // m2 takes the lead in the middle of the creates: m1's next create is refused and stores nothing.
        let new = try await Self.leader("m2", store)
        let refused = await #expect(throws: ShoalError.self) { try await old.create(Self.spec("late")) }
        #expect(refused?.code == .unavailable)
        for index in 3..<6 { made.append(try await new.create(Self.spec("n\(index)"))) }
        let stored = try await StoreTable<SwarmNetwork>(store).list().map(\.object)
        #expect(stored.count == 6)
        #expect(!stored.contains { $0.spec.name == "late" })
        #expect(Set(stored.map(\.vni)).count == 6)
        #expect(Set(stored.map { $0.ipam[0].subnet }).count == 6)
        #expect(stored.map(\.vni).sorted() == Array(4096...4101))
    }

    @Test func endpointsGetDistinctAddressesAndNetworksInUseStay() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let network = try await leader.create(Self.spec("app", subnet: "10.9.0.0/24"))
        func attach(_ node: String, _ container: String, ip: String = "") async throws -> SwarmAttachment {
            try await leader.attach(nodeID: node, nodeAddress: "192.0.2.1", networkID: network.id,
                                    containerID: container, containerName: container, aliases: [],
                                    dnsNames: [container], requestedAddress: ip)
        }
        let a = try await attach("w1", "a")
        let b = try await attach("w2", "b")
        #expect(a.address == "10.9.0.2" && b.address == "10.9.0.3")
        #expect(a.macAddress == "02:42:0a:09:00:02")
        let chosen = try await attach("w2", "c", ip: "10.9.0.50")
        #expect(chosen.address == "10.9.0.50")
        await #expect(throws: ShoalError.self) { try await attach("w1", "d", ip: "10.9.0.50") }

        let busy = await #expect(throws: ShoalError.self) { try await leader.remove("app") }
        #expect(busy?.message.contains("is in use") == true)
        // Only its own node renames an endpoint or gives it back; a rename keeps the address.
        await #expect(throws: ShoalError.self) {
            try await leader.rename(nodeID: "w1", attachmentID: b.id, containerName: "x", dnsNames: ["x"])
        }
        let renamed = try await leader.rename(nodeID: "w2", attachmentID: b.id, containerName: "b2", dnsNames: ["b2"])
        #expect(renamed.address == b.address && renamed.dnsNames == ["b2"])
        #expect(try await StoreTable<SwarmAttachment>(store).get(b.id)?.object == renamed)
        await #expect(throws: ShoalError.self) { try await leader.detach(nodeID: "w1", attachmentID: b.id) }
        for (node, endpoint) in [("w1", a), ("w2", b), ("w2", chosen)] {
            #expect(try await leader.detach(nodeID: node, attachmentID: endpoint.id) != nil)
        }
        #expect(try await leader.detach(nodeID: "w1", attachmentID: a.id) == nil)
        try await leader.remove("app")
        #expect(try await StoreTable<SwarmNetwork>(store).list().isEmpty)
    }

    @Test func notAttachableAndUnknownNetworksAreRefused() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let closed = try await leader.create(Self.spec("closed", attachable: false))
        let refused = await #expect(throws: ShoalError.self) {
            try await leader.attach(nodeID: "w1", nodeAddress: "192.0.2.1", networkID: closed.id, containerID: "c",
                                    containerName: "c", aliases: [], dnsNames: [], requestedAddress: "")
        }
        #expect(refused?.message.contains("network closed not manually attachable") == true)
        await #expect(throws: ShoalError.self) {
            try await leader.attach(nodeID: "w1", nodeAddress: "192.0.2.1", networkID: "nosuch", containerID: "c",
                                    containerName: "c", aliases: [], dnsNames: [], requestedAddress: "")
        }
        #expect(try await StoreTable<SwarmAttachment>(store).list().isEmpty)
        let taken = await #expect(throws: ShoalError.self) { try await leader.create(Self.spec("closed")) }
        #expect(taken?.code == .conflict)
    }

    @Test func aFullSpaceIsAFinalAnswerNotAnOutage() async throws {
        let store = MemoryClusterStore()
        let leader = NetworkAllocatorService(
            store: store, fence: try await LeaderFence.claim(for: "m1", in: store),
            pools: [try AddressPoolSpec(base: try IPv4Subnet(parsing: "10.9.0.0/30", label: "pool"), size: 30)])
        let network = try await leader.create(Self.spec("only"))
        let full = await #expect(throws: ShoalError.self) { try await leader.create(Self.spec("more")) }
        #expect(full?.code == .internalError && full?.message.contains("could not find an available") == true)
        // A /30 holds one endpoint beside its gateway.
        func attach(_ container: String) async throws -> SwarmAttachment {
            try await leader.attach(nodeID: "w1", nodeAddress: "192.0.2.1", networkID: network.id,
                                    containerID: container, containerName: container, aliases: [], dnsNames: [],
                                    requestedAddress: "")
        }
        _ = try await attach("a")
        let noAddress = await #expect(throws: ShoalError.self) { try await attach("b") }
        #expect(noAddress?.code == .internalError, "\(String(describing: noAddress))")
    }

    @Test func aNodeThatReportsItsEndpointsLosesTheStaleOnes() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let network = try await leader.create(Self.spec("app"))
        var ids: [String] = []
        for container in ["a", "b"] {
            ids.append(try await leader.attach(nodeID: "w1", nodeAddress: "192.0.2.1", networkID: network.id,
                                               containerID: container, containerName: container, aliases: [],
                                               dnsNames: [], requestedAddress: "").id)
        }
        // Made just now: kept through the grace time even when not reported.
        #expect(try await leader.reconcile(nodeID: "w1", keep: [ids[0]]).isEmpty)
        let dropped = try await leader.reconcile(nodeID: "w1", keep: [ids[0]], grace: .zero)
        #expect(dropped.map(\.id) == [ids[1]])
        #expect(try await StoreTable<SwarmAttachment>(store).list().map(\.id) == [ids[0]])
    }
}
