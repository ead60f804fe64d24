import Foundation
import Logging
import ShoalAllocator
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalIPAM
import ShoalModel

/// What runs on the leader only, for one leadership term: the node sessions (the dispatcher's side: heartbeats,
/// the endpoint stream), the judge of node health, the network allocator (the only writer of networks and their
/// endpoints), the writers of services and of secrets and configs, the endpoint feed the sessions stream from, and
/// the task pipeline (orchestrators, scheduler, the sessions' assignments). Every write they make is fenced by the term's claim
/// on the leader key. Made when this manager starts to lead, from the store as it is then; dropped when it stops
/// (its sessions end, and the nodes move to the new leader, which starts its own).
final class LeaderServices: Sendable {
    let objects: SwarmObjects
    let fence: LeaderFence
    let health: NodeHealth
    let allocator: NetworkAllocatorService
    let services: ServiceStore
    let dataObjects: DataObjectStore
    let feed: EndpointFeed
    /// Orchestrators, allocator's task step, scheduler, and the node sessions' assignments.
    let pipeline: TaskPipeline
    /// The states the nodes report for their tasks, stored in merged transactions.
    let statusWriter: TaskStatusWriter
    /// Log subscriptions (`docker service logs`) between the managers' APIs and the nodes' sessions.
    let logs = LogBroker()
    /// The nodes' roles for heartbeat answers.
    let roles = NodeRoleCache()

    private init(objects: SwarmObjects, fence: LeaderFence, health: NodeHealth, allocator: NetworkAllocatorService,
                 feed: EndpointFeed, dataKey: ClusterDataKey?, logger: Logger) {
        self.objects = objects
        self.fence = fence
        self.health = health
        self.allocator = allocator
        let gate = LeaderWriteGate()
        services = ServiceStore(store: objects.store, fence: fence, gate: gate, key: dataKey)
        dataObjects = DataObjectStore(store: objects.store, fence: fence, gate: gate, key: dataKey)
        self.feed = feed
        let dataObjects = self.dataObjects
        let pipeline = TaskPipeline(objects: objects, fence: fence, allocator: allocator, endpoints: feed,
                                    dataKey: dataKey, logger: logger) { kind, id in
            try await dataObjects.payload(kind, id)
        }
        self.pipeline = pipeline
        let mirror = pipeline.mirror
        statusWriter = TaskStatusWriter(store: objects.store, fence: fence, logger: logger) { ids in
            await mirror.stored(ids)
        }
    }

    /// Every task from the pipeline's task mirror, once it shows the tasks this term's removals marked; nil while
    /// it is not loaded or behind (the caller reads the store).
    func tasks() async -> [SwarmTask]? {
        await pipeline.mirror.tasks(showing: await services.taskWrites, bound: .milliseconds(500))
    }

    /// Claims the term and builds the services from the store: every attachment, the nodes now Down (their
    /// endpoints stay withdrawn until they are back) and the nodes now Ready (given one grace time to reach this
    /// leader; `nodeID` is this manager's own node, whose agent is local). `dataKey` seals secrets.
    static func start(nodeID: String, objects: SwarmObjects, dataKey: ClusterDataKey?, period: Duration,
                      logger: Logger) async throws -> LeaderServices
    {
        let store = objects.store
        let nodes = try await objects.nodes()
        let cluster = try await objects.cluster()
        let fence = try await LeaderFence.claim(for: nodeID, in: store)
        let pools = try OverlayNetworkAllocator.pools(cluster.defaultAddressPools, subnetSize: Int(cluster.subnetSize))
        let attachments = try await StoreTable<SwarmAttachment>(store).list().map(\.object)
        let down = Set(nodes.filter { $0.status.state != .ready }.map(\.id))
        let tasks = try await StoreTable<TaskMessage>(store).list().map(SwarmTask.init)
        let (serving, pending) = EndpointFeed.servingAndPending(tasks)
        let feed = EndpointFeed(attachments: attachments, downNodes: down, serving: serving, pending: pending)
        let ready = nodes.filter { $0.id != nodeID && $0.status.state == .ready }.map(\.id)
        let services = LeaderServices(
            objects: objects, fence: fence,
            health: NodeHealth(objects: objects, fence: fence, feed: feed, ready: ready, period: period,
                               logger: logger),
            allocator: NetworkAllocatorService(store: store, fence: fence, pools: pools), feed: feed, dataKey: dataKey,
            logger: logger)
        await services.pipeline.start()
        return services
    }

    func stop() async {
        await pipeline.stop()
        await feed.finish()
        await logs.finish()
    }
}
