import Foundation
import Logging
import ShoalAllocator
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// The leader's task pipeline on the memory store, following it as the daemon's does: a service's tasks are
/// allocated (addresses on its overlay, a VIP for the service), scheduled onto the Ready nodes and told to their
/// nodes' sessions; what a session hears changes only with what the node must do; task states only move forward.
@Suite struct TaskPipelineTests {
    struct Leader {
        let store: MemoryClusterStore
        let services: ServiceStore
        let allocator: NetworkAllocatorService
        let endpoints: EndpointFeed
        let pipeline: TaskPipeline
    }

    static func leader() async throws -> Leader {
        let store = MemoryClusterStore()
        let objects = SwarmObjects(store: store, clusterID: "c1")
        for id in ["n1", "n2"] {
            var node = SwarmObjectsTests.node(id)
            node.spec.availability = .active
            #expect(try await objects.createNode(node))
        }
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        let allocator = NetworkAllocatorService(
            store: store, fence: fence, pools: try OverlayNetworkAllocator.pools(["10.0.0.0/8"], subnetSize: 24))
        let endpoints = EndpointFeed(attachments: [], downNodes: [])
        let pipeline = TaskPipeline(objects: objects, fence: fence, allocator: allocator, endpoints: endpoints,
                                    logger: Logger(label: "test")) { kind, id in Array("\(kind.rawValue):\(id)".utf8) }
        return Leader(store: store, services: ServiceStore(store: store, fence: fence), allocator: allocator,
                      endpoints: endpoints, pipeline: pipeline)
    }

    func tasks(_ leader: Leader) async throws -> [SwarmTask] {
        try await StoreTable<TaskMessage>(leader.store).list().map(SwarmTask.init)
    }

