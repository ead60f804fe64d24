import ShoalCore
import Testing
@testable import ShoalScheduler

/// Classic Swarm's placement language on the cluster endpoint: its expressions and their errors, the filters in
/// order with the combined error, soft expressions, and the spread and binpack strategies.
@Suite struct ClassicSchedulerTests {
    static let gib: Int64 = 1 << 30
    static let cpu: Int64 = 1_000_000_000

    func cluster() -> [ClassicNode] {
        [ClassicNode(id: "id1", name: "mycluster-n1", labels: ["storagedriver": "overlay2", "region": "us-east"],
                     containers: [.init(id: "aaa111", name: "db", images: ["mysql:5.6", "sha256:m", "mysql"],
                                        labels: ["tier": "data"], hostPorts: [3306])],
                     totalCPUs: 2 * Self.cpu, totalMemory: 4 * Self.gib),
         ClassicNode(id: "id2", name: "mycluster-n2", labels: ["region": "us-west"],
                     containers: [.init(id: "bbb222", name: "web", images: ["wordpress"], hostPorts: [80])],
                     totalCPUs: 2 * Self.cpu, totalMemory: 4 * Self.gib),
         ClassicNode(id: "id3", name: "mycluster-n3", labels: ["region": "us-west"], totalCPUs: 2 * Self.cpu,
                     totalMemory: 4 * Self.gib)]
    }

