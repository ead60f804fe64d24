import Foundation
import ShoalClusterClient
import ShoalClusterStore
import ShoalClusterProto
import ShoalAgent
import ShoalCA
import ShoalCore
import ShoalModel

/// The node's agent (every node, managers too): its session with the leader, which fails over between the
/// managers, brings the node its role, its removal and the endpoints of the other nodes.
extension SwarmMembership {
    /// The node's agent: a worker's only way to the managers; a manager's for its own node's endpoints (its role
    /// and removal are the manager's own business, so its agent reports neither).
    func startAgent(_ config: SwarmLocalConfig) async throws {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let isManager = config.role == NodeRoleName.manager.rawValue
        var managers = config.managers ?? []
        if let manager { managers = [config.advertiseAddress] + (await manager.otherManagers) }
        let handlers = endpointHandlers
        let tasks = NodeTasks()
        let logs = taskEngine.map { engine in
            NodeLogs(reader: TaskLogReader(engine: engine, nodeID: config.nodeID) { await tasks.assignedTasks() },
                     logger: logger)
        }
        let agent = SwarmAgent(
            configuration: SwarmAgent.Configuration(
                nodeID: config.nodeID, managers: managers, rootCAPEM: tls.caCertificatePEM,
                identity: tls.identity,
                role: config.role),
            logger: logger,
            events: SwarmAgent.Events(
                managers: { managers in await self.rememberManagers(managers) },
                roleChanged: { role in if !isManager { await self.roleChanged(to: role) } },
                removed: { if !isManager { await self.removedFromSwarm() } },
                trustRootsChanged: { await self.trustRootsChanged() },
                endpoints: handlers.update,
                localAttachments: handlers.localAttachments,
                assignments: { update in await tasks.apply(update) },
                taskStatuses: { await tasks.knownStatuses() },
                reportGather: { gather in await tasks.reportGather(gather) },
                logSubscription: { subscription in await logs?.handle(subscription) },
                // The subscriptions came with the session: its next one (maybe with a new leader) brings them again.
                sessionEnded: { await logs?.stopAll() }))
        await logs?.connect(agent)
        if let taskEngine {
            await tasks.start(engine: taskEngine, node: TaskNode(id: config.nodeID, hostname: description.hostname),
                              logger: logger) { statuses in await agent.report(statuses) }
        }
        self.agent = agent
        nodeTasks = tasks
        nodeLogs = logs
        Task { await agent.start() }
    }

    /// Stops the session and the task runners; the tasks' containers stay (see `leaveTasks` for leaving).
    func stopAgent() async {
        // The log readers first: the session's connection waits for their calls before it shuts down.
        await nodeLogs?.stopAll()
        nodeLogs = nil
        await agent?.stop()
        agent = nil
        await nodeTasks?.halt()
        nodeTasks = nil
    }

    func rememberManagers(_ managers: [String]) {
        guard var config, config.role == NodeRoleName.worker.rawValue else { return }
        config.managers = managers
        try? config.save(paths)
        self.config = config
    }
}

/// What the node's agent hands to this host's engine (set once by the daemon, before the swarm is restored).
public struct EndpointHandlers: Sendable {
    /// Endpoints on swarm-scoped networks on the other nodes: a full set when a session starts, then changes.
    public var update: @Sendable (Shoal_Cluster_V1_EndpointUpdate) async -> Void
    /// This node's own endpoints on swarm-scoped networks.
    public var localAttachments: @Sendable () async -> [String]

    public init(update: @escaping @Sendable (Shoal_Cluster_V1_EndpointUpdate) async -> Void = { _ in },
                localAttachments: @escaping @Sendable () async -> [String] = { [] }) {
        self.update = update
        self.localAttachments = localAttachments
    }
}

extension SwarmMembership {
    public func setEndpointHandlers(_ handlers: EndpointHandlers) { endpointHandlers = handlers }

    /// The engine the node's tasks run on (set by the daemon before the swarm is restored).
    public func setTaskEngine(_ engine: any TaskEngine) { taskEngine = engine }
}
