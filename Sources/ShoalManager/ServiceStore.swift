import Foundation
import ShoalAllocator
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalOrchestrator

/// The leader's writer of services (`docker service create/update/rm`): SwarmKit's control API checks against the
/// store (names, networks, published ports, versions), then one commit fenced by this leadership term, so a deposed
/// leader stores nothing. It lives for one term, like the network allocator.
///
/// Calls run one at a time, with the term's other writers that check against services (secrets and configs),
/// through the term's `LeaderWriteGate`: the store has no unique index on names or ports, so two creates that
/// each checked before the other committed could both win.
actor ServiceStore {
    let store: any ClusterStore
    let fence: LeaderFence
    let services: StoreTable<ServiceMessage>
    let tasks: StoreTable<TaskMessage>
    let networks: StoreTable<SwarmNetwork>
    let gate: LeaderWriteGate
    /// Seals the services' registry credentials (nil: a store without a data key takes none).
    let key: ClusterDataKey?

    init(store: any ClusterStore, fence: LeaderFence, gate: LeaderWriteGate = LeaderWriteGate(),
         key: ClusterDataKey? = nil) {
        self.store = store
        self.fence = fence
        self.gate = gate
        self.key = key
        services = StoreTable(store)
        tasks = StoreTable(store)
        networks = StoreTable(store)
    }

    /// Stores a new service; returns it as stored (with its version).
    ///
    /// Creates that come while others are being stored wait and go together: one read of the services and one
    /// commit for the batch, each still checked as if alone, against the services stored and those before it in
    /// the batch. A hundred clients creating services at once took a read and a commit each, one after the other,
    /// each behind the pipeline's large transactions in the store: twelve seconds at 1,000 nodes.
    func create(_ spec: ServiceSpec, registryAuth: String? = nil) async throws -> SwarmService {
        try await withCheckedThrowingContinuation { reply in
            waitingCreates.append(PendingCreate(spec: spec, registryAuth: registryAuth, reply: reply))
            guard !creating else { return }
            creating = true
            Task { await self.storeWaitingCreates() }
        }
    }

    /// A create waiting for its batch.
    struct PendingCreate: Sendable {
        var spec: ServiceSpec
        var registryAuth: String?
        var reply: CheckedContinuation<SwarmService, any Error>
    }

    /// Creates waiting for the next batch, and whether a batch is being stored.
    private var waitingCreates: [PendingCreate] = []
    private var creating = false
    /// Creates per batch (each is one key and one condition of its commit).
    static let createBatch = 200

    /// Creates waiting now (tests).
    var waitingCreateCount: Int { waitingCreates.count }

    private func storeWaitingCreates() async {
        while !waitingCreates.isEmpty {
            let (batch, results): ([PendingCreate], [Result<SwarmService, any Error>])
            do {
                // The batch is taken once the gate is held: what came while waiting for it goes too.
                (batch, results) = try await exclusively {
                    let batch = Array(self.waitingCreates.prefix(Self.createBatch))
                    self.waitingCreates.removeFirst(batch.count)
                    return (batch, await self.createAll(batch))
                }
            } catch {
                continue  // (the body does not throw: the gate only passes on its errors)
            }
            for (pending, result) in zip(batch, results) { pending.reply.resume(with: result) }
        }
        creating = false
    }

    /// Each of `batch` checked as `create` alone would, in order; those that pass are stored in one commit (so they
    /// share its version), or none is when it fails.
    private func createAll(_ batch: [PendingCreate]) async -> [Result<SwarmService, any Error>] {
        let existing: [SwarmService]
        do {
            existing = try await services.list().map(SwarmService.init)
        } catch {
            return batch.map { _ in .failure(error) }
        }
        var others = existing
        var results: [Result<SwarmService, any Error>] = []
        var write = StoreWrite()
        let now = Date()
        for pending in batch {
            do {
                var spec = pending.spec
                try spec.validate()
                spec.taskTemplate.networks = try await resolveNetworks(spec.taskTemplate.networks)
                try Self.checkPortConflicts(spec, against: others, updating: nil)
                spec.taskTemplate.containerSpec = try await DataReferences(store: store)
                    .resolve(spec.taskTemplate.containerSpec)
                if others.contains(where: { $0.spec.name == spec.name }) { throw ServiceErrors.nameTaken(spec.name) }
                // Apart by a microsecond, so the batch lists in the order it was asked.
                let createdAt = now.addingTimeInterval(Double(results.count) / 1_000_000)
                var service = SwarmService(id: RandomID.generate(), version: 0, createdAt: createdAt,
                                           updatedAt: createdAt, spec: spec,
                                           endpoint: try Self.endpoint(of: spec, others: others))
                service.sealedRegistryAuth = try seal(pending.registryAuth, for: service.id)
                write += try services.create(service.stored)
                others.append(service)
                results.append(.success(service))
            } catch {
                results.append(.failure(error))
            }
        }
        guard !write.changes.isEmpty else { return results }
        do {
            let version = try await commit(write)
            return results.map { result in
                result.map { service in
                    var stored = service
                    stored.version = version
                    return stored
                }
            }
        } catch {
            return results.map { result in result.flatMap { _ in .failure(error) } }
        }
    }

    /// Replaces a service's spec if it is still at `version`; the spec it replaces is kept for a rollback.
    /// New `registryAuth` replaces the service's credentials; without it they are kept (as Docker keeps them).
    func update(_ reference: String, version: UInt64, spec: ServiceSpec, registryAuth: String? = nil) async throws
        -> SwarmService
    {
        try await exclusively {
            var spec = spec
            try spec.validate()
            let existing = try await self.services.list().map(SwarmService.init)
            var service = try ServiceLookup.service(reference, in: existing)
            spec.taskTemplate.networks = try await self.resolveNetworks(spec.taskTemplate.networks)
            if spec.endpointSpec != nil && spec.endpointSpec != service.spec.endpointSpec {
                try Self.checkPortConflicts(spec, against: existing, updating: service.id)
            }
            spec.taskTemplate.containerSpec = try await DataReferences(store: self.store)
                .resolve(spec.taskTemplate.containerSpec)
            if spec.mode.isGlobal != service.spec.mode.isGlobal { throw ServiceErrors.modeChange }
            if spec.name != service.spec.name { throw ServiceErrors.rename }
            guard service.sawCurrentSpec(atVersion: version) else { throw SwarmErrors.outOfSequence }
            let current = service.version
            service.changeSpec(to: spec)
            if let sealed = try self.seal(registryAuth, for: service.id) { service.sealedRegistryAuth = sealed }
            // A new spec starts from no update (SwarmKit resets it; the updater sets it again).
            service.updateStatus = nil
            // The VIPs stay (the allocator gives back those of networks the service left).
            var endpoint = try Self.endpoint(of: spec, keeping: service.endpoint,
                                             others: existing.filter { $0.id != service.id })
            endpoint.virtualIPs = service.endpoint.virtualIPs
            service.endpoint = endpoint
            service.updatedAt = Date()
            service.version = try await self.commit(
                try self.services.update(service.stored, ifVersion: Int64(current)))
            return service
        }
    }

    /// `docker service rollback`: the previous spec comes back (the current one becomes the previous), and the
    /// updater rolls the tasks back with the rollback config, as SwarmKit does on a manual rollback.
    func rollback(_ reference: String, version: UInt64) async throws -> SwarmService {
        try await exclusively {
            let existing = try await self.services.list().map(SwarmService.init)
            var service = try ServiceLookup.service(reference, in: existing)
            guard let previous = service.previousSpec else { throw ServiceErrors.noPreviousSpec }
            guard service.sawCurrentSpec(atVersion: version) else { throw SwarmErrors.outOfSequence }
            let current = service.version
            service.changeSpec(to: previous)
            service.updateStatus = Updater.begin(now: Date(), rollback: true)
            service.updatedAt = Date()
            service.version = try await self.commit(
                try self.services.update(service.stored, ifVersion: Int64(current)))
            return service
        }
    }

    /// Deletes a service and marks its tasks for removal (the reaper deletes them once their nodes stopped them).
    /// Its tasks change all the time (their nodes report on them): a write that met such a change is made again
    /// on a fresh read.
    func remove(_ reference: String) async throws {
        for attempt in 1...Self.removeAttempts {
            do {
                return try await removeOnce(reference)
            } catch let error as ShoalError where error.message == SwarmErrors.outOfSequence.message
                        && attempt < Self.removeAttempts {
                continue
            }
        }
    }

    static let removeAttempts = 5

    private func removeOnce(_ reference: String) async throws {
        let (revision, marked) = try await exclusively {
            let stored = try await self.services.list()
            let service = try ServiceLookup.service(reference, in: stored.map(SwarmService.init))
            guard let current = stored.first(where: { $0.id == service.id }) else {
                throw ServiceErrors.notFound(reference)
            }
            var write = try self.services.delete(service.id, ifVersion: current.version)
            var marked: [String] = []
            for task in try await self.tasks.list() where task.object.serviceID == service.id
                && task.object.desiredState != TaskState.remove.rawValue {
                var removed = task.object
                removed.desiredState = TaskState.remove.rawValue
                removed.updatedAtNs = Date().nanoseconds
                write += try self.tasks.update(removed, ifVersion: task.version)
                marked.append(task.id)
            }
            return (try await self.commit(write), marked)
        }
        taskWrites.record(revision: Int64(revision), stored: marked)
    }

    /// The last revision at which a removal marked tasks, and those tasks: the leader's API reads of tasks come
    /// from the task mirror once it shows them.
    private(set) var taskWrites = TaskWrites()

    // MARK: pieces

    /// Every network by its ID, as the Docker daemon passes them to SwarmKit (the user may name them).
    private func resolveNetworks(_ attachments: [NetworkAttachmentConfig]) async throws -> [NetworkAttachmentConfig] {
        guard !attachments.isEmpty else { return [] }
        let known = try await networks.list().map(\.object)
        return try attachments.map { attachment in
            var resolved = attachment
            resolved.target = try NetworkLookup.resolve(attachment.target, in: known).id
            return resolved
        }
    }

    /// SwarmKit's checkPortConflicts: a published port (and protocol) belongs to one service in ingress mode;
    /// host-mode ports may be shared (the scheduler keeps such tasks apart) but not with an ingress one.
    static func checkPortConflicts(_ spec: ServiceSpec, against services: [SwarmService], updating id: String?) throws {
        let wanted = (spec.endpointSpec?.ports ?? []).filter { $0.publishedPort != 0 }
        guard !wanted.isEmpty else { return }
        func key(_ port: PortConfig) -> String { portKey(port.publishedPort, port.protocol) }
        let ingress = Set(wanted.filter { $0.publishMode == .ingress }.map(key))
        let host = Set(wanted.filter { $0.publishMode == .host }.map(key))
        for service in services where service.id != id {
            for port in (service.spec.endpointSpec?.ports ?? []) + service.endpoint.ports where port.publishedPort != 0 {
                switch port.publishMode {
                case .host where ingress.contains(key(port)):
                    throw ServiceErrors.portInUse(port.publishedPort, service: service.spec.name, id: service.id,
                                                  asHostPort: true)
                case .ingress where ingress.contains(key(port)) || host.contains(key(port)):
                    throw ServiceErrors.portInUse(port.publishedPort, service: service.spec.name, id: service.id,
                                                  asHostPort: false)
                default:
                    continue
                }
            }
        }
    }

    /// The client's registry credentials sealed for the service (nil when it sent none).
    private func seal(_ registryAuth: String?, for serviceID: String) throws -> [UInt8]? {
        guard let registryAuth, !registryAuth.isEmpty else { return nil }
        guard let key else {
            throw ShoalError.invalidState("this swarm has no data key to keep registry credentials with")
        }
        return try key.seal(Array(registryAuth.utf8), context: Self.registryAuthContext(serviceID))
    }

    /// The credentials a service was given (`--with-registry-auth`), opened for its nodes' pulls; nil without.
    static func registryAuth(of service: ServiceMessage, key: ClusterDataKey?) throws -> String? {
        guard !service.sealedRegistryAuth.isEmpty, let key else { return nil }
        let bytes = try key.open(Array(service.sealedRegistryAuth), context: registryAuthContext(service.id))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func registryAuthContext(_ serviceID: String) -> String { "service-registry-auth/" + serviceID }

    /// A published port as one string (`8080/tcp`): what two services cannot both hold.
    static func portKey(_ port: UInt32, _ proto: PortConfig.PortProtocol) -> String { "\(port)/\(proto.rawValue)" }

    /// Docker's range for the routing mesh's dynamic ports (`-p 80` with no published port).
    static let dynamicPorts: ClosedRange<UInt32> = 30000...32767

    /// The endpoint as it stands before the allocator has run: the spec the user gave (vip by default) and its
    /// ports, an ingress port without a published one given the one it had before (`keeping`) or else the lowest
    /// of the dynamic range no other service holds for its protocol. Virtual IPs come with the allocator.
    static func endpoint(of spec: ServiceSpec, keeping previous: ServiceEndpoint? = nil, others: [SwarmService])
        throws -> ServiceEndpoint
    {
        let endpointSpec = spec.endpointSpec ?? EndpointSpec()
        var taken = Set(others.flatMap { ($0.spec.endpointSpec?.ports ?? []) + $0.endpoint.ports }
            .filter { $0.publishedPort != 0 }.map { portKey($0.publishedPort, $0.protocol) })
        taken.formUnion(endpointSpec.ports.filter { $0.publishedPort != 0 }.map { portKey($0.publishedPort, $0.protocol) })
        var ports = endpointSpec.ports
        for index in ports.indices where ports[index].publishMode == .ingress && ports[index].publishedPort == 0 {
            let port = ports[index]
            let kept = previous?.ports.first {
                $0.publishMode == .ingress && $0.targetPort == port.targetPort && $0.protocol == port.protocol
                    && dynamicPorts.contains($0.publishedPort) && !taken.contains(portKey($0.publishedPort, $0.protocol))
            }
            guard let chosen = kept?.publishedPort
                ?? dynamicPorts.first(where: { !taken.contains(portKey($0, port.protocol)) }) else {
                throw ShoalError.invalidArgument("could not find an available port in the dynamic port range")
            }
            ports[index].publishedPort = chosen
            taken.insert(portKey(chosen, port.protocol))
        }
        return ServiceEndpoint(spec: endpointSpec, ports: ports)
    }

    /// Commits `write` fenced by this term; returns the revision it was stored at (the objects' new version).
    private func commit(_ write: StoreWrite) async throws -> UInt64 {
        switch try await fence.commit(write, in: store) {
        case .committed(let revision): return UInt64(revision)
        case .deposed: throw ShoalError(.unavailable, "this manager is no longer the leader")
        case .conflicted: throw SwarmErrors.outOfSequence
        }
    }

    private func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await gate.exclusively(body)
    }
}