    /// Polls until `condition` holds (a bound for a stuck pipeline, not a timing check).
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<2500 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(4))
        }
        return false
    }

    @Test func aServicesTasksAreAllocatedScheduledAndToldToTheirNodes() async throws {
        let leader = try await Self.leader()
        await leader.pipeline.start()
        defer { Task { await leader.pipeline.stop() } }
        var networkSpec = SwarmNetworkSpec()
        networkSpec.name = "app"
        let network = try await leader.allocator.create(networkSpec)
        let service = try await leader.services.create(ServiceStoreTests.spec("web", replicas: 4, networks: ["app"]))

        // New tasks are stored placed by the orchestrators' commit; the service's VIP by the round's later step.
        let placed = try await eventually {
            let all = try await tasks(leader)
            let vips = try await StoreTable<ServiceMessage>(leader.store).get(service.id)?.object.endpoint.virtualIps
            return all.count == 4 && all.allSatisfy { $0.status.state == .assigned } && vips?.isEmpty == false
        }
        let all = try await tasks(leader)
        #expect(placed, "\(all.map { ($0.status.state, $0.status.err) })")
        // Spread over both nodes, each task with its own address on the overlay, and the service with a VIP.
        #expect(Dictionary(grouping: all, by: \.nodeID).mapValues(\.count) == ["n1": 2, "n2": 2])
        let addresses = all.compactMap { $0.networksAttachments.first?.addresses.first }
        #expect(Set(addresses).count == 4 && addresses.allSatisfy { $0.hasPrefix("10.0.0.") && $0.hasSuffix("/24") })
        let stored = try #require(try await StoreTable<ServiceMessage>(leader.store).get(service.id)?.object)
        let vip = try #require(stored.endpoint.virtualIps.first)
        #expect(vip.networkID == network.id && !addresses.contains(vip.address))

        // n1's session: its two tasks, with the names it needs; nothing more while nothing changes for it. (The
        // round tells the feed after it stored the VIP, and the feed takes it in its own time: a session that
        // starts before has fewer tasks in its full set and hears of the others next.)
        var session: (id: UUID, iterator: AsyncStream<AssignmentFeed.Message>.Iterator)?
        var full = AssignmentFeed.Message()
        #expect(try await eventually {
            let (id, updates) = await leader.pipeline.assignments.subscribe(nodeID: "n1")
            var iterator = updates.makeAsyncIterator()
            full = await iterator.next() ?? AssignmentFeed.Message()
            guard full.upserted.count == 2 else {
                await leader.pipeline.assignments.cancel(id)
                return false
            }
            session = (id, iterator)
            return true
        })
        var (id, iterator) = try #require(session)
        #expect(full.full && full.upserted.count == 2)
        #expect(full.upserted.allSatisfy { $0.serviceName == "web" && $0.networkNames == [network.id: "app"] })
        let mine = full.upserted.map(\.task.id)

        // A status report changes nothing n1 is told; a scale down (desired state) does.
        let table = StoreTable<TaskMessage>(leader.store)
        let first = try #require(try await table.get(mine[0]))
        var running = first.object
        running.status.state = TaskState.running.rawValue
        #expect(try await leader.store.commit(try table.update(running, ifVersion: first.version)).succeeded)
        let current = try #require(try await StoreTable<ServiceMessage>(leader.store).get(service.id))
        var scaled = ServiceStoreTests.spec("web", replicas: 0, networks: ["app"])
        scaled.taskTemplate.networks = [NetworkAttachmentConfig(target: network.id)]
        _ = try await leader.services.update(service.id, version: UInt64(current.version), spec: scaled)
        let next = try #require(await iterator.next())
        #expect(!next.full && !next.upserted.isEmpty)
        #expect(next.upserted.allSatisfy { $0.task.desiredState == TaskState.remove.rawValue && mine.contains($0.task.id) })
        await leader.pipeline.assignments.cancel(id)
    }

    @Test func aTaskStateOnlyMovesForward() {
        func status(_ state: TaskState, _ message: String = "", at nanoseconds: Int64 = 1) -> Shoal_Cluster_V1_TaskStatus {
            var status = Shoal_Cluster_V1_TaskStatus()
            status.state = state.rawValue
            status.message = message
            status.timestampNs = nanoseconds
            return status
        }
        #expect(TaskStatusWriter.advances(status(.assigned), to: status(.running)))
        #expect(!TaskStatusWriter.advances(status(.running), to: status(.starting)))
        #expect(!TaskStatusWriter.advances(status(.running, "started"), to: status(.running, "started", at: 9)))
        #expect(TaskStatusWriter.advances(status(.running, "started"), to: status(.running, "restarted")))
    }

    /// A task's endpoint answers to its service's names only while the task serves (running, so healthy when it
    /// has a health check, and wanted running): it joins the balancers once it can answer and leaves them before
    /// its node stops it. A session that starts hears the names as they stand.
    @Test func aTasksEndpointCarriesItsServicesNamesOnlyWhileItServes() async throws {
        var task = EndpointFeedTests.attachment("a", node: "n2")
        task.taskID = "t1"
        task.dnsNames = ["web.1.t1", "tasks.web", "web"]
        let feed = EndpointFeed(attachments: [task], downNodes: [])
        let (_, updates) = await feed.subscribe(nodeID: "n1")
        var iterator = updates.makeAsyncIterator()
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == ["web.1.t1"])
        await feed.setServing(["t1"])
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == ["web.1.t1", "tasks.web", "web"])
        await feed.setServing([])
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == ["web.1.t1"])
        let (_, later) = await feed.subscribe(nodeID: "n3")
        var laterIterator = later.makeAsyncIterator()
        #expect(try #require(await laterIterator.next()).upserted.first?.dnsNames == ["web.1.t1"])
        // A new leader's feed starts from the tasks as the store has them: no gap for the running ones.
        let resumed = EndpointFeed(attachments: [task], downNodes: [], serving: ["t1"])
        let (_, fresh) = await resumed.subscribe(nodeID: "n1")
        var freshIterator = fresh.makeAsyncIterator()
        #expect(try #require(await freshIterator.next()).upserted.first?.dnsNames == ["web.1.t1", "tasks.web", "web"])
    }

    @Test func servingTasksAreRunningAndWantedRunning() {
        func task(_ id: String, _ state: TaskState, desired: TaskState = .running) -> SwarmTask {
            SwarmTask(id: id, createdAt: Date(), serviceID: "s", slot: 1, spec: TaskSpec(containerSpec: TaskContainerSpec(image: "bb")),
                      desiredState: desired, status: TaskStatus(timestamp: Date(), state: state))
        }
        let tasks = [task("up", .running), task("starting", .starting), task("assigned", .assigned),
                     task("leaving", .running, desired: .shutdown), task("done", .complete)]
        let (serving, pending) = EndpointFeed.servingAndPending(tasks)
        #expect(serving == ["up"] && pending == ["starting", "assigned"])
    }
}
