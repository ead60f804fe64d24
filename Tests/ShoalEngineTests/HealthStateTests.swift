import Foundation
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalEngine

/// Docker's health rules (daemon/health.go) on their pure parts: how results move the status, the start period,
/// the five-entry log, output cut at 4096 bytes, merging with the image's check, refusals and duration text.
@Suite struct HealthStateTests {
    static let started = Date(timeIntervalSince1970: 1_700_000_000)

    static func result(_ code: Int, at seconds: Double) -> HealthResult {
        HealthResult(start: started.addingTimeInterval(seconds), end: started.addingTimeInterval(seconds + 0.1),
                     exitCode: code, output: "")
    }

    @Test func failuresInARowMakeItUnhealthyAndASuccessHealthy() {
        var health = HealthState()
        let config = HealthConfig(test: ["CMD", "x"], retries: 2)
        #expect(health.record(Self.result(1, at: 1), config: config, startedAt: Self.started) == nil)
        #expect(health.failingStreak == 1 && health.status == .starting)
        #expect(health.record(Self.result(1, at: 2), config: config, startedAt: Self.started) == .unhealthy)
        #expect(health.record(Self.result(0, at: 3), config: config, startedAt: Self.started) == .healthy)
        #expect(health.failingStreak == 0)
        // The default is three retries; -1 (a check that could not run) is a failure like any other.
        for (index, code) in [-1, 2, 1].enumerated() {
            let changed = health.record(Self.result(code, at: Double(4 + index)), config: HealthConfig(test: ["CMD", "x"]),
                                        startedAt: Self.started)
            #expect(changed == (index == 2 ? .unhealthy : nil))
        }
        #expect(health.log.count == HealthState.maxLogEntries && health.log.last?.exitCode == 1)
    }

    @Test func failuresInTheStartPeriodDoNotCountWhileStarting() {
        var health = HealthState()
        let config = HealthConfig(test: ["CMD", "x"], startPeriod: 10_000_000_000, retries: 1)
        #expect(health.record(Self.result(1, at: 5), config: config, startedAt: Self.started) == nil)
        #expect(health.failingStreak == 0 && health.status == .starting)
        #expect(health.record(Self.result(0, at: 6), config: config, startedAt: Self.started) == .healthy)
        // Once healthy, a failure counts even within the period.
        #expect(health.record(Self.result(1, at: 7), config: config, startedAt: Self.started) == .unhealthy)
        var late = HealthState()
        #expect(late.record(Self.result(1, at: 11), config: config, startedAt: Self.started) == .unhealthy)
    }

    @Test func outputIsCutAt4096BytesWithDockersMark() {
        #expect(HealthResult.output(Array("ok\n".utf8), truncated: false) == "ok\n")
        let long = HealthResult.output([UInt8](repeating: 0x61, count: 5000), truncated: false)
        #expect(long.utf8.count == 4099 && long.hasSuffix("a..."))
    }

    @Test func theUsersCheckGoesOverTheImagesFieldByField() {
        let image = HealthConfig(test: ["CMD", "true"], interval: 5, timeout: 6, startPeriod: 7, retries: 8)
        #expect(HealthConfig(retries: 2).merged(over: image)
                == HealthConfig(test: ["CMD", "true"], interval: 5, timeout: 6, startPeriod: 7, retries: 2))
        #expect(HealthConfig(test: ["NONE"]).merged(over: image).command == nil)
        #expect(HealthConfig(test: ["CMD-SHELL", "a b"]).command == ["/bin/sh", "-c", "a b"])
        #expect(HealthConfig(test: ["CMD", "a", "b"]).command == ["a", "b"])
    }

    @Test func valuesDockerRefuses() {
        #expect(HealthConfig(interval: 1).validate() == "Interval in Healthcheck cannot be less than 1ms")
        #expect(HealthConfig(timeout: 999_999).validate() == "Timeout in Healthcheck cannot be less than 1ms")
        #expect(HealthConfig(startPeriod: 1).validate() == "StartPeriod in Healthcheck cannot be less than 1ms")
        #expect(HealthConfig(retries: -1).validate() == "Retries in Healthcheck cannot be negative")
        #expect(HealthConfig(interval: 1_000_000, retries: 0).validate() == nil)
        #expect(HealthConfig(interval: 1).validate(prefix: "ContainerSpec: ", name: "HealthConfig")
                == "ContainerSpec: Interval in HealthConfig cannot be less than 1ms")
    }

    @Test func durationsAreWordedAsGoWordsThem() {
        #expect(GoDuration.text(.seconds(30)) == "30s")
        #expect(GoDuration.text(.milliseconds(300)) == "300ms")
        #expect(GoDuration.text(.milliseconds(1500)) == "1.5s")
        #expect(GoDuration.text(.seconds(90)) == "1m30s")
        #expect(GoDuration.text(.seconds(3600)) == "1h0m0s")
        #expect(GoDuration.text(.nanoseconds(1)) == "1ns")
    }
}
