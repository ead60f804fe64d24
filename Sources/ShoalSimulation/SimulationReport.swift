import Foundation
import ShoalManager

/// What a run measured: each step's time and what it moved, the dispatcher's messages during it, the leader's CPU
/// during it; at the end, the leader process (which also holds the scenario's driver), its etcd member, the store's
/// size and the node processes.
public struct SimulationReport: Sendable, Codable, Equatable {
    public struct Step: Sendable, Codable, Equatable {
        public var name: String
        public var seconds: Double
        /// Tasks the step placed, moved or replaced (0: none counted).
        public var tasks: Int
        public var dispatcherReceived: Int
        public var dispatcherSent: Int
        public var leaderCPUSeconds: Double
        public var etcdCPUSeconds: Double
        /// The store's counts when the step converged (nil for steps that wait on nodes only).
        public var convergence: Convergence?
        /// The step converged at most this long before `seconds` (the time between the driver's last two looks).
        public var resolutionSeconds: Double
        /// The driver's time following the store during the step (in the leader's process).
        public var driverReadSeconds: Double
        /// When every replica was placed on a Ready node (the scheduler's part done), from the step's start.
        public var placedSeconds: Double?

        public var tasksPerSecond: Double { seconds > 0 ? Double(tasks) / seconds : 0 }
        public var messagesPerSecond: Double {
            seconds > 0 ? Double(dispatcherReceived + dispatcherSent) / seconds : 0
        }
    }

    public var parameters: ScenarioParameters
    public var steps: [Step] = []
    public var leader: ProcessUsage?
    public var etcd: ProcessUsage?
    public var etcdDBBytes: Int64?
    public var nodeProcesses: [ProcessUsage] = []

    public init(parameters: ScenarioParameters) { self.parameters = parameters }

    public func step(_ name: String) -> Step? { steps.first { $0.name == name } }

    /// One line per figure, for people.
    public var summary: [String] {
        var lines = steps.map { step in
            step.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                + String(format: " %8.2f s (±%.2f)  %7d tasks  %7.0f tasks/s  %6.0f dispatcher msgs/s  leader CPU %7.2f s (driver %.2f s)  etcd CPU %7.2f s",
                         step.seconds, step.resolutionSeconds, step.tasks, step.tasksPerSecond, step.messagesPerSecond,
                         step.leaderCPUSeconds, step.driverReadSeconds, step.etcdCPUSeconds)
                + (step.placedSeconds.map { String(format: "  all placed after %.2f s", $0) } ?? "")
        }
        let mib = { (bytes: Int64) in String(format: "%.0f MiB", Double(bytes) / 1_048_576) }
        if let leader {
            lines.append("leader process \(leader.pid): RSS \(mib(leader.rssBytes)), peak \(mib(leader.peakRSSBytes)), "
                         + String(format: "CPU %.1f s", leader.cpuSeconds))
        }
        if let etcd {
            lines.append("etcd member \(etcd.pid): RSS \(mib(etcd.rssBytes)), peak \(mib(etcd.peakRSSBytes)), "
                         + String(format: "CPU %.1f s", etcd.cpuSeconds))
        }
        if let etcdDBBytes { lines.append("etcd db size: \(mib(etcdDBBytes))") }
        for node in nodeProcesses {
            lines.append("node process \(node.pid): RSS \(mib(node.rssBytes)), "
                         + String(format: "CPU %.1f s", node.cpuSeconds))
        }
        return lines
    }
}

/// Takes each step's measurements: wall time, the dispatcher's counters, the leader's and etcd's CPU time.
actor StepMeter {
    struct Mark {
        var name: String
        var start: ContinuousClock.Instant
        var received: Int
        var sent: Int
        var leaderCPU: Double
        var etcdCPU: Double
    }

    private let etcdData: String
    private let host: any NodeHost

    init(leaderEtcd: String, host: any NodeHost) {
        etcdData = leaderEtcd
        self.host = host
    }

    func etcdUsage() -> ProcessUsage? {
        ProcessUsage.etcdMember(dataDirectory: etcdData).flatMap(ProcessUsage.of)
    }

    /// The size of etcd's backend file (what its status calls dbSize).
    func etcdDBSize() -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: etcdData + "/member/snap/db"))?[.size] as? Int64
    }

    func begin(_ name: String) -> Mark {
        let counters = DispatcherCounters.snapshot
        return Mark(name: name, start: .now, received: counters.received, sent: counters.sent,
                    leaderCPU: ProcessUsage.current?.cpuSeconds ?? 0, etcdCPU: etcdUsage()?.cpuSeconds ?? 0)
    }

    func end(_ mark: Mark, _ poll: Poll, tasks: Int, convergence: Convergence? = nil) -> SimulationReport.Step {
        let elapsed = poll.seen - mark.start
        let counters = DispatcherCounters.snapshot
        return SimulationReport.Step(
            name: mark.name, seconds: elapsed.inSeconds,
            tasks: tasks, dispatcherReceived: counters.received - mark.received,
            dispatcherSent: counters.sent - mark.sent,
            leaderCPUSeconds: (ProcessUsage.current?.cpuSeconds ?? 0) - mark.leaderCPU,
            etcdCPUSeconds: (etcdUsage()?.cpuSeconds ?? 0) - mark.etcdCPU, convergence: convergence,
            resolutionSeconds: poll.resolution.inSeconds, driverReadSeconds: poll.reading.inSeconds,
            placedSeconds: poll.placed.map { ($0 - mark.start).inSeconds })
    }
}

extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
