import Foundation
import ShoalModel

/// One task's life on its node, as a step function (SwarmKit's `exec.Do`): from the state the task last
/// reported, what it wants and what its container is doing, the one thing to do next and the state that
/// reports. The shell performs the step, then asks again, until the task rests (running and watched, or ended).
///
/// ```
/// new/pending/assigned → accepted → preparing ─ create the container ─→ ready ─ (desired running) → starting
///   ─ start ─→ running ─ exit 0 → complete, exit N → failed ("task: non-zero exit (N)")
/// preparing fails → rejected (the error kept);  desired shutdown/remove before the end → stop → shutdown
/// ```
/// A container with a health check (Docker's executor, controller.go): the task stays `starting` until the check
/// passes; an unhealthy container is stopped, starting or running, and its exit fails the task with the cause
/// ("task: non-zero exit (137): unhealthy container"), so the orchestrator replaces it by its restart policy.
public enum TaskController {
    public enum Operation: Sendable, Equatable {
        /// Nothing to do but report.
        case none
        /// Create the container (pulling nothing: the image must be on the node).
        case prepare
        case start
        /// Wait for the running container to exit, or for its health to change.
        case wait
        /// Stop the container (its stop signal, then SIGKILL after the grace period).
        case stop
    }

    /// What the container is doing, as the engine sees it (nil: no container yet).
    public enum Observation: Sendable, Equatable {
        case created
        /// Running, and healthy or without a health check.
        case running
        /// Running, with a health check that has not passed yet.
        case checking
        /// Running, and its health check failed its retries in a row.
        case unhealthy
        /// Ended; `unhealthy` when its health check had found it unhealthy.
        case exited(code: Int, unhealthy: Bool = false)

        /// Its process runs, healthy or not.
        public var isRunning: Bool {
            switch self {
            case .running, .checking, .unhealthy: true
            case .created, .exited: false
            }
        }
    }

    public struct Step: Sendable, Equatable {
        public var operation: Operation
        /// The state to report (nil: unchanged).
        public var status: TaskStatus?
    }

    public static func next(_ task: SwarmTask, container: Observation?, now: Date) -> Step {
        let state = task.status.state
        func report(_ state: TaskState, _ message: String, err: String = "", operation: Operation = .none) -> Step {
            var status = TaskStatus(timestamp: now, state: state, message: message, err: err,
                                    containerStatus: task.status.containerStatus, portStatus: task.status.portStatus)
            status.runningSince = state == .running ? now : task.status.runningSince
            if case .exited(let code, _)? = container { status.containerStatus?.exitCode = code }
            return Step(operation: operation, status: status)
        }
        if state.isTerminal { return Step(operation: .none, status: nil) }

        // Wanted down: stop what runs; a task that never started just ends.
        if task.desiredState > .running {
            if container?.isRunning == true { return Step(operation: .stop, status: nil) }
            return report(.shutdown, "shutdown")
        }
        // A container that ended, whatever the task last said (a daemon restart in between, for instance).
        if case .exited(let code, let unhealthy) = container, state >= .starting {
            return code == 0 ? report(.complete, "finished")
                : report(.failed, "started",
                         err: "task: non-zero exit (\(code))" + (unhealthy ? ": unhealthy container" : ""))
        }
        // Unhealthy, starting or running: stopped, and its exit ends the task.
        if container == .unhealthy, state >= .starting { return Step(operation: .stop, status: nil) }
        // A container that vanished (removed by hand, its host's data lost): the task cannot go on.
        if container == nil, state >= .starting {
            return report(.failed, "started", err: "No such container: task \(task.id) has no container")
        }
        switch state {
        case .new, .allocated, .pending, .assigned:
            return report(.accepted, "accepted")
        case .accepted:
            return report(.preparing, "preparing")
        case .preparing:
            return container == nil ? Step(operation: .prepare, status: nil) : report(.ready, "prepared")
        case .ready:
            // A replacement waiting out its restart delay stays ready.
            return task.desiredState == .running ? report(.starting, "starting") : Step(operation: .none, status: nil)
        case .starting:
            switch container {
            case .running?: return report(.running, "started")
            case .checking?: return Step(operation: .wait, status: nil)
            default: return Step(operation: .start, status: nil)
            }
        case .running:
            return Step(operation: .wait, status: nil)
        default:
            return Step(operation: .none, status: nil)
        }
    }

    /// The state a failed preparation reports: the task is rejected with the engine's error.
    public static func rejected(_ task: SwarmTask, error: String, now: Date) -> TaskStatus {
        TaskStatus(timestamp: now, state: .rejected, message: "preparing", err: error,
                   containerStatus: task.status.containerStatus)
    }
}
