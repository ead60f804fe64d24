import Foundation
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalScheduler
import Testing
@testable import ShoalManager

/// What keeps a round's work to its changes: the task mirror (the table kept by its watch, read once it shows the
/// pipeline's own writes, with the services whose tasks changed), the orchestrators looking only at services that
/// changed, and the scheduler's view kept across rounds.
@Suite struct IncrementalRoundTests {
    typealias Leader = ServiceOrchestratorTests.Leader

    /// The mirror as the pipeline starts from it; fails the test when it does not show `written` in time.
    func read(_ mirror: TaskMirror, showing written: TaskWrites = TaskWrites()) async throws
        -> (tasks: TaskRead, changedServices: Set<String>?)
    {
        try #require(await mirror.read(showing: written, bound: .seconds(10)))
    }

    @Test func theMirrorShowsTheTableAndWhichServicesChanged() async throws {
        let leader = try await ServiceOrchestratorTests.leader()
        let ids = ServiceOrchestratorTests.ids()
        let web = try await leader.services.create(ServiceStoreTests.spec("web", replicas: 2))
        let db = try await leader.services.create(ServiceStoreTests.spec("db", replicas: 1))
        let mirror = TaskMirror(StoreTable<TaskMessage>(leader.store)) {}
        await mirror.start()
        defer { Task { await mirror.stop() } }
        // The first read after loading says nothing of changes: every service may have changed.
        var first = try await read(mirror)
        #expect(first.tasks.stored.isEmpty && first.changedServices == nil)

        // A round's writes: the next read waits until it shows them, and names the services they touched.
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        let written = await leader.orchestrator.written
        // Only the last revision's writes are kept (the mirror applies earlier revisions before it in order).
        #expect(written.revision > 0 && !written.stored.isEmpty && written.stored.count < 3)
        first = try await read(mirror, showing: written)
        #expect(Set(first.tasks.converted.map(\.serviceID)) == [web.id, db.id] && first.tasks.stored.count == 3)
        #expect(first.changedServices == [web.id, db.id])
        #expect(zip(first.tasks.stored, first.tasks.converted).allSatisfy { $0.id == $1.id && UInt64($0.version) == $1.version })

        // A status report on db's task only: only db changed since.
        let table = StoreTable<TaskMessage>(leader.store)
        let stored = try #require(try await table.list().first { $0.object.serviceID == db.id })
        var task = SwarmTask(stored)
        task.status = TaskStatus(timestamp: Date(), state: .running)
        let commit = try await leader.store.commit(try table.update(task.stored, ifVersion: stored.version))
        #expect(commit.succeeded)
        var reported = TaskWrites()
        reported.record(revision: commit.revision, stored: [task.id])
        let next = try await read(mirror, showing: reported)
        #expect(next.changedServices == [db.id])
        #expect(next.tasks.converted.first { $0.id == task.id }?.status.state == .running)
        // Nothing since: nothing changed.
        #expect(try await read(mirror, showing: reported).changedServices == [])
    }

    /// The API's reads on the leader: every task, by ID, once the mirror shows the removals' own writes, and
    /// without taking from the pipeline the services that changed.
    @Test func theAPIReadsTasksFromTheMirrorOnceItShowsItsRemovals() async throws {
        let leader = try await ServiceOrchestratorTests.leader()
        let ids = ServiceOrchestratorTests.ids()
        let web = try await leader.services.create(ServiceStoreTests.spec("web", replicas: 2))
        let db = try await leader.services.create(ServiceStoreTests.spec("db", replicas: 1))
        let mirror = TaskMirror(StoreTable<TaskMessage>(leader.store)) {}
        #expect(await mirror.tasks(showing: TaskWrites(), bound: .milliseconds(20)) == nil, "not loaded yet")
        await mirror.start()
        defer { Task { await mirror.stop() } }
        _ = try await read(mirror)
        try await leader.orchestrator.reconcileAll(newTaskID: ids)
        _ = try await read(mirror, showing: await leader.orchestrator.written)

        try await leader.services.remove("web")
        let removal = await leader.services.taskWrites
        #expect(removal.stored.count == 2 && removal.revision > 0)
        let tasks = try #require(await mirror.tasks(showing: removal, bound: .seconds(10)))
        let stored = try await StoreTable<TaskMessage>(leader.store).list().map(SwarmTask.init)
        #expect(tasks == stored, "the store's tasks, in its order (by ID)")
        #expect(tasks.filter { $0.serviceID == web.id }.allSatisfy { $0.desiredState == .remove })
        #expect(tasks.filter { $0.serviceID == db.id }.allSatisfy { $0.desiredState == .running })
        // The pipeline still hears that web's tasks changed.
        #expect(try await read(mirror, showing: removal).changedServices == [web.id])

        // The reaper deletes a marked task later: the removal is still shown, at once.
        let table = StoreTable<TaskMessage>(leader.store)
        let gone = try #require(removal.stored.first)
        let deleted = try await leader.store.commit(try table.delete(gone, ifVersion: removal.revision))
        #expect(deleted.succeeded)
        var deletion = TaskWrites()
        deletion.record(revision: deleted.revision, deleted: [gone])
        _ = try await read(mirror, showing: deletion)
        let after = try #require(await mirror.tasks(showing: removal, bound: .milliseconds(50)))
        #expect(!after.contains { $0.id == gone } && after.count == 2)
    }

