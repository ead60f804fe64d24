import Foundation
import ShoalCore
import ShoalScheduler
import Testing
@testable import ShoalClusterEndpoint

/// The cluster endpoint's pure parts: which container a reference means across the nodes, how `docker ps` and
/// `docker port` show them, and what the scheduler reads from a create body.
@Suite struct ClusterContainerTests {
    static let n1 = ClusterNode(id: "id1", hostname: "c-n1", address: "10.0.0.2", ready: true, nanoCPUs: 2_000_000_000, memoryBytes: 4 << 30)
    static let n2 = ClusterNode(id: "id2", hostname: "c-n2", address: "10.0.0.3", ready: true, nanoCPUs: 2_000_000_000, memoryBytes: 4 << 30)

    static func container(_ id: String, _ name: String, on node: ClusterNode, ports: [[String: Any]] = []) -> ClusterContainer {
        ClusterContainer(node: node, object: ["Id": id, "Names": ["/" + name], "Image": "registry:5000/app:1.2",
                                              "ImageID": "sha256:abc", "Ports": ports, "Created": 1])
    }

    @Test func referencesResolveAsDockerAndClassicSwarmResolveThem() throws {
        let all = [Self.container("aaaa1111", "db", on: Self.n1), Self.container("aaaa2222", "web", on: Self.n2),
                   Self.container("bbbb3333", "web", on: Self.n1)]
        #expect(try ClusterContainer.resolve("aaaa1111", in: all).names == ["db"])
        #expect(try ClusterContainer.resolve("db", in: all).id == "aaaa1111")
        #expect(try ClusterContainer.resolve("bbbb", in: all).id == "bbbb3333")
        #expect(try ClusterContainer.resolve("c-n2/web", in: all).id == "aaaa2222")
        #expect(try ClusterContainer.resolve("c-n1/web", in: all).id == "bbbb3333")
        // Ambiguous: a name on two nodes, a prefix of two IDs; unknown: Docker's 404 text.
        #expect(throws: ShoalError.self) { try ClusterContainer.resolve("web", in: all) }
        #expect(throws: ShoalError.self) { try ClusterContainer.resolve("aaaa", in: all) }
        do {
            _ = try ClusterContainer.resolve("nope", in: all)
            Issue.record("resolved an unknown container")
        } catch let error as ShoalError {
            #expect(error.code == .notFound && error.message == "No such container: nope")
        }
        #expect(throws: ShoalError.self) { try ClusterContainer.resolve("c-n2/db", in: all) }
    }

    @Test func psShowsNodeSlashNameAndPortsOnTheNodesAddress() throws {
        let ports: [[String: Any]] = [
            ["IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"],
            ["IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"],
            ["PrivatePort": 9000, "Type": "tcp"],
        ]
        let listed = Self.container("aaaa", "web", on: Self.n2, ports: ports).clusterObject
        #expect(listed["Names"] as? [String] == ["/c-n2/web"])
        let shown = try #require(listed["Ports"] as? [[String: Any]])
        #expect(shown.count == 2)
        #expect(shown[0]["IP"] as? String == "10.0.0.3" && shown[0]["PublicPort"] as? Int == 8080)
        #expect(shown[1]["PrivatePort"] as? Int == 9000 && shown[1]["PublicPort"] == nil)
        // What the port filter sees, and the image forms the affinity filter matches.
        let classic = Self.container("aaaa", "web", on: Self.n2, ports: ports).classic
        #expect(classic.hostPorts == [8080, 8080])
        #expect(classic.images == ["registry:5000/app:1.2", "sha256:abc", "registry:5000/app"])
    }

    @Test func theCreateBodyTellsTheSchedulerWhatItNeeds() throws {
        let body: [String: Any] = [
            "Image": "app",
            "Env": ["A=1", "constraint:node==*n1", "affinity:container==db", "reschedule:on-node-failure"],
            "Labels": ["tier": "web"],
            "HostConfig": [
                "PortBindings": ["80/tcp": [["HostIp": "", "HostPort": "8080"]], "53/udp": [["HostPort": ""]]],
                "NetworkMode": "container:db", "VolumesFrom": ["data:ro"], "Links": ["cache:c"],
                "NanoCpus": 500_000_000, "Memory": 1 << 28,
            ] as [String: Any],
        ]
        let placement = CreateBody.placement(body)
        #expect(placement.request.constraints == ["node==*n1"])
        #expect(placement.request.affinities == ["container==db"])
        #expect(placement.request.reschedulesOnNodeFailure)
        #expect(placement.hostPorts == [8080])
        #expect(placement.networkContainer == "db" && !placement.hostNetwork)
        #expect(placement.volumesFrom == ["data:ro"] && placement.links == ["cache:c"])
        #expect(placement.cpus == 500_000_000 && placement.memory == 1 << 28)

        let sent = CreateBody.rewritten(body, for: placement)
        #expect(sent["Env"] as? [String] == ["A=1"])
        let labels = try #require(sent["Labels"] as? [String: String])
        #expect(labels["tier"] == "web")
        #expect(labels["com.docker.swarm.constraints"] == #"["node==*n1"]"#)
        #expect(labels["com.docker.swarm.affinities"] == #"["container==db"]"#)
        #expect(sent["Image"] as? String == "app")

        // The classic scheduler places it beside its dependency, on a node that has it.
        let nodes = [NodeLoad(node: Self.n1, containers: [Self.container("d1", "db", on: Self.n1),
                                                          Self.container("c1", "cache", on: Self.n1),
                                                          Self.container("v1", "data", on: Self.n1)]).classic(),
                     NodeLoad(node: Self.n2).classic()]
        var free = placement
        free.request = ClassicRequest(env: ["A=1"], labels: [:])
        #expect(try ClassicScheduler.rank(free, nodes: nodes).first?.id == "id1")
    }
}
