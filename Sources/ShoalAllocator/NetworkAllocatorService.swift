import Foundation
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalIPAM
import ShoalModel
import ShoalClusterProto

public typealias SwarmNetwork = Shoal_Cluster_V1_Network
public typealias SwarmNetworkSpec = Shoal_Cluster_V1_NetworkSpec
public typealias SwarmAttachment = Shoal_Cluster_V1_NetworkAttachment

/// The leader's network allocator: it creates and removes swarm-scoped networks and hands out their endpoints'
/// addresses, each allocation committed with its object in one transaction fenced by this leadership term. It
/// lives only while its manager leads (a new term makes a new one, rebuilt from the store), and it is the only
/// writer of networks and attachments, so what it reads from the store is what it last wrote.
public actor NetworkAllocatorService {
    let store: any ClusterStore
    let fence: LeaderFence
    let pools: [AddressPoolSpec]
    let networks: StoreTable<SwarmNetwork>
    let attachments: StoreTable<SwarmAttachment>
    /// Each network's endpoint addresses, rebuilt from the store the first time this term uses the network, so
    /// round robin goes on for as long as this manager leads.
    var addressBooks: [String: AddressAllocator] = [:]
    /// The addresses service tasks and VIPs hold (owner ID → network ID → address), as far as the books built
    /// this term know them: given back when their task or service is gone (`releaseAbsent`).
    var held: [String: [String: IPv4Address]] = [:]
    let tasks: StoreTable<SwarmTaskObject>
    let services: StoreTable<SwarmServiceObject>

    public init(store: any ClusterStore, fence: LeaderFence, pools: [AddressPoolSpec]) {
        self.store = store
        self.fence = fence
        self.pools = pools
        networks = StoreTable(store)
        attachments = StoreTable(store)
        tasks = StoreTable(store)
        services = StoreTable(store)
    }

    // MARK: networks

    /// `docker network create -d overlay`: checks the spec, allocates a subnet and a VNI, stores the network.
    public func create(_ spec: SwarmNetworkSpec) async throws -> SwarmNetwork {
        let existing = try await networks.list().map(\.object)
        if existing.contains(where: { $0.spec.name == spec.name }) {
            throw ShoalError.conflict("network with name \(spec.name) already exists")
        }
        if spec.ipam.count > 1 {
            throw ShoalError.invalidArgument("overlay networks take one IPv4 subnet (got \(spec.ipam.count))")
        }
        let asked = spec.ipam.first
        var allocator = try OverlayNetworkAllocator(pools: pools, existing: existing.map(Self.allocated))
        let allocation = try Self.exhaustionIsFinal {
            try allocator.allocate(OverlayRequest(
                subnet: asked.map(\.subnet).flatMap { $0.isEmpty ? nil : $0 },
                gateway: asked.map(\.gateway).flatMap { $0.isEmpty ? nil : $0 },
                ipRange: asked.map(\.ipRange).flatMap { $0.isEmpty ? nil : $0 },
                auxAddresses: asked?.auxAddresses ?? [:],
                vni: try OverlayNetworkAllocator.requestedVNI(spec.driverOptions)))
        }
        var network = SwarmNetwork()
        network.id = RandomID.generate()
        network.spec = spec
        var ipam = Shoal_Cluster_V1_IPAMConfig()
        ipam.subnet = allocation.subnet.description
        ipam.gateway = allocation.gateway.description
        ipam.ipRange = allocation.ipRange?.description ?? ""
        ipam.auxAddresses = allocation.auxAddresses.mapValues(\.description)
        network.ipam = [ipam]
        network.vni = allocation.vni
        network.createdAtMs = Self.now()
        network.updatedAtMs = network.createdAtMs
        try await commit(try networks.create(network))
        return network
    }

    /// `docker network rm`: refused while a service uses it, a task of one still runs (or is wanted) on it, or a
    /// container of the cluster is attached (SwarmKit's rules). Tasks of removed services do not hold it: their
    /// endpoints go as their nodes stop them, so `docker stack rm` removes its networks at once.
    public func remove(_ reference: String) async throws {
        let network = try NetworkLookup.resolve(reference, in: try await networks.list().map(\.object))
        let services = try await services.list().map(\.object)
        if network.spec.ingress, let service = services.first(where: { !Self.meshPorts(of: $0).isEmpty }) {
            throw ShoalError.invalidState(
                "rpc error: code = FailedPrecondition desc = ingress network cannot be removed because service \(service.id) depends on it")
        }
        if let service = services
            .first(where: { $0.spec.taskTemplate.networks.contains { $0.target == network.id } }) {
            throw ShoalError.invalidState(
                "rpc error: code = FailedPrecondition desc = network \(network.id) is in use by service \(service.id)")
        }
        if let task = try await tasks.list().map(\.object).first(where: { task in
            task.networksAttachments.contains { $0.networkID == network.id }
                && (TaskState(rawValue: task.desiredState) ?? .new) <= .running
                && (TaskState(rawValue: task.status.state) ?? .new) <= .running
        }) {
            throw ShoalError.invalidState(
                "rpc error: code = FailedPrecondition desc = network \(network.id) is in use by task \(task.id)")
        }
        let attached = try await attachments.list().filter { $0.object.networkID == network.id && $0.object.taskID.isEmpty }
        if let container = attached.first(where: { $0.object.containerID != IngressSandbox.containerID }) {
            throw ShoalError.invalidState(
                "rpc error: code = FailedPrecondition desc = network \(network.id) is in use by container \(container.object.containerID)")
        }
        // The nodes' ingress sandboxes go with the ingress network.
        var write = try networks.delete(network.id)
        for sandbox in attached { write += try attachments.delete(sandbox.id, ifVersion: sandbox.version) }
        try await commit(write)
        addressBooks[network.id] = nil
    }

    // MARK: endpoints

    /// An endpoint for a container on `nodeID`: its address (`--ip` when asked) from the network's subnet. The
    /// container of a service task (`taskID`) takes the address its task holds, on any network of the task (not
    /// only attachable ones), and answers to the service's names besides its own. A node's ingress sandbox
    /// (`IngressSandbox.containerID` on the ingress network) gets one address there, the same one when it asks again.
    public func attach(nodeID: String, nodeAddress: String, networkID: String, containerID: String,
                       containerName: String, aliases: [String], dnsNames: [String], requestedAddress: String,
                       taskID: String = "") async throws -> SwarmAttachment
    {
        guard let network = try await networks.get(networkID)?.object else {
            throw ShoalError.notFound("network \(networkID) not found")
        }
        let ingressSandbox = network.spec.ingress && taskID.isEmpty && containerID == IngressSandbox.containerID
        if ingressSandbox, let held = try await attachments.list().map(\.object)
            .first(where: { $0.networkID == network.id && $0.nodeID == nodeID && $0.containerID == containerID }) {
            // A node's ingress sandbox has one address on the mesh, kept across its daemon's restarts.
            return held
        }
        var book = try await addressBook(network)
        var attachment = SwarmAttachment()
        if taskID.isEmpty {
            guard network.spec.attachable || ingressSandbox else {
                throw ShoalError.permissionDenied(
                    "Could not attach to network \(network.spec.name): rpc error: code = PermissionDenied desc = network \(network.spec.name) not manually attachable")
            }
            let address = try Self.exhaustionIsFinal {
                try EndpointAddresses.take(requestedAddress.isEmpty ? nil : requestedAddress, from: &book)
            }
            // Taken before the commit's wait, so a concurrent attach (this actor is reentrant) takes another.
            addressBooks[network.id] = book
            attachment.address = address.description
            attachment.dnsNames = dnsNames
        } else {
            let task = try await taskEndpoint(taskID, nodeID: nodeID, networkID: network.id)
            attachment.address = task.address.description
            attachment.taskID = taskID
            attachment.serviceID = task.serviceID
            attachment.dnsNames = dnsNames + task.serviceNames.filter { !dnsNames.contains($0) }
        }
        attachment.id = Identifier.random()
        attachment.networkID = network.id
        attachment.nodeID = nodeID
        attachment.nodeAddress = nodeAddress
        attachment.containerID = containerID
        attachment.containerName = containerName
        attachment.aliases = aliases
        attachment.prefixLength = Int32(book.subnet.prefixLength)
        attachment.macAddress = MACAddress(derivedFrom: try IPv4Address(parsing: attachment.address)).description
        attachment.createdAtMs = Self.now()
        do {
            try await commit(try attachments.create(attachment))
        } catch {
            release(attachment)
            throw error
        }
        return attachment
    }

    /// What a task's container may claim on `networkID`: the address its task holds there, and the names of its
    /// service (`tasks.NAME`, and NAME itself when the service resolves to its tasks: `--endpoint-mode dnsrr`).
    private func taskEndpoint(_ taskID: String, nodeID: String, networkID: String) async throws
        -> (address: IPv4Address, serviceID: String, serviceNames: [String])
    {
        guard let task = try await tasks.get(taskID)?.object, task.nodeID == nodeID,
              let held = task.networksAttachments.first(where: { $0.networkID == networkID })?.addresses.first,
              let address = try? IPv4Interface(parsing: held).address
        else {
            throw ShoalError.permissionDenied("task \(taskID) has no endpoint on network \(networkID) on this node")
        }
        guard let service = try await services.get(task.serviceID)?.object else {
            return (address, task.serviceID, [])
        }
        let names = ServiceDNSNames.forTask(of: service.spec.name, dnsrr: service.spec.endpointSpec.mode == "dnsrr")
        return (address, service.id, names)
    }

    /// Gives an endpoint back; only its own node may. Returns it, or nil when it was already gone.
    @discardableResult
    public func detach(nodeID: String, attachmentID: String) async throws -> SwarmAttachment? {
        guard let stored = try await attachments.get(attachmentID) else { return nil }
        guard stored.object.nodeID == nodeID else {
            throw ShoalError.permissionDenied("endpoint \(attachmentID) belongs to another node")
        }
        try await commit(try attachments.delete(attachmentID, ifVersion: stored.version))
        release(stored.object)
        return stored.object
    }

    /// New names for an endpoint of a renamed container; only its own node may. Returns it as stored now.
    public func rename(nodeID: String, attachmentID: String, containerName: String, dnsNames: [String]) async throws
        -> SwarmAttachment
    {
        guard let stored = try await attachments.get(attachmentID) else {
            throw ShoalError.notFound("endpoint \(attachmentID) not found")
        }
        guard stored.object.nodeID == nodeID else {
            throw ShoalError.permissionDenied("endpoint \(attachmentID) belongs to another node")
        }
        var renamed = stored.object
        renamed.containerName = containerName
        renamed.dnsNames = dnsNames
        try await commit(try attachments.update(renamed, ifVersion: stored.version))
        return renamed
    }

    /// A node told its endpoints at the start of a session: the others it had (containers gone while it was away)
    /// are dropped, except those made in the last `grace` (an attach may still be on its way to the node).
    public func reconcile(nodeID: String, keep: Set<String>, grace: Duration = .seconds(30)) async throws
        -> [SwarmAttachment]
    {
        let cutoff = Self.now() - grace.components.seconds * 1000
        var dropped: [SwarmAttachment] = []
        for stored in try await attachments.list()
        where stored.object.nodeID == nodeID && !keep.contains(stored.id) && stored.object.createdAtMs <= cutoff {
            try await commit(try attachments.delete(stored.id, ifVersion: stored.version))
            release(stored.object)
            dropped.append(stored.object)
        }
        return dropped
    }

    /// Every endpoint of a node that left the swarm (`docker node rm`).
    public func dropNode(_ nodeID: String) async throws -> [SwarmAttachment] {
        try await reconcile(nodeID: nodeID, keep: [], grace: .zero)
    }

    // MARK: pieces

    /// The network's addresses: every attachment's, task's and VIP's in the store are taken. The tasks' and
    /// VIPs' are remembered as theirs, to be given back when their owner goes.
    func addressBook(_ network: SwarmNetwork) async throws -> AddressAllocator {
        if let book = addressBooks[network.id] { return book }
        guard let ipam = network.ipam.first else {
            throw ShoalError.internalError("network \(network.spec.name) has no subnet")
        }
        var inUse = try await attachments.list().filter { $0.object.networkID == network.id }
            .compactMap { try? IPv4Address(parsing: $0.object.address) }
        var owned: [(owner: String, address: String)] = []
        for task in try await tasks.list().map(\.object) {
            for attachment in task.networksAttachments where attachment.networkID == network.id {
                owned += attachment.addresses.map { (task.id, $0) }
            }
        }
        for service in try await services.list().map(\.object) {
            owned += service.endpoint.virtualIps.filter { $0.networkID == network.id }.map { (service.id, $0.address) }
        }
        for (owner, text) in owned {
            guard let address = try? IPv4Interface(parsing: text).address else { continue }
            inUse.append(address)
            held[owner, default: [:]][network.id] = address
        }
        var aux: [String: IPv4Address] = [:]
        for (name, text) in ipam.auxAddresses { aux[name] = try IPv4Address(parsing: text) }
        let built = try EndpointAddresses.allocator(
            subnet: try IPv4Subnet(parsing: ipam.subnet, label: "subnet"), gateway: try IPv4Address(parsing: ipam.gateway),
            ipRange: ipam.ipRange.isEmpty ? nil : try IPv4Subnet(parsing: ipam.ipRange, label: "ip-range"),
            auxAddresses: aux, inUse: inUse)
        // A concurrent call may have built (and used) the book while this one read the store: keep that one.
        if let raced = addressBooks[network.id] { return raced }
        addressBooks[network.id] = built
        return built
    }

    /// A container's endpoint gives its address back; a task's endpoint does not (its task holds it).
    func release(_ attachment: SwarmAttachment) {
        guard attachment.taskID.isEmpty else { return }
        if let address = try? IPv4Address(parsing: attachment.address) {
            _ = addressBooks[attachment.networkID]?.release(address)
        }
    }

    /// Commits `write` fenced by this term. A refusal means another manager claimed the lead since (or, for a
    /// conditional write, the object changed under us: the caller's request fails and can be retried).
    func commit(_ write: StoreWrite) async throws {
        switch try await fence.commit(write, in: store) {
        case .committed: return
        case .deposed: throw ShoalError(.unavailable, "this manager is no longer the leader")
        case .conflicted: throw ShoalError.conflict("update out of sequence")
        }
    }

    /// A space that is full (no subnet, VNI or address left) is an answer, not a passing outage: it must not read
    /// as "unavailable", which callers take for a leader they cannot reach and retry elsewhere.
    static func exhaustionIsFinal<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ShoalError where error.code == .unavailable {
            throw ShoalError.internalError(error.message)
        }
    }

    static func allocated(_ network: SwarmNetwork) -> (subnets: [IPv4Subnet], vni: UInt32) {
        (network.ipam.compactMap { try? IPv4Subnet(parsing: $0.subnet, label: "subnet") }, network.vni)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Swarm-scoped networks by reference (Docker's rule: `NetworkReference`).
public enum NetworkLookup {
    public static func resolve(_ reference: String, in networks: [SwarmNetwork]) throws -> SwarmNetwork {
        try NetworkReference.resolve(reference, in: networks, name: \.spec.name, id: \.id)
    }
}
