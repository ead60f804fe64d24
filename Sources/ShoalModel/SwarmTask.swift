import Foundation

/// One unit of work of a service: a container to run on one node (Docker's swarm `Task`). Named like `SwarmNode`
/// and `SwarmService`, and because a public `Task` would shadow Swift's own in every module importing the model.
public struct SwarmTask: Codable, Sendable, Equatable {
    /// The label that marks a container as a task's (its value is the task's ID), as Docker labels it.
    public static let containerLabel = "com.docker.swarm.task.id"

    /// Every field, in one box that copies share: a leader holds 100,000 tasks and its rounds filter, group and
    /// pass them around, so a copy is one reference; a change copies the box first when another copy holds it.
    private var box: Box

    public var id: String {
        get { box.fields.id }
        set {
            makeUnique()
            box.fields.id = newValue
        }
    }
    /// The store's version of this object; bumped on every write.
    public var version: UInt64 {
        get { box.fields.version }
        set {
            makeUnique()
            box.fields.version = newValue
        }
    }
    public var createdAt: Date {
        get { box.fields.createdAt }
        set {
            makeUnique()
            box.fields.createdAt = newValue
        }
    }
    public var updatedAt: Date {
        get { box.fields.updatedAt }
        set {
            makeUnique()
            box.fields.updatedAt = newValue
        }
    }
    public var serviceID: String {
        get { box.fields.serviceID }
        set {
            makeUnique()
            box.fields.serviceID = newValue
        }
    }
    /// Replicated services: the replica number (1…n) a task stands for; its replacements keep it. Global: 0.
    public var slot: Int {
        get { box.fields.slot }
        set {
            makeUnique()
            box.fields.slot = newValue
        }
    }
    /// Empty until the scheduler assigns the task; set at creation for global services (one task per node).
    public var nodeID: String {
        get { box.fields.nodeID }
        set {
            makeUnique()
            box.fields.nodeID = newValue
        }
    }
    public var labels: [String: String] {
        get { box.fields.labels }
        set {
            makeUnique()
            box.fields.labels = newValue
        }
    }
    public var spec: TaskSpec {
        get { box.fields.spec }
        set {
            makeUnique()
            box.fields.spec = newValue
        }
    }
    /// The service's spec version the task was made from, so an update can tell old tasks from new ones.
    public var specVersion: UInt64 {
        get { box.fields.specVersion }
        set {
            makeUnique()
            box.fields.specVersion = newValue
        }
    }
    /// The service's endpoint at creation: host-mode published ports decide which nodes can take the task.
    public var endpoint: EndpointSpec? {
        get { box.fields.endpoint }
        set {
            makeUnique()
            box.fields.endpoint = newValue
        }
    }
    public var desiredState: TaskState {
        get { box.fields.desiredState }
        set {
            makeUnique()
            box.fields.desiredState = newValue
        }
    }
    public var status: TaskStatus {
        get { box.fields.status }
        set {
            makeUnique()
            box.fields.status = newValue
        }
    }
    public var networksAttachments: [TaskNetworkAttachment] {
        get { box.fields.networksAttachments }
        set {
            makeUnique()
            box.fields.networksAttachments = newValue
        }
    }
    /// When this task's slot was restarted under its current spec, up to this task's own creation (carried from
    /// each task to its replacement), so the restart policy's `maxAttempts` and `window` hold across leader
    /// changes and task reaping. Shoal's own: Docker keeps this in the manager's memory and shows it nowhere.
    public var restartHistory: [Date] {
        get { box.fields.restartHistory }
        set {
            makeUnique()
            box.fields.restartHistory = newValue
        }
    }

    public init(id: String, version: UInt64 = 0, createdAt: Date, updatedAt: Date? = nil, serviceID: String,
                slot: Int = 0, nodeID: String = "", labels: [String: String] = [:], spec: TaskSpec,
                specVersion: UInt64 = 0, endpoint: EndpointSpec? = nil, desiredState: TaskState = .running,
                status: TaskStatus, networksAttachments: [TaskNetworkAttachment] = []) {
        box = Box(Fields(
            id: id, version: version, createdAt: createdAt, updatedAt: updatedAt ?? createdAt, serviceID: serviceID,
            slot: slot, nodeID: nodeID, labels: labels, spec: spec, specVersion: specVersion, endpoint: endpoint,
            desiredState: desiredState, status: status, networksAttachments: networksAttachments))
    }

    public init(from decoder: any Decoder) throws { box = Box(try Fields(from: decoder)) }

    public func encode(to encoder: any Encoder) throws { try box.fields.encode(to: encoder) }

    public static func == (lhs: SwarmTask, rhs: SwarmTask) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
    }

    /// The task's fields (what it encodes to and compares by).
    struct Fields: Codable, Sendable, Equatable {
        var id: String
        var version: UInt64
        var createdAt: Date
        var updatedAt: Date
        var serviceID: String
        var slot: Int
        var nodeID: String
        var labels: [String: String]
        var spec: TaskSpec
        var specVersion: UInt64
        var endpoint: EndpointSpec?
        var desiredState: TaskState
        var status: TaskStatus
        var networksAttachments: [TaskNetworkAttachment]
        var restartHistory: [Date] = []
    }

    final class Box: @unchecked Sendable {
        // Changed only through SwarmTask's setters, after `makeUnique`: no other task holds it then.
        var fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }
}

/// A network the task is on and its addresses there (CIDR form), as the allocator assigned them (Docker's
/// `NetworkAttachment`).
public struct TaskNetworkAttachment: Codable, Sendable, Equatable {
    public var networkID: String
    public var addresses: [String]
    public var aliases: [String]

    public init(networkID: String, addresses: [String] = [], aliases: [String] = []) {
        self.networkID = networkID
        self.addresses = addresses
        self.aliases = aliases
    }
}
