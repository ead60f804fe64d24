import Foundation
import ShoalAllocator
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// The leader's service writes on an in-memory store: Docker's checks and words, versions, and fencing.
@Suite struct ServiceStoreTests {
    static func leader(_ node: String, _ store: MemoryClusterStore) async throws -> ServiceStore {
        ServiceStore(store: store, fence: try await LeaderFence.claim(for: node, in: store))
    }

    static func spec(_ name: String, replicas: UInt64 = 1, ports: [PortConfig] = [], networks: [String] = [],
                     constraints: [String] = []) -> ServiceSpec {
        ServiceSpec(
            name: name,
            taskTemplate: TaskSpec(containerSpec: TaskContainerSpec(image: "busybox", args: ["sleep", "1000"]),
                                   placement: Placement(constraints: constraints),
                                   networks: networks.map { NetworkAttachmentConfig(target: $0) }),
            mode: .replicated(replicas: replicas), endpointSpec: EndpointSpec(ports: ports))
    }

    static func network(_ name: String, in store: MemoryClusterStore) async throws -> SwarmNetwork {
        var network = SwarmNetwork()
        network.id = "net\(name)0123456789"
        network.spec.name = name
        network.spec.driver = "overlay"
        _ = try await store.commit(try StoreTable<SwarmNetwork>(store).create(network))
        return network
    }

    static func refusal(_ body: () async throws -> some Any) async -> ShoalError? {
        do {
            _ = try await body()
            return nil
        } catch let error as ShoalError {
            return error
        } catch {
            return ShoalError.internalError("\(error)")
        }
    }

    @Test func createStoresTheServiceWithNetworksByIDAndTheStoresVersion() async throws {
        let store = MemoryClusterStore()
        let network = try await Self.network("ovl", in: store)
        let leader = try await Self.leader("m1", store)
        let created = try await leader.create(Self.spec("web", replicas: 3, ports: [PortConfig(targetPort: 80, publishedPort: 8080)],
                                                        networks: ["ovl"], constraints: ["node.role==worker"]))
        let stored = try #require(try await StoreTable<ServiceMessage>(store).get(created.id))
        #expect(SwarmService(stored) == created)
        #expect(created.version == UInt64(stored.version))
        #expect(created.spec.taskTemplate.networks.map(\.target) == [network.id])
        #expect(created.endpoint.ports == [PortConfig(targetPort: 80, publishedPort: 8080)])
        #expect(created.previousSpec == nil)
    }

    @Test func createRefusesWithDockersWords() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let web = try await leader.create(Self.spec("web", ports: [PortConfig(targetPort: 80, publishedPort: 8080)]))

