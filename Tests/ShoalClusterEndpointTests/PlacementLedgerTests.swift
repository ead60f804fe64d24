import Foundation
import ShoalCore
import ShoalScheduler
import Testing
@testable import ShoalClusterEndpoint

/// Concurrent `docker run`s through the endpoint spread as if they came one after another.
@Suite struct PlacementLedgerTests {
    static let nodes = (1...5).map {
        ClusterNode(id: "id\($0)", hostname: "c-n\($0)", address: "10.0.0.\($0 + 1)", ready: true,
                    nanoCPUs: 2_000_000_000, memoryBytes: 4 << 30)
    }
    static let free = ClassicScheduler.Placement(request: ClassicRequest(env: [], labels: [:]))

    static var idle: [NodeLoad] { nodes.map { NodeLoad(node: $0) } }

    func counts(_ chosen: [ClusterNode]) -> [Int] {
        Self.nodes.map { node in chosen.filter { $0.id == node.id }.count }
    }

    @Test func placementsStillBeingMadeAndMadeButNotListedCount() throws {
        let ledger = PlacementLedger()
        // Eight decided from the same (empty) lists before any is made: spread as if one after another.
        var decided: [(node: ClusterNode, token: UUID)] = []
        for _ in 0..<8 {
            decided.append(try ledger.decide(Self.free, loads: Self.idle, strategy: .spread))
        }
        var spread = counts(decided.map(\.node))
        #expect(spread.max()! - spread.min()! <= 1, "\(spread)")
        // Made, the lists not showing them yet: still counted.
        for (index, entry) in decided.enumerated() { ledger.settle(entry.token, id: "made\(index)") }
        let next = try (0..<2).map { _ in try ledger.decide(Self.free, loads: Self.idle, strategy: .spread) }
        spread = counts(decided.map(\.node) + next.map(\.node))
        #expect(spread == [2, 2, 2, 2, 2], "\(spread)")
        for entry in next { ledger.settle(entry.token, id: nil) }

        // Once the lists show them, each counts once, not twice.
        let listed = decided.enumerated().map { index, entry in
            ClusterContainer(node: entry.node, object: ["Id": "made\(index)", "Names": ["/x\(index)"]])
        }
        let loads = Self.nodes.map { node in NodeLoad(node: node, containers: listed.filter { $0.node.id == node.id }) }
        let after = try ledger.decide(Self.free, loads: loads, strategy: .spread)
        #expect(counts(decided.map(\.node))[Self.nodes.firstIndex { $0.id == after.node.id }!] == 1)
        ledger.settle(after.token, id: nil)

        // A failed create is not counted; a made one the lists never show stops counting after the window.
        let late = Date().addingTimeInterval(PlacementLedger.recentWindow + 1)
        let fresh = try ledger.decide(Self.free, loads: Self.idle, strategy: .spread, now: late)
        #expect(fresh.node.id == "id1")
    }

    /// Reservations (`-m`, `--cpus`) still being made count against their node: two 3 GiB containers on two
    /// 4 GiB nodes go one each, and a third finds no room, as classic Swarm's resource filter says.
    @Test func pendingReservationsCountAgainstTheirNode() throws {
        let ledger = PlacementLedger()
        var big = Self.free
        big.memory = 3 << 30
        let two = Array(Self.idle.prefix(2))
        let first = try ledger.decide(big, loads: two, strategy: .spread)
        let second = try ledger.decide(big, loads: two, strategy: .spread)
        #expect(first.node.id != second.node.id)
        #expect(throws: ShoalError.self) { try ledger.decide(big, loads: two, strategy: .spread) }
        // Made and listed with the node's own count of what it reserves: still no room; binpack fills the
        // fuller node first when there is room.
        ledger.settle(first.token, id: "a")
        ledger.settle(second.token, id: "b")
        let listed = [first, second].enumerated().map { index, entry in
            NodeLoad(node: entry.node, containers: [ClusterContainer(node: entry.node, object: ["Id": ["a", "b"][index]])],
                     reservedMemory: 3 << 30)
        }
        #expect(throws: ShoalError.self) { try ledger.decide(big, loads: listed, strategy: .spread) }
        var small = Self.free
        small.memory = 512 << 20
        let loads = [NodeLoad(node: Self.nodes[0], reservedMemory: 1 << 30), NodeLoad(node: Self.nodes[1])]
        #expect(try ledger.decide(small, loads: loads, strategy: .binpack).node.id == "id1")
        #expect(try ledger.decide(small, loads: loads, strategy: .spread).node.id == "id2")
    }

    /// A node's `GET /shoal/placement` answer: its containers, reservations and engine facts, the node's own
    /// labels over the facts.
    @Test func aNodesPlacementAnswerIsRead() {
        var node = Self.nodes[0]
        node.labels = ["storagedriver": "mine", "zone": "a"]
        let load = NodeLoad(node: node, answer: [
            "Containers": [["Id": "c1", "Names": ["/web"]]], "ReservedNanoCPUs": 1_500_000_000, "ReservedMemory": 1 << 20,
            "Labels": ["storagedriver": "overlay", "kernelversion": "6.1.0"],
        ] as [String: Any])
        #expect(load.containers.map(\.names) == [["web"]])
        #expect(load.reservedCPUs == 1_500_000_000 && load.reservedMemory == 1 << 20)
        #expect(load.node.labels == ["storagedriver": "mine", "zone": "a", "kernelversion": "6.1.0"])
        let classic = load.classic(adding: [(cpus: 500_000_000, memory: 0)])
        #expect(classic.usedCPUs == 2_000_000_000 && classic.containers.count == 2)
    }

    /// Two runs of one name at once make one container; a made one keeps its name until the lists show it, and
    /// not when lists asked for after it was made no longer show it (removed).
    @Test func aNameIsTakenWhileItsContainerIsBeingMade() throws {
        let ledger = PlacementLedger()
        let first = try ledger.decide(Self.free, name: "web", loads: Self.idle, strategy: .spread)
        #expect(throws: ShoalError.self) { try ledger.decide(Self.free, name: "/web", loads: Self.idle, strategy: .spread) }
        let made = Date()
        ledger.settle(first.token, id: "w1", now: made)
        // A list asked for before it was made does not show it yet: still taken.
        #expect(throws: ShoalError.self) {
            try ledger.decide(Self.free, name: "web", loads: Self.idle, listedAt: made.addingTimeInterval(-1),
                              strategy: .spread, now: made)
        }
        // One asked for after does not show it: it is gone, and the name is free.
        let again = try ledger.decide(Self.free, name: "web", loads: Self.idle, listedAt: made.addingTimeInterval(0.001),
                                      strategy: .spread, now: made.addingTimeInterval(0.01))
        ledger.settle(again.token, id: nil)
        // Listed on a node: Docker's conflict, naming the container.
        let listed = [NodeLoad(node: Self.nodes[2], containers: [ClusterContainer(node: Self.nodes[2],
                                                                                    object: ["Id": "w2", "Names": ["/web"]])])]
        #expect {
            try ledger.decide(Self.free, name: "web", loads: listed, strategy: .spread)
        } throws: { error in
            "\(error)".contains("The container name \"/web\" is already in use by container \"w2\"")
        }
    }
}
