import Foundation
import ShoalCore

/// Options of `docker logs`.
public struct LogOptions: Sendable, Equatable {
    public var stdout = true
    public var stderr = true
    public var follow = false
    public var timestamps = false
    /// nil = all lines.
    public var tail: Int? = nil
    public var since: Date? = nil
    public var until: Date? = nil
    public init() {}
}

public struct LogEntry: Sendable, Equatable {
    public var stream: StreamChunk.Stream
    public var time: Date
    public var bytes: [UInt8]
    public init(stream: StreamChunk.Stream, time: Date, bytes: [UInt8]) {
        self.stream = stream
        self.time = time
        self.bytes = bytes
    }
}

/// `docker wait --condition` / the API's `condition` query.
public enum WaitCondition: String, Sendable {
    case notRunning = "not-running"
    case nextExit = "next-exit"
    case removed
}

public struct WaitResult: Sendable, Equatable {
    public var statusCode: Int32
    public var error: String?
    public init(statusCode: Int32, error: String? = nil) {
        self.statusCode = statusCode
        self.error = error
    }
}

/// `docker exec` configuration.
public struct ExecSpec: Codable, Sendable, Equatable {
    public var cmd: [String]
    public var env: [String] = []
    public var user: String? = nil
    public var workingDir: String? = nil
    public var tty = false
    public var attachStdin = false
    public var attachStdout = true
    public var attachStderr = true
    public var privileged = false
    /// Docker's detach key spec for this exec's terminal (`ctrl-p,ctrl-q`); nil: the default.
    public var detachKeys: String? = nil

    public init(cmd: [String]) { self.cmd = cmd }
}

public struct ExecRecord: Sendable, Equatable {
    public var id: String
    public var containerID: String
    public var spec: ExecSpec
    public var running: Bool
    public var exitCode: Int32?
    public var pid: Int32

    public init(id: String, containerID: String, spec: ExecSpec, running: Bool = false, exitCode: Int32? = nil,
                pid: Int32 = 0) {
        self.id = id
        self.containerID = containerID
        self.spec = spec
        self.running = running
        self.exitCode = exitCode
        self.pid = pid
    }
}

/// A sample of a container's resource use (cgroup counters and its namespace's interfaces), in the units of
/// Docker's stats JSON. A stopped container's sample is all zeros.
public struct ContainerStats: Sendable, Equatable {
    public var read: Date
    /// CPU time, nanoseconds: in all, per CPU, in kernel and user mode.
    public var cpuTotalNanos: UInt64 = 0
    public var perCPUNanos: [UInt64] = []
    public var cpuKernelNanos: UInt64 = 0
    public var cpuUserNanos: UInt64 = 0
    /// The host's CPU time (all CPUs, /proc/stat), for the CLI's percentage.
    public var systemCPUNanos: UInt64 = 0
    public var onlineCPUs: Int
    public var throttlingPeriods: UInt64 = 0
    public var throttledPeriods: UInt64 = 0
    public var throttledNanos: UInt64 = 0
    public var memoryUsage: UInt64 = 0
    public var memoryMaxUsage: UInt64 = 0
    public var memoryLimit: UInt64 = 0
    /// memory.stat as the kernel names its counters.
    public var memoryStats: [String: UInt64] = [:]
    public var pids: UInt64 = 0
    /// nil when unlimited.
    public var pidsLimit: UInt64? = nil
    public var networks: [String: InterfaceCounters] = [:]
    public var ioServiceBytes: [BlockIOCounter] = []
    public var ioServiced: [BlockIOCounter] = []

    public init(read: Date, onlineCPUs: Int) {
        self.read = read
        self.onlineCPUs = onlineCPUs
    }
}

public struct ProcessTable: Sendable, Equatable {
    public var titles: [String]
    public var processes: [[String]]
    public init(titles: [String], processes: [[String]]) {
        self.titles = titles
        self.processes = processes
    }
}
