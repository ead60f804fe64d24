import Foundation

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

/// A sample of a container's resource use (cgroup counters).
public struct ContainerStats: Sendable, Equatable {
    public var read: Date
    public var cpuTotalNanos: UInt64
    public var systemCPUNanos: UInt64
    public var onlineCPUs: Int
    public var memoryUsage: UInt64
    public var memoryLimit: UInt64
    public var pids: UInt64

    public init(read: Date, cpuTotalNanos: UInt64, systemCPUNanos: UInt64, onlineCPUs: Int, memoryUsage: UInt64,
                memoryLimit: UInt64, pids: UInt64) {
        self.read = read
        self.cpuTotalNanos = cpuTotalNanos
        self.systemCPUNanos = systemCPUNanos
        self.onlineCPUs = onlineCPUs
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.pids = pids
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
