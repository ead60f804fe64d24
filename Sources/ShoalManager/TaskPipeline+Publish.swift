import Foundation
import ShoalAllocator
import ShoalClusterProto
import ShoalIPAM
import ShoalModel

/// What the task pipeline tells the node sessions and the endpoint feed.
extension TaskPipeline {
    /// Tells the node sessions what the round changed for their nodes, and every node the services' VIPs.
    /// `networks` as the round's allocator step read them.
    func publish(_ all: [SwarmTask], services stored: [ServiceMessage], networks: [SwarmNetwork]) async throws {
        await flushPlaced()
        let ingress = networks.first { $0.spec.ingress }?.id
        await endpoints.setVirtualIPs(stored.flatMap { Self.virtualIPs($0, ingress: ingress) })
        // Tasks join the balancers and DNS once running (healthy, with a health check); tasks wanted down leave
        // them first, then their nodes hear it (below).
        let (serving, pending) = EndpointFeed.servingAndPending(all)
        await endpoints.setServing(serving, pending: pending)
        // Only the tasks whose stored version moved since the last round are told (every task's version is the
        // one it was stored at, the round's own writes included).
        var versions: [String: UInt64] = [:]
        versions.reserveCapacity(all.count)
        var changed: [SwarmTask] = []
        for task in all {
            versions[task.id] = task.version
            if published[task.id] != task.version { changed.append(task) }
        }
        let removed = published.keys.filter { versions[$0] == nil }
        published = versions
        await tellNodes(changed: changed, removed: removed, services: stored, networks: networks)
    }

    /// Tells the node sessions of `changed` and `removed` tasks, with the names, files and credentials their nodes
    /// need (`services` and `networks`: at least those the tasks name). `messages`: see `publishPlaced`.
    private func tellNodes(changed: [SwarmTask], removed: [String], services: [ServiceMessage],
                           networks: [SwarmNetwork], messages: [String: TaskMessage] = [:]) async {
        assignments.submit(AssignmentFeed.Update(
            changed: changed, removed: removed,
            serviceNames: Dictionary(services.map { ($0.id, $0.spec.name) }, uniquingKeysWith: { first, _ in first }),
            networkNames: Dictionary(networks.map { ($0.id, $0.spec.name) }, uniquingKeysWith: { first, _ in first }),
            files: await files(of: changed), registryAuths: registryAuths(of: services), messages: messages))
    }

    /// By service ID, the credentials its tasks' images are pulled with (services that have them).
    func registryAuths(of services: [ServiceMessage]) -> [String: String] {
        var auths: [String: String] = [:]
        for service in services where !service.sealedRegistryAuth.isEmpty {
            do {
                auths[service.id] = try ServiceStore.registryAuth(of: service, key: dataKey)
            } catch {
                logger.warning("task pipeline: registry credentials of service \(service.id) cannot be opened: \(error)")
            }
        }
        return auths
    }

    /// Tells the nodes, without waiting for the round's end, of tasks the orchestrators just stored placed and
    /// wanted running (their service's commit, in the middle of a round that may make thousands more): a node
    /// starts its tasks while the round goes on. Everything else waits for the round's end (`publish`), where a
    /// task wanted down leaves the balancers and DNS before its node hears of it.
    /// `messages`: the tasks as stored, by ID (saves converting them again).
    ///
    /// They go to the nodes in batches (`PlacedBatch`): a service's commit places one task or so on each node, and
    /// telling every node of each service's commit alone cost a message per task per node. At 1,000 nodes that was
    /// most of the leader's work in a big create (28 of a 30 s round's commits).
    func publishPlaced(_ tasks: [SwarmTask], messages: [String: TaskMessage] = [:]) async {
        let placed = tasks.filter { !$0.nodeID.isEmpty && $0.status.state >= .assigned && $0.desiredState == .running }
        guard !placed.isEmpty else { return }
        if placedBatch.add(placed, messages: messages) { await flushPlaced() }
    }

    /// Tells the nodes of the placed tasks gathered so far.
    func flushPlaced() async {
        let batch = placedBatch.take()
        guard !batch.tasks.isEmpty, let round = placement else { return }
        let serviceIDs = Set(batch.tasks.map(\.serviceID))
        let services = round.services.map(\.object).filter { serviceIDs.contains($0.id) }
        for task in batch.tasks { published[task.id] = task.version }
        await tellNodes(changed: batch.tasks, removed: [], services: services, networks: round.networks,
                        messages: batch.messages)
    }