    @Test func aMirrorThatDoesNotShowAWriteGivesUpAfterItsBound() async throws {
        let leader = try await ServiceOrchestratorTests.leader()
        let mirror = TaskMirror(StoreTable<TaskMessage>(leader.store)) {}
        await mirror.start()
        defer { Task { await mirror.stop() } }
        _ = try await read(mirror)
        // A write the store never made (a revision far ahead): the round then reads the table itself.
        var never = TaskWrites()
        never.record(revision: 1_000_000, stored: ["nope"])
        #expect(await mirror.read(showing: never, bound: .milliseconds(50)) == nil)
    }

    @Test func theOrchestratorsLookOnlyAtServicesThatChanged() async throws {
        let leader = try await ServiceOrchestratorTests.leader()
        let ids = ServiceOrchestratorTests.ids()
        let web = try await leader.services.create(ServiceStoreTests.spec("web", replicas: 2))
        _ = try await leader.services.create(ServiceStoreTests.spec("db", replicas: 1))
        let mirror = TaskMirror(StoreTable<TaskMessage>(leader.store)) {}
        await mirror.start()
        defer { Task { await mirror.stop() } }

        func round(_ written: TaskWrites) async throws -> (looked: Int, made: Int, changed: Int) {
            let read = try await read(mirror, showing: written)
            _ = try await leader.orchestrator.reconcileRound(newTaskID: ids, read: read.tasks,
                                                             changedServices: read.changedServices)
            return await leader.orchestrator.lastRoundWork
        }
        // The first round looks at everything and makes the tasks; the next one has nothing to look at.
        #expect(try await round(TaskWrites()) == (looked: 2, made: 3, changed: 0))
        #expect(try await round(await leader.orchestrator.written) == (looked: 2, made: 0, changed: 0),
                "the services' own tasks changed (made)")
        #expect(try await round(await leader.orchestrator.written) == (looked: 0, made: 0, changed: 0))

        // A new spec for web: web alone is looked at (scaled down: one task goes).
        var spec = ServiceStoreTests.spec("web", replicas: 1)
        spec.labels = ["v": "2"]
        let stored = try #require(try await StoreTable<ServiceMessage>(leader.store).get(web.id))
        _ = try await leader.services.update(web.id, version: UInt64(stored.version), spec: spec)
        #expect(try await round(await leader.orchestrator.written) == (looked: 1, made: 0, changed: 1))

        // A node changed: every service is looked at again.
        try await leader.objects.updateNode("n2") { node in
            node.spec.availability = .pause
            return true
        }
        let everything = try await round(await leader.orchestrator.written)
        #expect(everything.looked == 2)
    }

    @Test func theSchedulersViewObservesOnlyWhatMoved() throws {
        var nodes = ["n1", "n2"].map { id in
            var node = SwarmObjectsTests.node(id)
            node.spec.availability = .active
            return node
        }
        func task(_ id: String, node: String, state: TaskState, version: UInt64) -> SwarmTask {
            SwarmTask(id: id, version: version, createdAt: Date(), serviceID: "s1", slot: 1, nodeID: node,
                      spec: ServiceStoreTests.spec("web").taskTemplate,
                      status: TaskStatus(timestamp: Date(), state: state))
        }
        var view = SchedulerView()
        view.sync(nodes: nodes, tasks: [task("t1", node: "n1", state: .running, version: 5),
                                        task("t2", node: "n2", state: .running, version: 6)])
        #expect(view.state.nodeInfo(id: "n1")?.holds(taskID: "t1") == true)
        #expect(view.state.nodeInfo(id: "n2")?.holds(taskID: "t2") == true)
        // t1 ended (a new version), t2 was deleted, n2 left: the view follows without being built again.
        nodes.removeLast()
        view.sync(nodes: nodes, tasks: [task("t1", node: "n1", state: .shutdown, version: 7)])
        #expect(view.state.nodeInfo(id: "n1")?.taskCount == 0)
        #expect(view.state.nodeInfo(id: "n2") == nil && view.versions == ["t1": 7])
        // What the pipeline placed is observed again as stored: not placed after all (its write met a conflict),
        // or never stored (a new task whose commit met one).
        var placed = view
        for id in ["t3", "t4"] {
            placed.state.observe(task(id, node: "n1", state: .assigned, version: 0))
            placed.placed.insert(id)
        }
        #expect(placed.state.nodeInfo(id: "n1")?.taskCount == 2)
        placed.sync(nodes: nodes, tasks: [task("t1", node: "n1", state: .shutdown, version: 7),
                                          task("t3", node: "", state: .pending, version: 9)])
        #expect(placed.state.nodeInfo(id: "n1")?.taskCount == 0 && placed.placed.isEmpty)
        // One stored as placed stays.
        placed.state.observe(task("t5", node: "n1", state: .assigned, version: 0))
        placed.placed.insert("t5")
        placed.sync(nodes: nodes, tasks: [task("t5", node: "n1", state: .assigned, version: 10)])
        #expect(placed.state.nodeInfo(id: "n1")?.holds(taskID: "t5") == true && placed.versions == ["t5": 10])
    }
}
