import Foundation

/// A task's lifecycle (Docker's `TaskState`). States only move forward, so the order is the protocol: of two
/// reports for one task, the greater state wins, and everything past `running` no longer holds resources.
/// Ranks follow SwarmKit's enum values, spaced so states could be added between them (`allocated`, which SwarmKit
/// dropped, sits between `new` and `pending` as in Docker's list).
public enum TaskState: String, Codable, Sendable, CaseIterable, Comparable {
    case new
    /// In Docker's API for old clients; SwarmKit's allocator moves tasks from `new` straight to `pending`.
    case allocated
    /// Allocated, waiting for the scheduler.
    case pending
    case assigned
    /// The node's agent has taken the task.
    case accepted
    case preparing
    case ready
    case starting
    case running
    case complete
    /// Stopped on the orchestrator's request.
    case shutdown
    case failed
    /// Never ran on its node (e.g. its host port was taken there).
    case rejected
    /// Marked for deletion; the reaper removes it once its node has shut it down.
    case remove
    /// Its node stopped answering long enough that the task's resources were freed without it.
    case orphaned

    public var rank: Int {
        switch self {
        case .new: 0
        case .allocated: 32
        case .pending: 64
        case .assigned: 192
        case .accepted: 256
        case .preparing: 320
        case .ready: 384
        case .starting: 448
        case .running: 512
        case .complete: 576
        case .shutdown: 640
        case .failed: 704
        case .rejected: 768
        case .remove: 800
        case .orphaned: 832
        }
    }

    public static func < (lhs: TaskState, rhs: TaskState) -> Bool { lhs.rank < rhs.rank }

    /// Ended: the task will not run (again); its slot gets a new task if the service still wants one.
    public var isTerminal: Bool { self > .running }
}

/// What the task last reported (Docker's `TaskStatus`); `err` is the reason it is not progressing, e.g. the
/// scheduler's "no suitable node (…)".
public struct TaskStatus: Codable, Sendable, Equatable {
    public var timestamp: Date
    public var state: TaskState
    public var message: String
    public var err: String
    public var containerStatus: TaskContainerStatus?
    public var portStatus: [PortConfig]
    /// When the task was first reported running (the update monitor counts from it). Shoal's own: not in
    /// Docker's JSON.
    public var runningSince: Date? = nil

    public init(timestamp: Date, state: TaskState, message: String = "", err: String = "",
                containerStatus: TaskContainerStatus? = nil, portStatus: [PortConfig] = []) {
        self.timestamp = timestamp
        self.state = state
        self.message = message
        self.err = err
        self.containerStatus = containerStatus
        self.portStatus = portStatus
    }
}

/// The container behind a task (Docker's `ContainerStatus`).
public struct TaskContainerStatus: Codable, Sendable, Equatable {
    public var containerID: String
    public var pid: Int
    public var exitCode: Int

    public init(containerID: String, pid: Int = 0, exitCode: Int = 0) {
        self.containerID = containerID
        self.pid = pid
        self.exitCode = exitCode
    }
}
