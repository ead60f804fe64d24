import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ShoalDockerAPI
import ShoalModel
import Testing

@Suite struct NodeRouteTests {
    @Test func listRendersDockersNodeObjects() async throws {
        try await RouteTest.run(FakeSwarmBackend(active: true)) { client in
            let response = try await client.get("/nodes")
            #expect(response.status == .ok)
            let nodes = try #require(try response.json() as? [[String: Any]])
            #expect(nodes.count == 2)
            let manager = nodes[0]
            #expect(Set(manager.keys) == ["ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "Description", "Status",
                                          "ManagerStatus"])
            #expect(manager["ID"] as? String == "manageridmanageridmanageri")
            #expect(int64(manager, "Version", "Index") == 9)
            #expect(manager["CreatedAt"] as? String == Wire.rfc3339Nano(FakeSwarmBackend.created))
            // NodeSpec: Annotations.Name is omitempty, Labels is not.
            #expect(keys(manager, "Spec") == ["Labels", "Role", "Availability"])
            #expect(value(manager, "Spec", "Labels") as? [String: String] == ["zone": "a"])
            #expect(value(manager, "Spec", "Role") as? String == "manager")
            #expect(value(manager, "Spec", "Availability") as? String == "active")
            #expect(keys(manager, "Description") == ["Hostname", "Platform", "Resources", "Engine", "TLSInfo"])
            #expect(value(manager, "Description", "Hostname") as? String == "alpha")
            #expect(value(manager, "Description", "Platform", "Architecture") as? String == "x86_64")
            #expect(value(manager, "Description", "Platform", "OS") as? String == "linux")
            #expect(int64(manager, "Description", "Resources", "NanoCPUs") == 2_000_000_000)
            #expect(int64(manager, "Description", "Resources", "MemoryBytes") == 4 << 30)
            #expect(value(manager, "Description", "Engine", "EngineVersion") as? String == "20.10.99-shoal")
            #expect(value(manager, "Description", "Engine", "Labels") as? [String: String] == ["disk": "ssd"])
            let plugins = value(manager, "Description", "Engine", "Plugins") as? [[String: String]]
            #expect(plugins == [["Type": "Network", "Name": "bridge"]])
            #expect(keys(manager, "Description", "TLSInfo") == ["TrustRoot", "CertIssuerSubject", "CertIssuerPublicKey"])
            #expect(value(manager, "Description", "TLSInfo", "CertIssuerSubject") as? String == "MBMxEQ==")
            #expect(keys(manager, "Status") == ["State", "Addr"])
            #expect(value(manager, "Status", "State") as? String == "ready")
            #expect(value(manager, "Status", "Addr") as? String == "10.0.0.1")
            #expect(keys(manager, "ManagerStatus") == ["Leader", "Reachability", "Addr"])
            #expect(value(manager, "ManagerStatus", "Leader") as? Bool == true)
            #expect(value(manager, "ManagerStatus", "Reachability") as? String == "reachable")
            #expect(value(manager, "ManagerStatus", "Addr") as? String == "10.0.0.1:2377")

