import Foundation
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Synchronization
import Testing
@testable import ShoalManager

/// The leader's orchestration shell on the memory store: a new service gets its tasks, scaling down marks the
/// extra ones for removal and the reaper deletes them once stopped, a removed service's tasks go, and a deposed
/// leader's round stores nothing.
@Suite struct ServiceOrchestratorTests {
    struct Leader {
        let store: MemoryClusterStore
        let objects: SwarmObjects
        let services: ServiceStore
        let orchestrator: ServiceOrchestrator
    }

    static func leader(_ store: MemoryClusterStore = MemoryClusterStore()) async throws -> Leader {
        let objects = SwarmObjects(store: store, clusterID: "c1")
        for id in ["n1", "n2"] where try await objects.node(id) == nil {
            var node = SwarmObjectsTests.node(id)
            node.spec.availability = .active
            #expect(try await objects.createNode(node))
        }
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        return Leader(store: store, objects: objects, services: ServiceStore(store: store, fence: fence),
                      orchestrator: ServiceOrchestrator(objects: objects, fence: fence))
    }

    /// Task IDs task1, task2, … for the whole test (a new generator each round would hand out task1 again).
    static func ids() -> @Sendable () -> String {
        let counter = Mutex(0)
        return { counter.withLock { value in value += 1; return "task\(value)" } }
    }

    /// Changes every task as `change` says, as status reports from the nodes would.
    func report(_ leader: Leader, _ change: (inout SwarmTask) -> Void) async throws {
        let table = StoreTable<TaskMessage>(leader.store)
        for stored in try await table.list() {
            var task = SwarmTask(stored)
            change(&task)
            #expect(try await leader.store.commit(try table.update(task.stored, ifVersion: stored.version)).succeeded)
        }
    }

    func tasks(_ leader: Leader) async throws -> [SwarmTask] {
        try await StoreTable<TaskMessage>(leader.store).list().map(SwarmTask.init)
    }

    @Test func aServiceGetsItsTasksAndScalingDownRemovesTheExtraOnes() async throws {
        let leader = try await Self.leader()
        let ids = Self.ids()
        let service = try await leader.services.create(ServiceStoreTests.spec("web", replicas: 3))
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        var all = try await tasks(leader)
        #expect(all.map(\.slot).sorted() == [1, 2, 3])
        #expect(all.allSatisfy { $0.serviceID == service.id && $0.desiredState == .running && $0.status.state == .new })
        // A second round changes nothing.
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        #expect(try await tasks(leader).count == 3)

        // They run on the nodes (as their agents would report).
        try await report(leader) { task in
            task.nodeID = "n1"
            task.status = TaskStatus(timestamp: Date(), state: .running)
        }
        var spec = service.spec
        spec.mode = .replicated(replicas: 1)
        let current = try #require(try await StoreTable<ServiceMessage>(leader.store).get(service.id))
        _ = try await leader.services.update(service.id, version: UInt64(current.version), spec: spec)
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        all = try await tasks(leader)
        #expect(all.filter { $0.desiredState == .remove }.map(\.slot).sorted() == [2, 3])
        #expect(all.count == 3, "still running: kept until stopped")
        // Once stopped, the reaper deletes them.
        try await report(leader) { task in
            if task.desiredState == .remove { task.status = TaskStatus(timestamp: Date(), state: .shutdown) }
        }
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        #expect(try await tasks(leader).map(\.slot) == [1])

        // A removed service's running task is marked for removal, and goes once its node has stopped it.
        try await leader.services.remove("web")
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        #expect(try await tasks(leader).map(\.desiredState) == [.remove])
        try await report(leader) { task in task.status = TaskStatus(timestamp: Date(), state: .shutdown) }
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        #expect(try await tasks(leader).isEmpty)
    }

    @Test func aDeposedLeadersRoundStoresNothing() async throws {
        let store = MemoryClusterStore()
        let old = try await Self.leader(store)
        let ids = Self.ids()
        _ = try await old.services.create(ServiceStoreTests.spec("web", replicas: 2))
        _ = try await Self.leader(store)  // a new term claims the lead
        await #expect(throws: ShoalError.self) { try await old.orchestrator.reconcileAll(newTaskID: ids) }
        #expect(try await tasks(old).isEmpty)
    }
}