    /// `body` fails with exactly `message`.
    func refused(_ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("no error; expected \(message)", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? ShoalError)?.message == message, sourceLocation: sourceLocation)
        }
    }

    func placement(env: [String] = [], labels: [String: String] = [:]) -> ClassicScheduler.Placement {
        ClassicScheduler.Placement(request: ClassicRequest(env: env, labels: labels))
    }

    @Test func expressionsParseAsClassicSwarmsDid() throws {
        let glob = try ClassicExpression(parsing: "node==*n1")
        #expect(glob.key == "node" && glob.op == .equal && glob.value == "*n1" && !glob.isSoft)
        #expect(glob.matches(["mycluster-n1"]) && !glob.matches(["mycluster-n12"]))
        let soft = try ClassicExpression(parsing: "container==~db")
        #expect(soft.isSoft && soft.value == "db" && soft.description == "container==db")
        #expect(try ClassicExpression(parsing: "image==/redis:.*/").matches(["redis:7"]))
        #expect(try ClassicExpression(parsing: "region!=us-east").matches(["us-west"]))
        for (text, message) in [("node", "One of operator ==, != is expected"), ("1node==x", "Key '1node' is invalid"),
                                ("node==x&y", "Value 'x&y' is invalid")] {
            refused(message) { _ = try ClassicExpression(parsing: text) }
        }
    }

    @Test func schedulingEntriesLeaveTheEnvironmentForLabels() {
        let request = ClassicRequest(env: ["constraint:node==*n1", "A=1", "affinity:image==mysql", "reschedule:on-node-failure"],
                                     labels: ["com.docker.swarm.constraints": #"["region==us-east"]"#])
        #expect(request.env == ["A=1"])
        #expect(request.constraints == ["region==us-east", "node==*n1"] && request.affinities == ["image==mysql"])
        #expect(request.labels["com.docker.swarm.constraints"] == #"["region==us-east","node==*n1"]"#)
        #expect(request.reschedulesOnNodeFailure)
    }

    @Test func constraintsPinByNodeNameGlobAndLabels() throws {
        let pinned = try ClassicScheduler.rank(placement(env: ["constraint:node==*n2"]), nodes: cluster())
        #expect(pinned.map(\.name) == ["mycluster-n2"])
        let west = try ClassicScheduler.rank(placement(env: ["constraint:region==us-west"]), nodes: cluster())
        #expect(west.map(\.name) == ["mycluster-n3", "mycluster-n2"])
        let driver = try ClassicScheduler.rank(placement(env: ["constraint:storagedriver==overlay2"]), nodes: cluster())
        #expect(driver.map(\.name) == ["mycluster-n1"])
        // An ID matches when given whole; a glob or a regular expression matches names only (a node whose random
        // ID happens to end in n9 is not `*n9`).
        var unlucky = cluster()
        unlucky[2].id = "lkh8zgb7c2vq20ltngtcx69n9"
        let byID = try ClassicScheduler.rank(placement(env: ["constraint:node==lkh8zgb7c2vq20ltngtcx69n9"]), nodes: unlucky)
        #expect(byID.map(\.name) == ["mycluster-n3"])
        #expect(throws: ShoalError.self) { try ClassicScheduler.rank(placement(env: ["constraint:node==*n9"]), nodes: unlucky) }
        #expect(throws: ShoalError.self) { try ClassicScheduler.rank(placement(env: ["constraint:node==/n9$/"]), nodes: unlucky) }
    }

    @Test func affinitiesFollowContainersImagesAndLabels() throws {
        #expect(try ClassicScheduler.rank(placement(env: ["affinity:container==db"]), nodes: cluster()).map(\.id) == ["id1"])
        #expect(try ClassicScheduler.rank(placement(env: ["affinity:image==mysql"]), nodes: cluster()).map(\.id) == ["id1"])
        #expect(try ClassicScheduler.rank(placement(env: ["affinity:tier==data"]), nodes: cluster()).map(\.id) == ["id1"])
        #expect(try ClassicScheduler.rank(placement(env: ["affinity:container!=db"]), nodes: cluster()).map(\.id) == ["id3", "id2"])
    }

    @Test func noNodeListsTheConditionsUpToTheFilterThatFailed() {
        var request = placement(env: ["affinity:container==web", "constraint:node==*n1"])
        request.hostPorts = [8080]
        refused("Unable to find a node that satisfies the following conditions \n[port 8080 (Bridge mode)]\n[container==web (soft=false)]\n[node==*n1]") {
            _ = try ClassicScheduler.rank(request, nodes: cluster())
        }
    }

    @Test func aSoftConstraintIsDroppedWhenNoNodeSatisfiesIt() throws {
        #expect(try ClassicScheduler.rank(placement(env: ["constraint:node==~*n1"]), nodes: cluster()).map(\.id) == ["id1"])
        #expect(try ClassicScheduler.rank(placement(env: ["constraint:node==~*n9"]), nodes: cluster()).count == 3)
    }

    @Test func portsDependenciesAndHealth() throws {
        var published = placement()
        published.hostPorts = [80]
        #expect(try ClassicScheduler.rank(published, nodes: cluster()).map(\.id) == ["id3", "id1"])
        var linked = placement()
        linked.links = ["db:mysql"]
        #expect(try ClassicScheduler.rank(linked, nodes: cluster()).map(\.id) == ["id1"])
        let down = cluster().map { node in
            var node = node
            node.healthy = false
            return node
        }
        refused("No healthy node available in the cluster") {
            _ = try ClassicScheduler.rank(placement(), nodes: down)
        }
    }

    @Test func spreadPrefersTheLeastUsedAndBinpackTheMost() throws {
        var nodes = cluster()
        nodes[0].usedMemory = 2 * Self.gib
        var request = placement()
        request.memory = Self.gib
        #expect(try ClassicScheduler.rank(request, nodes: nodes).first?.id == "id3")
        #expect(try ClassicScheduler.rank(request, nodes: nodes, strategy: .binpack).first?.id == "id1")
        request.memory = 3 * Self.gib
        #expect(try ClassicScheduler.rank(request, nodes: nodes).map(\.id) == ["id3", "id2"])
        request.memory = 5 * Self.gib
        refused("no resources available to schedule container") {
            _ = try ClassicScheduler.rank(request, nodes: nodes)
        }
    }

    @Test func spreadKeepsTwoHundredContainersEven() throws {
        var nodes = (1...5).map { ClassicNode(id: "n\($0)", name: "c-n\($0)", totalCPUs: 2 * Self.cpu, totalMemory: 4 * Self.gib) }
        for index in 0..<200 {
            let chosen = try #require(try ClassicScheduler.rank(placement(), nodes: nodes).first)
            let at = nodes.firstIndex { $0.id == chosen.id }!
            nodes[at].containers.append(.init(id: "c\(index)", name: "c\(index)"))
        }
        let counts = nodes.map(\.containers.count)
        #expect(counts.max()! - counts.min()! <= 1)
    }
}