            let worker = nodes[1]
            // No ManagerStatus on workers; empty engine labels and plugins are omitted, node labels are not.
            #expect(Set(worker.keys) == ["ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "Description", "Status"])
            #expect(value(worker, "Spec", "Labels") as? [String: String] == [:])
            #expect(value(worker, "Spec", "Availability") as? String == "drain")
            #expect(keys(worker, "Description", "Engine") == ["EngineVersion"])
            #expect(value(worker, "Status", "State") as? String == "down")
            #expect(value(worker, "Status", "Message") as? String == "heartbeat failure")
        }
    }

    @Test func listFiltersAsSwarmkit() async throws {
        let manager = "manageridmanageridmanageri"
        let worker = "workeridworkeridworkeridw"
        let cases: [(String, [String])] = [
            (#"{"role":{"manager":true}}"#, [manager]),
            (#"{"role":{"Worker":true}}"#, [worker]),
            (#"{"name":{"be":true}}"#, [worker]),
            (#"{"id":{"work":true}}"#, [worker]),
            (#"{"node.label":{"zone=a":true}}"#, [manager]),
            (#"{"node.label":{"zone":true}}"#, [manager]),
            (#"{"node.label":{"zone=b":true}}"#, []),
            (#"{"label":{"disk=ssd":true}}"#, [manager]),
            (#"{"membership":{"accepted":true}}"#, [manager, worker]),
            (#"{"membership":{"pending":true}}"#, []),
            (#"{"role":{"manager":true},"name":{"be":true}}"#, []),
        ]
        try await RouteTest.run(FakeSwarmBackend(active: true)) { client in
            for (filters, expected) in cases {
                let query = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await client.get("/nodes?filters=" + query)
                #expect(response.status == .ok, "\(filters)")
                let ids = (try response.json() as? [[String: Any]])?.compactMap { $0["ID"] as? String }
                #expect(ids == expected, "\(filters)")
            }
            let bad: [(String, String)] = [
                (#"{"role":{"boss":true}}"#, "Invalid role filter: 'boss'"),
                (#"{"membership":{"maybe":true}}"#, "Invalid membership filter: 'maybe'"),
                (#"{"colour":{"red":true}}"#, "invalid filter 'colour'"),
            ]
            for (filters, message) in bad {
                let query = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await client.get("/nodes?filters=" + query)
                #expect(response.status == .badRequest, "\(filters)")
                #expect(response.message == message)
            }
        }
    }

    @Test func inspectFindsANodeOrAnswers404() async throws {
        try await RouteTest.run(FakeSwarmBackend(active: true)) { client in
            let response = try await client.get("/nodes/beta")
            #expect(response.status == .ok)
            #expect(value(try response.json(), "ID") as? String == "workeridworkeridworkeridw")
            let missing = try await client.get("/nodes/nope")
            #expect(missing.status == .notFound)
            #expect(missing.message == "node nope not found")
        }
    }

    @Test func updateTakesTheSpecAndVersion() async throws {
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            let body = #"{"Name":"edge","Labels":{"a":"b"},"Role":"Manager","Availability":"PAUSE"}"#
            let response = try await client.post("/nodes/workeridworkeridworkeridw/update?version=12", body)
            #expect(response.status == .ok, "\(response.text)")
            let stale = try await client.post("/nodes/workeridworkeridworkeridw/update?version=12", body)
            #expect(stale.status == .conflict)
        }
        let updates = await swarm.nodeUpdates
        #expect(updates.count == 1)
        let update = try #require(updates.first)
        #expect(update.ref == "workeridworkeridworkeridw")
        #expect(update.version == 12)
        var expected = NodeSpec(role: .manager)
        expected.name = "edge"
        expected.labels = ["a": "b"]
        expected.availability = .pause
        #expect(update.spec == expected)
    }

    @Test func updateRefusesBadInput() async throws {
        let path = "/nodes/workeridworkeridworkeridw/update"
        let good = #"{"Role":"worker","Availability":"active"}"#
        let cases: [(String, String?, String?)] = [
            (path, good, #"invalid node version '': strconv.ParseUint: parsing "": invalid syntax"#),
            (path + "?version=x1", good, #"invalid node version 'x1': strconv.ParseUint: parsing "x1": invalid syntax"#),
            (path + "?version=12", #"{"Role":"boss","Availability":"active"}"#, #"invalid Role: "boss""#),
            (path + "?version=12", #"{"Availability":"active"}"#, #"invalid Role: """#),
            (path + "?version=12", #"{"Role":"worker","Availability":"sleepy"}"#, #"invalid Availability: "sleepy""#),
            (path + "?version=12", #"{"Role":"worker"}"#, #"invalid Availability: """#),
            (path + "?version=12", #"{"Role":1}"#, nil),
            (path + "?version=12", "{", nil),
            (path + "?version=12", nil, "got EOF while reading request body"),
        ]
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            for (uri, body, message) in cases {
                let response = try await client.post(uri, body)
                #expect(response.status == .badRequest, "\(uri) \(body ?? "")")
                if let message { #expect(response.message == message, "\(uri) \(body ?? "")") }
            }
        }
        #expect(await swarm.nodeUpdates.isEmpty)
    }

    @Test func removePassesForce() async throws {
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            let forced = try await client.delete("/nodes/beta?force=true")
            let plain = try await client.delete("/nodes/alpha")
            let gone = try await client.delete("/nodes/beta")
            #expect(forced.status == .ok)
            #expect(plain.status == .ok)
            #expect(gone.status == .notFound)
        }
        let removals = await swarm.removals
        #expect(removals.map(\.ref) == ["beta", "alpha"])
        #expect(removals.map(\.force) == [true, false])
    }

    @Test func everyNodeRouteAnswers503OutsideASwarm() async throws {
        try await RouteTest.run(FakeSwarmBackend()) { client in
            let query = #"{"colour":{"red":true}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let responses = [
                try await client.get("/nodes?filters=" + query),
                try await client.post("/nodes/x/update?version=1", #"{"Role":"worker","Availability":"active"}"#),
                try await client.delete("/nodes/x"),
            ]
            for response in responses {
                #expect(response.status == .serviceUnavailable)
                #expect(response.message == SwarmRouteTests.notManager)
            }
        }
    }
}
