import Foundation

/// How a service's tasks are replaced on update (`--update-*`) or rollback (`--rollback-*`): Docker uses one type
/// (`UpdateConfig`) for both.
public struct UpdateConfig: Codable, Sendable, Equatable {
    /// What to do when an updated task fails (Docker's `FailureAction`).
    public enum FailureAction: String, Codable, Sendable, CaseIterable {
        case pause
        case `continue`
        case rollback
    }

    /// Whether a task is stopped before its replacement starts or after (Docker's `Order`).
    public enum Order: String, Codable, Sendable, CaseIterable {
        case stopFirst = "stop-first"
        case startFirst = "start-first"
    }

    /// Tasks replaced at once; 0 means all at once.
    public var parallelism: UInt64
    public var delay: TimeInterval
    public var failureAction: FailureAction
    /// How long an updated task is watched for failure.
    public var monitor: TimeInterval
    /// Fraction (0…1) of failed updated tasks tolerated before `failureAction` applies.
    public var maxFailureRatio: Double
    public var order: Order

    /// The CLI's defaults (`docker service create --help`): one task at a time, no delay, pause on failure,
    /// watched 5 s, no failure tolerated, stop first. Rollback has the same defaults.
    public init(parallelism: UInt64 = 1, delay: TimeInterval = 0, failureAction: FailureAction = .pause,
                monitor: TimeInterval = 5, maxFailureRatio: Double = 0, order: Order = .stopFirst) {
        self.parallelism = parallelism
        self.delay = delay
        self.failureAction = failureAction
        self.monitor = monitor
        self.maxFailureRatio = maxFailureRatio
        self.order = order
    }
}
