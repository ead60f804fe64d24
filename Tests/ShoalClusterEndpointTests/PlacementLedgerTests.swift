import Foundation
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

    func counts(_ chosen: [ClusterNode]) -> [Int] {
        Self.nodes.map { node in chosen.filter { $0.id == node.id }.count }
    }

    @Test func placementsStillBeingMadeAndMadeButNotListedCount() throws {
        let ledger = PlacementLedger()
        // Eight decided from the same (empty) lists before any is made: spread as if one after another.
        var decided: [(node: ClusterNode, token: UUID)] = []
        for _ in 0..<8 {
            decided.append(try ledger.decide(Self.free, nodes: Self.nodes, listed: [], strategy: .spread))
        }
        var spread = counts(decided.map(\.node))
        #expect(spread.max()! - spread.min()! <= 1, "\(spread)")
        // Made, the lists not showing them yet: still counted.
        for (index, entry) in decided.enumerated() { ledger.settle(entry.token, id: "made\(index)") }
        let next = try (0..<2).map { _ in try ledger.decide(Self.free, nodes: Self.nodes, listed: [], strategy: .spread) }
        spread = counts(decided.map(\.node) + next.map(\.node))
        #expect(spread == [2, 2, 2, 2, 2], "\(spread)")
        for entry in next { ledger.settle(entry.token, id: nil) }

        // Once the lists show them, each counts once, not twice.
        let listed = decided.enumerated().map { index, entry in
            ClusterContainer(node: entry.node, object: ["Id": "made\(index)", "Names": ["/x\(index)"]])
        }
        let after = try ledger.decide(Self.free, nodes: Self.nodes, listed: listed, strategy: .spread)
        #expect(counts(decided.map(\.node))[Self.nodes.firstIndex { $0.id == after.node.id }!] == 1)
        ledger.settle(after.token, id: nil)

        // A failed create is not counted; a made one the lists never show stops counting after the window.
        let late = Date().addingTimeInterval(PlacementLedger.recentWindow + 1)
        let fresh = try ledger.decide(Self.free, nodes: Self.nodes, listed: [], strategy: .spread, now: late)
        #expect(fresh.node.id == "id1")
    }
}