        let taken = await Self.refusal { try await leader.create(Self.spec("web")) }
        #expect(taken?.code == .conflict)
        #expect(taken?.message
            == "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web already exists")

        let badName = await Self.refusal { try await leader.create(Self.spec("-web")) }
        #expect(badName?.code == .invalidArgument)
        #expect(badName?.message == "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component")
        let long = await Self.refusal { try await leader.create(Self.spec(String(repeating: "a", count: 64))) }
        #expect(long?.message == "rpc error: code = InvalidArgument desc = name must be 63 characters or fewer")

        let network = await Self.refusal { try await leader.create(Self.spec("api", networks: ["nope"])) }
        #expect(network?.code == .notFound)
        #expect(network?.message == "network nope not found")

        let constraint = await Self.refusal { try await leader.create(Self.spec("api", constraints: ["node.role=worker"])) }
        #expect(constraint?.code == .internalError)
        #expect(constraint?.message == "rpc error: code = Unknown desc = constraint expected one operator from ==, !=")

        let port = await Self.refusal {
            try await leader.create(Self.spec("api", ports: [PortConfig(targetPort: 81, publishedPort: 8080)]))
        }
        #expect(port?.code == .invalidArgument)
        #expect(port?.message
            == "rpc error: code = InvalidArgument desc = port '8080' is already in use by service 'web' (\(web.id)) as an ingress port")
        // The same number over UDP is another port.
        _ = try await leader.create(Self.spec("dns", ports: [PortConfig(protocol: .udp, targetPort: 53, publishedPort: 8080)]))
        #expect(try await StoreTable<ServiceMessage>(store).list().count == 2)
    }

    @Test func specChecksNeedNoStoreAndUseSwarmKitsWords() throws {
        func message(_ change: (inout ServiceSpec) -> Void) -> String? {
            var spec = Self.spec("web")
            change(&spec)
            do {
                try spec.validate()
                return nil
            } catch let error as ShoalError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        let prefix = "rpc error: code = InvalidArgument desc = "
        #expect(message { _ in } == nil)
        #expect(message { $0.name = "" } == prefix + "meta: name must be provided")
        #expect(message { $0.name = "a_b-c9" } == nil)
        #expect(message { $0.name = "web." } == prefix + "name must be valid as a DNS name component")
        #expect(message { $0.taskTemplate.resources.limits.nanoCPUs = 500_000 }
            == prefix + "invalid cpu value 0.0005: Must be at least 0.001")
        #expect(message { $0.taskTemplate.resources.reservations.memoryBytes = 1024 }
            == prefix + "invalid memory value 1024: Must be at least 4MiB")
        #expect(message { $0.taskTemplate.containerSpec.image = "" }
            == prefix + "ContainerSpec: image reference must be provided")
        #expect(message { $0.updateConfig = UpdateConfig(maxFailureRatio: 2) }
            == prefix + "TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1")
        #expect(message { $0.endpointSpec = EndpointSpec(mode: .dnsrr, ports: [PortConfig(targetPort: 80)]) }
            == prefix + "EndpointSpec: port published with ingress mode can't be used with dnsrr mode")
        #expect(message {
            $0.endpointSpec = EndpointSpec(ports: [PortConfig(targetPort: 80, publishedPort: 1),
                                                   PortConfig(targetPort: 81, publishedPort: 1)])
        } == prefix + "EndpointSpec: duplicate published ports provided")
    }

    @Test func updateKeepsThePreviousSpecAndChecksTheVersion() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let web = try await leader.create(Self.spec("web", replicas: 3))
        let scaled = try await leader.update("web", version: web.version, spec: Self.spec("web", replicas: 5))
        #expect(scaled.spec.mode == .replicated(replicas: 5))
        #expect(scaled.previousSpec == web.spec)
        #expect(scaled.version > web.version)
        #expect(SwarmService(try #require(try await StoreTable<ServiceMessage>(store).get(web.id))) == scaled)

        let stale = await Self.refusal { try await leader.update(web.id, version: web.version, spec: Self.spec("web")) }
        #expect(stale?.message == "rpc error: code = Unknown desc = update out of sequence")
        let rename = await Self.refusal { try await leader.update(web.id, version: scaled.version, spec: Self.spec("web2")) }
        #expect(rename?.code == .notImplemented)
        var global = Self.spec("web")
        global.mode = .global
        let mode = await Self.refusal { try await leader.update(web.id, version: scaled.version, spec: global) }
        #expect(mode?.message == "rpc error: code = Unimplemented desc = service mode change is not allowed")
        let unknown = await Self.refusal { try await leader.update("nope", version: 1, spec: Self.spec("nope")) }
        #expect(unknown?.code == .notFound && unknown?.message == "service nope not found")
    }

    /// The allocator's VIPs and the updater's status are written after a caller read the service (a CI run's
    /// `docker service update` right after `service create` met the VIP write): such writes leave the spec alone,
    /// so the caller's update is in sequence. Only a spec change since its read refuses it.
    @Test func writesThatLeaveTheSpecAloneDoNotPutAnUpdateOutOfSequence() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let table = StoreTable<ServiceMessage>(store)
        let web = try await leader.create(Self.spec("web", replicas: 3))
        // What the pipeline's allocator stores once the service is read: its VIP.
        var allocated = try #require(try await table.get(web.id))
        var vip = Shoal_Cluster_V1_VirtualIP()
        vip.networkID = "n1"
        vip.address = "10.0.0.2/24"
        allocated.object.endpoint.virtualIps = [vip]
        _ = try await store.commit(try table.update(allocated.object, ifVersion: allocated.version))

        let scaled = try await leader.update("web", version: web.version, spec: Self.spec("web", replicas: 5))
        #expect(scaled.spec.mode == .replicated(replicas: 5) && scaled.previousSpec == web.spec)
        #expect(scaled.endpoint.virtualIPs == [ServiceEndpoint.VirtualIP(networkID: "n1", address: "10.0.0.2/24")])
        #expect(scaled.specChangedAfter > web.version)
        #expect(SwarmService(try #require(try await table.get(web.id))) == scaled)

        // A caller that read before the scale is refused, for an update and for a rollback alike.
        let stale = await Self.refusal { try await leader.update("web", version: web.version, spec: Self.spec("web")) }
        #expect(stale?.message == "rpc error: code = Unknown desc = update out of sequence")
        let staleRollback = await Self.refusal { try await leader.rollback("web", version: web.version) }
        #expect(staleRollback?.message == "rpc error: code = Unknown desc = update out of sequence")
        // A version the service never reached is refused too.
        let ahead = await Self.refusal {
            try await leader.update("web", version: scaled.version + 1, spec: Self.spec("web"))
        }
        #expect(ahead?.message == "rpc error: code = Unknown desc = update out of sequence")

        // The updater's status written after the caller's read: the rollback goes ahead.
        var status = try #require(try await table.get(web.id))
        status.object.updateStatus.state = "completed"
        _ = try await store.commit(try table.update(status.object, ifVersion: status.version))
        let back = try await leader.rollback("web", version: scaled.version)
        #expect(back.spec == web.spec && back.previousSpec == scaled.spec && back.specChangedAfter > scaled.version)
    }

    /// Creates that wait while another writer holds the gate are stored in one commit, each checked as if alone
    /// (a name taken earlier in the batch, a bad spec and a taken port are refused; the rest are stored).
    @Test func createsThatComeTogetherAreStoredInOneCommit() async throws {
        let store = MemoryClusterStore()
        let gate = LeaderWriteGate()
        let leader = ServiceStore(store: store, fence: try await LeaderFence.claim(for: "m1", in: store), gate: gate)
        _ = try await leader.create(Self.spec("first", ports: [PortConfig(targetPort: 80, publishedPort: 8080)]))
        await gate.enter()
        var specs = (0..<6).map { Self.spec("svc-\($0)") }
        specs.append(Self.spec("svc-2"))
        specs.append(Self.spec("-bad"))
        specs.append(Self.spec("port", ports: [PortConfig(targetPort: 81, publishedPort: 8080)]))
        let creating = specs.map { spec in
            Task { () -> Result<SwarmService, ShoalError> in
                do { return .success(try await leader.create(spec)) } catch let error as ShoalError {
                    return .failure(error)
                } catch { return .failure(ShoalError.internalError("\(error)")) }
            }
        }
        while await leader.waitingCreateCount < specs.count { try await Task.sleep(for: .milliseconds(1)) }
        await gate.leave()
        var results: [Result<SwarmService, ShoalError>] = []
        for task in creating { results.append(await task.value) }

        let stored = results.prefix(6).compactMap { try? $0.get() }
        #expect(stored.map(\.spec.name) == (0..<6).map { "svc-\($0)" })
        #expect(Set(stored.map(\.version)).count == 1)
        let refusals = results.suffix(3).map { result -> String? in
            if case .failure(let error) = result { return error.message }
            return nil
        }
        #expect(refusals[0] == ServiceErrors.nameTaken("svc-2").message)
        #expect(refusals[1]?.contains("name must be valid as a DNS name component") == true)
        #expect(refusals[2]?.contains("port '8080' is already in use by service 'first'") == true)
        let listed = try await StoreTable<ServiceMessage>(store).list().map(SwarmService.init)
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        #expect(listed.map(\.spec.name) == ["first"] + (0..<6).map { "svc-\($0)" })
    }

    @Test func removeDeletesTheServiceAndMarksItsTasks() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let web = try await leader.create(Self.spec("web"))
        let other = try await leader.create(Self.spec("other"))
        let tasks = StoreTable<TaskMessage>(store)
        for (id, service) in [("t1", web.id), ("t2", other.id)] {
            let task = SwarmTask(id: id, createdAt: Date(), serviceID: service, slot: 1, spec: web.spec.taskTemplate,
                                 status: TaskStatus(timestamp: Date(), state: .pending))
            _ = try await store.commit(try tasks.create(task.stored))
        }
        let unknown = await Self.refusal { try await leader.remove("nope") }
        #expect(unknown?.code == .notFound && unknown?.message == "service nope not found")
        try await leader.remove(String(web.id.prefix(6)))
        #expect(try await StoreTable<ServiceMessage>(store).get(web.id) == nil)
        #expect(try await tasks.get("t1")?.object.desiredState == "remove")
        #expect(try await tasks.get("t2")?.object.desiredState == "running")
    }

    @Test func aDeposedLeaderStoresNothing() async throws {
        let store = MemoryClusterStore()
        let old = try await Self.leader("m1", store)
        let web = try await old.create(Self.spec("web"))
        let new = try await Self.leader("m2", store)
        let create = await Self.refusal { try await old.create(Self.spec("late")) }
        #expect(create?.code == .unavailable)
        let update = await Self.refusal { try await old.update("web", version: web.version, spec: Self.spec("web", replicas: 9)) }
        #expect(update?.code == .unavailable)
        let remove = await Self.refusal { try await old.remove("web") }
        #expect(remove?.code == .unavailable)
        let stored = try await StoreTable<ServiceMessage>(store).list().map(SwarmService.init)
        #expect(stored == [web])
        _ = try await new.create(Self.spec("late"))
    }

    @Test func concurrentCreatesOfOneNameStoreOne() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await leader.create(Self.spec("web"))) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await StoreTable<ServiceMessage>(store).list().count == 1)
    }
}