    /// The secret and config files of every task its node is to run (Docker's targets and modes), each payload
    /// opened once per round. A reference whose object is gone is left out (its removal was refused while the
    /// service used it; a task of an older spec may still name it).
    func files(of tasks: [SwarmTask]) async -> [String: [TaskFile]] {
        let running = tasks.filter {
            !$0.nodeID.isEmpty && $0.status.state >= .assigned && !$0.status.state.isTerminal && $0.desiredState <= .running
        }
        var wanted: Set<DataKey> = []
        for task in running {
            wanted.formUnion(task.spec.containerSpec.secrets.map { DataKey(kind: .secret, id: $0.secretID) })
            wanted.formUnion(task.spec.containerSpec.configs.map { DataKey(kind: .config, id: $0.configID) })
        }
        var opened: [DataKey: Data] = [:]
        for key in wanted {
            do {
                opened[key] = Data(try await payload(key.kind, key.id))
            } catch {
                logger.warning("task pipeline: \(key.kind.rawValue) \(key.id) cannot be opened: \(error)")
            }
        }
        var files: [String: [TaskFile]] = [:]
        for task in running {
            let container = task.spec.containerSpec
            let secrets = container.secrets.compactMap { reference in
                opened[DataKey(kind: .secret, id: reference.secretID)].map {
                    TaskFile(target: TaskFile.secretTarget(reference.file.name), data: $0, mode: reference.file.mode,
                             uid: reference.file.uid, gid: reference.file.gid)
                }
            }
            let configs = container.configs.compactMap { reference in
                opened[DataKey(kind: .config, id: reference.configID)].map {
                    TaskFile(target: TaskFile.configTarget(reference.file.name), data: $0, mode: reference.file.mode,
                             uid: reference.file.uid, gid: reference.file.gid)
                }
            }
            if !(secrets + configs).isEmpty { files[task.id] = secrets + configs }
        }
        return files
    }

    private struct DataKey: Hashable {
        var kind: DataObjectKind
        var id: String
    }

    /// A service's VIPs as endpoints of no node: its name and its aliases on each network resolve to them. The VIP
    /// on the ingress network carries the ports the routing mesh publishes for it (nodes keep ingress names out
    /// of DNS: they only group its tasks).
    static func virtualIPs(_ service: ServiceMessage, ingress: String?) -> [SwarmAttachment] {
        service.endpoint.virtualIps.map { vip in
            var endpoint = SwarmAttachment()
            endpoint.id = "vip-\(service.id)-\(vip.networkID)"
            endpoint.networkID = vip.networkID
            endpoint.serviceID = service.id
            let interface = try? IPv4Interface(parsing: vip.address)
            endpoint.address = interface?.address.description ?? vip.address
            endpoint.prefixLength = Int32(interface?.subnet.prefixLength ?? 32)
            let aliases = service.spec.taskTemplate.networks.first { $0.target == vip.networkID }?.aliases ?? []
            endpoint.dnsNames = [service.spec.name] + aliases
            if vip.networkID == ingress {
                let publishOn = (try? MeshPublishing(labels: service.spec.labels))?.wire ?? ""
                endpoint.ingressPorts = NetworkAllocatorService.meshPorts(of: service).map { port in
                    var mesh = Shoal_Cluster_V1_IngressPort()
                    mesh.protocol = port.protocol.isEmpty ? "tcp" : port.protocol
                    mesh.publishedPort = port.publishedPort
                    mesh.targetPort = port.targetPort
                    mesh.publishOn = publishOn
                    return mesh
                }
            }
            return endpoint
        }
    }
}

/// Placed tasks gathered for the nodes in the middle of a round: they go once there are `size` of them or the
/// first has waited `wait`, and at the round's end.
struct PlacedBatch {
    static let size = 5_000
    static let wait: Duration = .milliseconds(250)

    private(set) var tasks: [SwarmTask] = []
    private(set) var messages: [String: TaskMessage] = [:]
    private var since: ContinuousClock.Instant?

    /// Adds `placed`; true when the batch is due.
    mutating func add(_ placed: [SwarmTask], messages more: [String: TaskMessage],
                      now: ContinuousClock.Instant = .now) -> Bool {
        if since == nil { since = now }
        tasks += placed
        messages.merge(more) { _, newer in newer }
        return tasks.count >= Self.size || now - (since ?? now) >= Self.wait
    }

    /// The batch, emptied.
    mutating func take() -> (tasks: [SwarmTask], messages: [String: TaskMessage]) {
        defer { self = PlacedBatch() }
        return (tasks, messages)
    }
}
