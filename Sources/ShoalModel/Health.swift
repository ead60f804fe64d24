import Foundation

/// A container's health check as Docker's `Config.Healthcheck` carries it: the test (`["CMD", …]`,
/// `["CMD-SHELL", "…"]`, `["NONE"]`, or empty to inherit the image's) and durations in nanoseconds (0: the
/// default, or the image's).
public struct HealthConfig: Codable, Sendable, Equatable {
    public var test: [String]
    public var interval: Int64
    public var timeout: Int64
    public var startPeriod: Int64
    public var retries: Int

    /// Docker's defaults for a field left at 0 (daemon/health.go).
    public static let defaultInterval: Int64 = 30_000_000_000
    public static let defaultTimeout: Int64 = 30_000_000_000
    public static let defaultRetries = 3
    /// No duration may be shorter (Docker's `container.MinimumDuration`).
    public static let minimumDuration: Int64 = 1_000_000

    public init(test: [String] = [], interval: Int64 = 0, timeout: Int64 = 0, startPeriod: Int64 = 0,
                retries: Int = 0) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.retries = retries
    }

    /// The user's check over the image's, field by field as Docker merges them at create: an empty test takes
    /// the image's test, a zero duration or retry count the image's.
    public func merged(over image: HealthConfig?) -> HealthConfig {
        guard let image else { return self }
        var result = self
        if result.test.isEmpty { result.test = image.test }
        if result.interval == 0 { result.interval = image.interval }
        if result.timeout == 0 { result.timeout = image.timeout }
        if result.startPeriod == 0 { result.startPeriod = image.startPeriod }
        if result.retries == 0 { result.retries = image.retries }
        return result
    }

    /// The command a check runs in the container, or nil when there is nothing to run (no test, `NONE`, an
    /// unknown kind). `CMD-SHELL` runs through the container's shell, `/bin/sh -c`.
    public var command: [String]? {
        guard let kind = test.first, test.count > 1 else { return nil }
        switch kind {
        case "CMD": return Array(test.dropFirst())
        case "CMD-SHELL": return ["/bin/sh", "-c"] + test.dropFirst()
        default: return nil
        }
    }

    /// Docker's refusals at create (daemon/container.go), in its words.
    public func validate(prefix: String = "", name: String = "Healthcheck") -> String? {
        let minimum = "1ms"
        if interval != 0 && interval < Self.minimumDuration {
            return "\(prefix)Interval in \(name) cannot be less than \(minimum)"
        }
        if timeout != 0 && timeout < Self.minimumDuration {
            return "\(prefix)Timeout in \(name) cannot be less than \(minimum)"
        }
        if retries < 0 { return "\(prefix)Retries in \(name) cannot be negative" }
        if startPeriod != 0 && startPeriod < Self.minimumDuration {
            return "\(prefix)StartPeriod in \(name) cannot be less than \(minimum)"
        }
        return nil
    }
}

/// One run of a container's check, as `State.Health.Log` lists it.
public struct HealthResult: Codable, Sendable, Equatable {
    public var start: Date
    public var end: Date
    /// 0 healthy, anything else a failure; -1 when the check could not run or overran its timeout.
    public var exitCode: Int
    public var output: String

    /// Docker keeps at most this much of a check's output; longer output is cut and marked with "...".
    public static let maxOutput = 4096

    public init(start: Date, end: Date, exitCode: Int, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }

    /// The output Docker records from the bytes a check wrote (stdout and stderr together).
    public static func output(_ bytes: [UInt8], truncated: Bool) -> String {
        String(decoding: bytes.prefix(maxOutput), as: UTF8.self) + (truncated || bytes.count > maxOutput ? "..." : "")
    }
}

/// A container's health (`State.Health`): starting until a check passes, healthy, or unhealthy after `retries`
/// failures in a row (failures within the start period do not count while it is still starting).
public struct HealthState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable { case starting, healthy, unhealthy }

    public var status: Status
    public var failingStreak: Int
    public var log: [HealthResult]

    /// Docker keeps the last five results.
    public static let maxLogEntries = 5

    public init(status: Status = .starting, failingStreak: Int = 0, log: [HealthResult] = []) {
        self.status = status
        self.failingStreak = failingStreak
        self.log = log
    }

    /// Takes one result (Docker's handleProbeResult); returns the new status when it changed.
    @discardableResult
    public mutating func record(_ result: HealthResult, config: HealthConfig, startedAt: Date) -> Status? {
        let old = status
        log.append(result)
        if log.count > Self.maxLogEntries { log.removeFirst(log.count - Self.maxLogEntries) }
        if result.exitCode == 0 {
            failingStreak = 0
            status = .healthy
        } else {
            let inStartPeriod = status == .starting
                && result.start.timeIntervalSince(startedAt) * 1e9 < Double(config.startPeriod)
            if !inStartPeriod {
                failingStreak += 1
                if failingStreak >= (config.retries > 0 ? config.retries : HealthConfig.defaultRetries) {
                    status = .unhealthy
                }
            }
        }
        return status == old ? nil : status
    }
}
