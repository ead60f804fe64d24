import Foundation

/// One unit of work of a service: a container to run on one node (Docker's swarm `Task`). Named like `SwarmNode`
/// and `SwarmService`, and because a public `Task` would shadow Swift's own in every module importing the model.
public struct SwarmTask: Codable, Sendable, Equatable {
    /// The label that marks a container as a task's (its value is the task's ID), as Docker labels it.
    public static let containerLabel = "com.docker.swarm.task.id"

    public var id: String
    /// The store's version of this object; bumped on every write.
    public var version: UInt64
    public var createdAt: Date
    public var updatedAt: Date
    public var serviceID: String
    /// Replicated services: the replica number (1…n) a task stands for; its replacements keep it. Global: 0.
    public var slot: Int
    /// Empty until the scheduler assigns the task; set at creation for global services (one task per node).
    public var nodeID: String
    public var labels: [String: String]
    /// The task template it was made from. Kept in a shared box: tasks are copied often (a leader holds 100,000
    /// and its rounds filter, group and pass them around), and a spec is most of a task's fields.
    public var spec: TaskSpec {
        get { specBox.value }
        set {
            if isKnownUniquelyReferenced(&specBox) {
                specBox.value = newValue
            } else {
                specBox = SpecBox(newValue)
            }
        }
    }
    private var specBox: SpecBox
    /// The service's spec version the task was made from, so an update can tell old tasks from new ones.
    public var specVersion: UInt64
    /// The service's endpoint at creation: host-mode published ports decide which nodes can take the task.
    public var endpoint: EndpointSpec?
    public var desiredState: TaskState
    public var status: TaskStatus
    public var networksAttachments: [TaskNetworkAttachment]
    /// When this task's slot was restarted under its current spec, up to this task's own creation (carried from
    /// each task to its replacement), so the restart policy's `maxAttempts` and `window` hold across leader
    /// changes and task reaping. Shoal's own: Docker keeps this in the manager's memory and shows it nowhere.
    public var restartHistory: [Date] = []

    public init(id: String, version: UInt64 = 0, createdAt: Date, updatedAt: Date? = nil, serviceID: String,
                slot: Int = 0, nodeID: String = "", labels: [String: String] = [:], spec: TaskSpec,
                specVersion: UInt64 = 0, endpoint: EndpointSpec? = nil, desiredState: TaskState = .running,
                status: TaskStatus, networksAttachments: [TaskNetworkAttachment] = []) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.serviceID = serviceID
        self.slot = slot
        self.nodeID = nodeID
        self.labels = labels
        self.specBox = SpecBox(spec)
        self.specVersion = specVersion
        self.endpoint = endpoint
        self.desiredState = desiredState
        self.status = status
        self.networksAttachments = networksAttachments
    }
}

extension SwarmTask {
    enum CodingKeys: String, CodingKey {
        case id, version, createdAt, updatedAt, serviceID, slot, nodeID, labels
        case specBox = "spec"
        case specVersion, endpoint, desiredState, status, networksAttachments, restartHistory
    }

    /// `SwarmTask.spec`'s storage: copied only when a task that shares it changes its spec.
    final class SpecBox: Codable, Equatable, @unchecked Sendable {
        // Mutated only through `SwarmTask.spec`'s setter, on a box no other task holds.
        var value: TaskSpec

        init(_ value: TaskSpec) { self.value = value }

        required init(from decoder: any Decoder) throws { value = try TaskSpec(from: decoder) }

        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }

        static func == (lhs: SpecBox, rhs: SpecBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
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
