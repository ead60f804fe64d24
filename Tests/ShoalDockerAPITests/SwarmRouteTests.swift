import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ShoalDockerAPI
import ShoalModel
import Testing

@Suite struct SwarmRouteTests {
    static let notManager =
        #"This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again."#

    @Test func aNodeOutsideASwarmAnswersDockers503() async throws {
        try await RouteTest.run(FakeSwarmBackend()) { client in
            for path in ["/swarm", "/swarm/unlockkey", "/nodes", "/nodes/abc"] {
                let response = try await client.get(path)
                #expect(response.status == .serviceUnavailable, "\(path)")
                #expect(response.message == Self.notManager, "\(path)")
            }
            let update = try await client.post("/swarm/update?version=1", "{}")
            #expect(update.status == .serviceUnavailable)
            let unlock = try await client.post("/swarm/unlock", #"{"UnlockKey":"SWMKEY-1-x"}"#)
            #expect(unlock.status == .serviceUnavailable)
            let leave = try await client.post("/swarm/leave")
            #expect(leave.status == .serviceUnavailable)
            #expect(leave.message == "This node is not part of a swarm")
        }
    }

    @Test func infoOutsideASwarmHasNullRemoteManagersAndNoCluster() async throws {
        try await RouteTest.run(FakeSwarmBackend()) { client in
            let response = try await client.get("/info")
            #expect(response.status == .ok)
            let swarm = try #require(value(try response.json(), "Swarm") as? [String: Any])
            #expect(Set(swarm.keys) == ["NodeID", "NodeAddr", "LocalNodeState", "ControlAvailable", "Error",
                                        "RemoteManagers"])
            #expect(swarm["RemoteManagers"] is NSNull)
            #expect(swarm["LocalNodeState"] as? String == "inactive")
            #expect(swarm["ControlAvailable"] as? Bool == false)
            #expect(swarm["NodeID"] as? String == "")
        }
    }

    @Test func initPassesEveryFieldAndAnswersTheNodeIDAsAJSONString() async throws {
        let swarm = FakeSwarmBackend()
        try await RouteTest.run(swarm) { client in
            let body = """
                {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.0.0.1","DataPathAddr":"10.1.0.1","DataPathPort":4790,
                 "DefaultAddrPool":["10.20.0.0/16"," 10.30.0.0/16 "],"SubnetSize":26,"ForceNewCluster":true,
                 "Availability":"Drain","AutoLockManagers":false,
                 "Spec":{"Labels":{"team":"infra"},"Orchestration":{"TaskHistoryRetentionLimit":3},
                         "Raft":{"ElectionTick":0,"HeartbeatTick":0},"Dispatcher":{"HeartbeatPeriod":7000000000},
                         "CAConfig":{"NodeCertExpiry":7200000000000},"TaskDefaults":{},
                         "EncryptionConfig":{"AutoLockManagers":false}}}
                """
            let response = try await client.post("/swarm/init", body)
            #expect(response.status == .ok)
            #expect(response.text == "\"manageridmanageridmanageri\"\n")
            #expect(try response.json() as? String == "manageridmanageridmanageri")

            let again = try await client.post("/swarm/init", #"{"ListenAddr":"0.0.0.0:2377"}"#)
            #expect(again.status == .serviceUnavailable)
            #expect(again.message?.hasPrefix("This node is already part of a swarm.") == true)
        }
        let requests = await swarm.initRequests
        let request = try #require(requests.first)
        #expect(requests.count == 1)
        #expect(request.listenAddress == "0.0.0.0:2377")
        #expect(request.advertiseAddress == "10.0.0.1")
        #expect(request.dataPathAddress == "10.1.0.1")
        #expect(request.dataPathPort == 4790)
        #expect(request.defaultAddressPools == ["10.20.0.0/16", "10.30.0.0/16"])
        #expect(request.subnetSize == 26)
        #expect(request.forceNewCluster)
        #expect(request.availability == .drain)
        #expect(request.spec.name == "default")
        #expect(request.spec.labels == ["team": "infra"])
        #expect(request.spec.taskHistoryRetentionLimit == 3)
        #expect(request.spec.heartbeatPeriod == 7)
        #expect(request.spec.nodeCertExpiry == 7200)
    }

    @Test func initFillsDockersDefaults() async throws {
        let swarm = FakeSwarmBackend()
        try await RouteTest.run(swarm) { client in
            let response = try await client.post("/swarm/init", #"{"ListenAddr":"10.0.0.5","Spec":{}}"#)
            #expect(response.status == .ok)
        }
        let request = try #require(await swarm.initRequests.first)
        #expect(request.listenAddress == "10.0.0.5:2377")
        #expect(request.dataPathPort == 4789)
        #expect(request.defaultAddressPools == ["10.0.0.0/8"])
        #expect(request.subnetSize == 24)
        #expect(request.availability == .active)
        #expect(request.spec == SwarmSpec())
    }

    @Test func initKeepsExternalCAs() async throws {
        let swarm = FakeSwarmBackend()
        try await RouteTest.run(swarm) { client in
            let response = try await client.post("/swarm/init", #"""
                {"ListenAddr":"10.0.0.5","Spec":{"CAConfig":{"ExternalCAs":[
                  {"Protocol":"CFSSL","URL":"https://ca:8888/api/v1/cfssl/sign","Options":{"a":"b"},"CACert":"PEM"}]}}}
                """#)
            #expect(response.status == .ok)
        }
        let request = try #require(await swarm.initRequests.first)
        #expect(request.spec.externalCAs == [SwarmExternalCA(protocol: "cfssl", url: "https://ca:8888/api/v1/cfssl/sign",
                                                             options: ["a": "b"], caCertificate: "PEM")])
    }

    @Test func initRefusesBadInputWithDockersMessages() async throws {
        let cases: [(String, HTTPResponse.Status, String?)] = [
            ("", .badRequest, "got EOF while reading request body"),
            ("{", .badRequest, nil),
            (#"{"ListenAddr":""}"#, .badRequest, #"invalid ListenAddr "": invalid empty address"#),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Name":"other"}}"#, .badRequest, #"swarm spec must be named "default""#),
            (#"{"ListenAddr":"0.0.0.0:2377","DataPathPort":80}"#, .badRequest,
             "Datapath port number is not in valid range (1024-49151) : 80"),
            (#"{"ListenAddr":"0.0.0.0:2377","DefaultAddrPool":["nope"]}"#, .badRequest,
             "invalid base pool nope: invalid CIDR address: nope"),
            (#"{"ListenAddr":"0.0.0.0:2377","DefaultAddrPool":["10.0.0.0/8"],"SubnetSize":30}"#, .badRequest,
             "subnet size is out of range: 30"),
            (#"{"ListenAddr":"0.0.0.0:2377","DefaultAddrPool":["10.0.0.0/16"],"SubnetSize":8}"#, .badRequest,
             #"invalid CIDR: "10.0.0.0/16". Subnet size is too small for pool: 8"#),
            (#"{"ListenAddr":"0.0.0.0:2377","Availability":"sometimes"}"#, .badRequest,
             #"invalid Availability: "sometimes""#),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Dispatcher":{"HeartbeatPeriod":"5s"}}}"#, .badRequest, nil),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Dispatcher":{"HeartbeatPeriod":1.5}}}"#, .badRequest, nil),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Dispatcher":{"HeartbeatPeriod":-1}}}"#, .badRequest,
             "heartbeat time period cannot be a negative duration"),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"CAConfig":{"NodeCertExpiry":1800000000000}}}"#, .badRequest,
             "minimum certificate expiry time is: 1h0m0s"),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Raft":{"ElectionTick":2,"HeartbeatTick":3}}}"#, .badRequest,
             "election tick must be greater than heartbeat tick"),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Raft":{"ElectionTick":8,"HeartbeatTick":2}}}"#, .badRequest,
             "election tick (8) must be at least 5 times the heartbeat tick (2): the cluster store (etcd) requires it"),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Raft":{"ElectionTick":501}}}"#, .badRequest,
             "election tick (501) is too long: the cluster store (etcd) allows at most 500 ticks"),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"Raft":{"HeartbeatTick":-1}}}"#, .badRequest,
             "raft ticks must be positive"),
            (#"{"ListenAddr":"0.0.0.0:2377","Spec":{"CAConfig":{"ExternalCAs":[{"Protocol":"acme","URL":"https://ca"}]}}}"#,
             .badRequest, #"invalid protocol: "acme""#),
        ]
        let swarm = FakeSwarmBackend()
        try await RouteTest.run(swarm) { client in
            for (body, status, message) in cases {
                let response = try await client.post("/swarm/init", body.isEmpty ? nil : body)
                #expect(response.status == status, "\(body)")
                if let message { #expect(response.message == message, "\(body)") }
                #expect(response.message?.isEmpty == false, "\(body)")
            }
        }
        #expect(await swarm.initRequests.isEmpty)
    }

    @Test func inspectRendersDockersSwarmObject() async throws {
        try await RouteTest.run(FakeSwarmBackend(active: true)) { client in
            let response = try await client.get("/swarm")
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(keys(json) == ["ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "TLSInfo",
                                   "RootRotationInProgress", "DefaultAddrPool", "SubnetSize", "DataPathPort",
                                   "JoinTokens"])
            #expect(value(json, "ID") as? String == "clusteridclusteridcluster")
            #expect(int64(json, "Version", "Index") == 10)
            #expect(value(json, "CreatedAt") as? String == Wire.rfc3339Nano(FakeSwarmBackend.created))
            #expect((value(json, "CreatedAt") as? String)?.hasPrefix("2023-11-14T22:13:20.123456") == true)
            #expect(keys(json, "Spec") == ["Name", "Labels", "Orchestration", "Raft", "Dispatcher", "CAConfig",
                                           "TaskDefaults", "EncryptionConfig"])
            #expect(value(json, "Spec", "Name") as? String == "default")
            #expect(keys(json, "Spec", "Labels").isEmpty && value(json, "Spec", "Labels") is [String: Any])
            #expect(int64(json, "Spec", "Orchestration", "TaskHistoryRetentionLimit") == 5)
            // Durations are Go time.Duration: nanoseconds.
            #expect(int64(json, "Spec", "Dispatcher", "HeartbeatPeriod") == 5_000_000_000)
            #expect(int64(json, "Spec", "CAConfig", "NodeCertExpiry") == 7_776_000_000_000_000)
            #expect(keys(json, "Spec", "CAConfig") == ["NodeCertExpiry"])
            #expect(int64(json, "Spec", "Raft", "SnapshotInterval") == 10_000)
            #expect(int64(json, "Spec", "Raft", "KeepOldSnapshots") == 0)
            #expect(int64(json, "Spec", "Raft", "LogEntriesForSlowFollowers") == 500)
            #expect(int64(json, "Spec", "Raft", "ElectionTick") == 10)
            #expect(int64(json, "Spec", "Raft", "HeartbeatTick") == 1)
            #expect(keys(json, "Spec", "TaskDefaults").isEmpty)
            #expect(value(json, "Spec", "EncryptionConfig", "AutoLockManagers") as? Bool == false)
            #expect(value(json, "TLSInfo", "TrustRoot") as? String == FakeSwarmBackend.trustRoot)
            #expect(value(json, "TLSInfo", "CertIssuerSubject") as? String == "MBMxEQ==")
            #expect(value(json, "TLSInfo", "CertIssuerPublicKey") as? String == "MFkwEw==")
            #expect(value(json, "RootRotationInProgress") as? Bool == false)
            #expect(value(json, "DefaultAddrPool") as? [String] == ["10.0.0.0/8"])
            #expect(int64(json, "SubnetSize") == 24)
            #expect(int64(json, "DataPathPort") == 4789)
            #expect(value(json, "JoinTokens", "Worker") as? String == "SWMTKN-1-abc-worker")
            #expect(value(json, "JoinTokens", "Manager") as? String == "SWMTKN-1-abc-manager")
        }
    }

    @Test func updateTakesTheSpecVersionAndRotations() async throws {
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            let body = """
                {"Name":"default","Labels":{"x":"y"},"Orchestration":{"TaskHistoryRetentionLimit":-1},
                 "Dispatcher":{"HeartbeatPeriod":10000000000},"CAConfig":{"NodeCertExpiry":172800000000000},
                 "EncryptionConfig":{"AutoLockManagers":false}}
                """
            let response = try await client.post(
                "/swarm/update?version=10&rotateWorkerToken=true&rotateManagerToken=0&rotateManagerUnlockKey=1", body)
            #expect(response.status == .ok, "\(response.text)")
            let stale = try await client.post("/swarm/update?version=10", body)
            #expect(stale.status == .conflict)
            #expect(stale.message == "update out of sequence")
        }
        let updates = await swarm.updates
        let update = try #require(updates.first)
        #expect(updates.count == 1)
        #expect(update.version == 10)
        #expect(update.rotateWorker && !update.rotateManager)
        #expect(await swarm.unlockKeyRotations == [true])
        #expect(!update.spec.autoLockManagers)
        #expect(update.spec.labels == ["x": "y"])
        #expect(update.spec.taskHistoryRetentionLimit == -1)
        #expect(update.spec.heartbeatPeriod == 10)
        #expect(update.spec.nodeCertExpiry == 48 * 3600)
    }

    /// `docker swarm update` posts back the spec it read: everything `/swarm` renders must be accepted as is.
    @Test func theInspectedSpecRoundTrips() async throws {
        let swarm = FakeSwarmBackend(active: true)
        let before = try await swarm.inspectSwarm().spec
        try await RouteTest.run(swarm) { client in
            let inspected = try await client.get("/swarm").json()
            let spec = try #require(value(inspected, "Spec"))
            let body = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
            let response = try await client.post("/swarm/update?version=10", body)
            #expect(response.status == .ok, "\(response.text)")
        }
        #expect(await swarm.updates.first?.spec == before)
    }

    @Test func updateRefusesBadInput() async throws {
        let cases: [(String, String?, HTTPResponse.Status, String?)] = [
            ("/swarm/update", "{}", .badRequest, #"invalid swarm version '': strconv.ParseUint: parsing "": invalid syntax"#),
            ("/swarm/update?version=abc", "{}", .badRequest,
             #"invalid swarm version 'abc': strconv.ParseUint: parsing "abc": invalid syntax"#),
            ("/swarm/update?version=-1", "{}", .badRequest, nil),
            ("/swarm/update?version=99999999999999999999", "{}", .badRequest,
             #"invalid swarm version '99999999999999999999': strconv.ParseUint: parsing "99999999999999999999": value out of range"#),
            ("/swarm/update?version=10&rotateWorkerToken=maybe", "{}", .badRequest,
             "invalid value for rotateWorkerToken: maybe"),
            ("/swarm/update?version=10&rotateManagerToken=yes", "{}", .badRequest,
             "invalid value for rotateManagerToken: yes"),
            ("/swarm/update?version=10&rotateManagerUnlockKey=2", "{}", .badRequest,
             "invalid value for rotateManagerUnlockKey: 2"),
            ("/swarm/update?version=10", nil, .badRequest, "got EOF while reading request body"),
            ("/swarm/update?version=10", "[1]", .badRequest, nil),
            ("/swarm/update?version=10", #"{"Dispatcher":{"HeartbeatPeriod":-5}}"#, .badRequest,
             "heartbeat time period cannot be a negative duration"),
            ("/swarm/update?version=10", #"{"CAConfig":{"NodeCertExpiry":60000000000}}"#, .badRequest,
             "minimum certificate expiry time is: 1h0m0s"),
            ("/swarm/update?version=10", #"{"CAConfig":{"NodeCertExpiry":"90d"}}"#, .badRequest, nil),
            ("/swarm/update?version=10", #"{"TaskDefaults":{"LogDriver":{"Name":"json-file"}}}"#, .notImplemented, nil),
            ("/swarm/update?version=10", #"{"Raft":{"ElectionTick":1,"HeartbeatTick":1}}"#, .badRequest,
             "election tick must be greater than heartbeat tick"),
        ]
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            for (path, body, status, message) in cases {
                let response = try await client.post(path, body)
                #expect(response.status == status, "\(path) \(body ?? "")")
                if let message { #expect(response.message == message, "\(path) \(body ?? "")") }
            }
        }
        #expect(await swarm.updates.isEmpty)
    }

    @Test func joinNormalisesAddressesAndPassesTheToken() async throws {
        let swarm = FakeSwarmBackend()
        try await RouteTest.run(swarm) { client in
            let body = """
                {"ListenAddr":":4500","AdvertiseAddr":"eth0","DataPathAddr":"10.1.0.2",
                 "RemoteAddrs":["10.0.0.1","[fd00::1]:2377","manager-1:2400"],"JoinToken":"SWMTKN-1-abc-worker",
                 "Availability":"pause"}
                """
            #expect(try await client.post("/swarm/join", body).status == .ok)
            let missing = try await client.post("/swarm/join", #"{"ListenAddr":"0.0.0.0:2377","JoinToken":"t"}"#)
            #expect(missing.status == .badRequest)
            #expect(missing.message == "at least 1 RemoteAddr is required to join")
            let empty = try await client.post("/swarm/join", #"{"ListenAddr":"0.0.0.0:2377","RemoteAddrs":[""]}"#)
            #expect(empty.message == #"invalid remoteAddr "": invalid empty address"#)
            let noListen = try await client.post("/swarm/join", #"{"RemoteAddrs":["10.0.0.1"]}"#)
            #expect(noListen.message == #"invalid ListenAddr "": invalid empty address"#)
            let badAvailability = try await client.post(
                "/swarm/join", #"{"ListenAddr":"0.0.0.0:2377","RemoteAddrs":["10.0.0.1"],"Availability":"off"}"#)
            #expect(badAvailability.status == .badRequest)
        }
        let requests = await swarm.joinRequests
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.listenAddress == "0.0.0.0:4500")
        #expect(request.advertiseAddress == "eth0")
        #expect(request.dataPathAddress == "10.1.0.2")
        #expect(request.remoteAddresses == ["10.0.0.1:2377", "[fd00::1]:2377", "manager-1:2400"])
        #expect(request.joinToken == "SWMTKN-1-abc-worker")
        #expect(request.availability == .pause)
    }

    @Test func leavePassesForce() async throws {
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            let response = try await client.post("/swarm/leave?force=1")
            #expect(response.status == .ok)
            #expect(try await client.get("/swarm").status == .serviceUnavailable)
        }
        #expect(await swarm.leaves == [true])
    }

    /// `--autolock` reaches the backend from either field Docker's CLI sets, and the spec shows it again.
    @Test func autolockIsTakenAtInitAndUpdate() async throws {
        let swarm = FakeSwarmBackend()
        try await RouteTest.run(swarm) { client in
            let response = try await client.post("/swarm/init",
                                                 #"{"ListenAddr":"0.0.0.0:2377","AutoLockManagers":true}"#)
            #expect(response.status == .ok, "\(response.text)")
            let json = try await client.get("/swarm").json()
            #expect(value(json, "Spec", "EncryptionConfig", "AutoLockManagers") as? Bool == true)
            let version = try #require(int64(json, "Version", "Index"))
            let off = try await client.post("/swarm/update?version=\(version)",
                                            #"{"Name":"default","EncryptionConfig":{"AutoLockManagers":false}}"#)
            #expect(off.status == .ok, "\(off.text)")
            let on = try await client.post("/swarm/update?version=\(version + 1)",
                                           #"{"Name":"default","EncryptionConfig":{"AutoLockManagers":true}}"#)
            #expect(on.status == .ok, "\(on.text)")
        }
        #expect(await swarm.initRequests.first?.spec.autoLockManagers == true)
        #expect(await swarm.updates.map { $0.spec.autoLockManagers } == [false, true])
    }

    @Test func unlockKeyIsEmptyBecauseAutolockIsOff() async throws {
        try await RouteTest.run(FakeSwarmBackend(active: true)) { client in
            let key = try await client.get("/swarm/unlockkey")
            #expect(key.status == .ok)
            let json = try key.json()
            #expect(keys(json) == ["UnlockKey"])
            #expect(value(json, "UnlockKey") as? String == "")
            let unlock = try await client.post("/swarm/unlock", #"{"UnlockKey":"SWMKEY-1-x"}"#)
            #expect(unlock.status == .conflict)
            #expect(unlock.message == "swarm is not locked")
            #expect(try await client.post("/swarm/unlock").status == .badRequest)
        }
    }

    @Test func infoOnAManagerCarriesTheCluster() async throws {
        try await RouteTest.run(FakeSwarmBackend(active: true)) { client in
            let json = try await client.get("/info").json()
            let swarm = value(json, "Swarm")
            #expect(keys(swarm) == ["NodeID", "NodeAddr", "LocalNodeState", "ControlAvailable", "Error",
                                    "RemoteManagers", "Nodes", "Managers", "Cluster"])
            #expect(value(swarm, "NodeID") as? String == "manageridmanageridmanageri")
            #expect(value(swarm, "NodeAddr") as? String == "10.0.0.1")
            #expect(value(swarm, "LocalNodeState") as? String == "active")
            #expect(value(swarm, "ControlAvailable") as? Bool == true)
            #expect(value(swarm, "Error") as? String == "")
            let managers = try #require(value(swarm, "RemoteManagers") as? [[String: Any]])
            #expect(managers.count == 1)
            #expect(Set(managers[0].keys) == ["NodeID", "Addr"])
            #expect(managers[0]["Addr"] as? String == "10.0.0.1:2377")
            #expect(int64(swarm, "Nodes") == 2)
            #expect(int64(swarm, "Managers") == 1)
            // ClusterInfo: the swarm object without its join tokens.
            #expect(keys(swarm, "Cluster") == ["ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "TLSInfo",
                                               "RootRotationInProgress", "DefaultAddrPool", "SubnetSize",
                                               "DataPathPort"])
            #expect(value(swarm, "Cluster", "ID") as? String == "clusteridclusteridcluster")
            #expect(int64(swarm, "Cluster", "Spec", "Dispatcher", "HeartbeatPeriod") == 5_000_000_000)
        }
    }

    @Test func addressesAreNormalisedAsDockersValidateAddr() throws {
        #expect(try SwarmAddress.validated("10.0.0.1", field: "x") == "10.0.0.1:2377")
        #expect(try SwarmAddress.validated(":4000", field: "x") == "0.0.0.0:4000")
        #expect(try SwarmAddress.validated("tcp://10.0.0.1:3000", field: "x") == "10.0.0.1:3000")
        #expect(try SwarmAddress.validated("fd00::1", field: "x") == "[fd00::1]:2377")
        #expect(try SwarmAddress.validated("[fd00::1]", field: "x") == "[fd00::1]:2377")
        #expect(try SwarmAddress.validated("eth0:abc", field: "x") == "eth0:abc")
        #expect(throws: DockerAPIError.self) { try SwarmAddress.validated("", field: "x") }
        #expect(SwarmAddress.cidrPrefixLength("10.0.0.0/8") == 8)
        #expect(SwarmAddress.cidrPrefixLength("fd00::/64") == 64)
        #expect(SwarmAddress.cidrPrefixLength("10.0.0.0/33") == nil)
        #expect(SwarmAddress.cidrPrefixLength("10.0.0.0") == nil)
    }
}
