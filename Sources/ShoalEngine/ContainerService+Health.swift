import Foundation
import ShoalCore
import ShoalModel
import ShoalOCI
import ShoalRuntime

extension ContainerService {
    // MARK: health checks

    /// A running container found by a restarted daemon: its checks start over as after a start (Docker's restore
    /// calls initHealthMonitor too).
    func restartHealthMonitor(_ id: String) {
        guard var record = records[id], record.healthcheck?.command != nil else { return }
        startHealthMonitor(&record)
        try? save(record)
    }

    /// A started (or restored) container with a health check: its health starts over (`starting`, no failures,
    /// the log kept) and a loop runs the check every interval while it runs (Docker's initHealthMonitor).
    func startHealthMonitor(_ record: inout ContainerRecord) {
        stopHealthMonitor(record.id)
        guard let config = record.healthcheck, let command = config.command else { return }
        var health = record.state.health ?? HealthState()
        health.status = .starting
        health.failingStreak = 0
        record.state.health = health
        resumeHealthMonitor(record.id, config: config, command: command)
    }

    /// The check loop of an unpaused container, with its health as it is.
    func resumeHealthMonitor(_ id: String) {
        guard let record = records[id], let config = record.healthcheck, let command = config.command else { return }
        if record.state.health == nil {
            var record = record
            record.state.health = HealthState()
            try? save(record)
        }
        resumeHealthMonitor(id, config: config, command: command)
    }

    private func resumeHealthMonitor(_ id: String, config: HealthConfig, command: [String]) {
        healthMonitors[id]?.cancel()
        let runtime = self.runtime
        let interval = Duration.nanoseconds(config.interval > 0 ? config.interval : HealthConfig.defaultInterval)
        let timeout = Duration.nanoseconds(config.timeout > 0 ? config.timeout : HealthConfig.defaultTimeout)
        // Detached: the loop holds no actor while it sleeps or a check runs; cancelling it (the container stopped
        // or paused) kills a check in progress, whose result is then dropped.
        healthMonitors[id] = Task.detached { [self] in
            // As Docker: the first check runs one interval after the start, each next one an interval after the
            // previous one ended.
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let probe = await healthProbeStarting(id, command: command) else { return }
                let result = await Self.runHealthProbe(probe, runtime: runtime, timeout: timeout)
                guard !Task.isCancelled else { return }
                await healthProbeEnded(id, execID: probe.execID, result: result)
            }
        }
    }

    /// The check loop ends (the container stopped or paused); its health stays as last seen.
    func stopHealthMonitor(_ id: String) {
        healthMonitors.removeValue(forKey: id)?.cancel()
    }

    struct HealthProbe: Sendable {
        var containerID: String
        var execID: String
        var command: [String]
        var start: Date
    }

    /// A check is about to run: announced as Docker announces one (an exec of the check's command).
    private func healthProbeStarting(_ id: String, command: [String]) -> HealthProbe? {
        guard let record = records[id], record.state.status == .running, healthMonitors[id] != nil else { return nil }
        let execID = Identifier.random()
        let text = command.joined(separator: " ")
        publish(record, "exec_create: " + text, extra: ["execID": execID])
        publish(record, "exec_start: " + text, extra: ["execID": execID])
        return HealthProbe(containerID: id, execID: execID, command: command, start: Date())
    }

    /// Records a check's result unless the container stopped meanwhile; a change of status is an event
    /// (`health_status: healthy|unhealthy`).
    private func healthProbeEnded(_ id: String, execID: String, result: HealthResult) {
        guard var record = records[id] else { return }
        publish(record, "exec_die", extra: ["execID": execID, "exitCode": String(result.exitCode)])
        guard record.state.status == .running, healthMonitors[id] != nil, let config = record.healthcheck,
              var health = record.state.health else { return }
        let changed = health.record(result, config: config, startedAt: record.state.startedAt ?? result.start)
        record.state.health = health
        try? save(record)
        if let changed { publish(record, "health_status: " + changed.rawValue) }
    }

    /// Runs one check in the container as `docker exec` runs a process (conmon + `runc exec`), awaited without
    /// holding a thread. A check that outlives `timeout` is killed and counts as failed (-1), as is one that
    /// cannot start (its error as the output). Output of stdout and stderr together, cut at Docker's 4096 bytes.
    static func runHealthProbe(_ probe: HealthProbe, runtime: ConmonRuntime, timeout: Duration) async
        -> HealthResult {
        let session: ExecSession
        do {
            let process = try runtime.execProcess(id: probe.containerID, args: probe.command)
            session = try await runtime.exec(id: probe.containerID, process: process, terminal: false, stdin: false)
        } catch {
            let text = (error as? ShoalError)?.message ?? "\(error)"
            return HealthResult(start: probe.start, end: Date(), exitCode: -1, output: text)
        }
        let finished = Promise<(code: Int32, output: String)>()
        let reader = Task {
            var bytes: [UInt8] = []
            var truncated = false
            if let attach = session.attach {
                do {
                    for try await chunk in attach.output {
                        let room = HealthResult.maxOutput - bytes.count
                        if chunk.bytes.count > room { truncated = true }
                        bytes += chunk.bytes.prefix(max(room, 0))
                    }
                } catch {}
            }
            let code = (try? await session.wait()) ?? -1
            finished.fulfill((code, HealthResult.output(bytes, truncated: truncated)))
        }
        // The loop cancelled (the container stops or pauses): the check is killed, as Docker cancels its probe.
        let done = await withTaskCancellationHandler {
            await finished.value(timeout: timeout)
        } onCancel: {
            session.kill()
        }
        if let done {
            return HealthResult(start: probe.start, end: Date(), exitCode: Int(done.code), output: done.output)
        }
        // Overran: kill it and wait for it to go, so dying checks never pile up.
        session.kill()
        session.attach?.close()
        _ = await reader.value
        return HealthResult(start: probe.start, end: Date(), exitCode: -1,
                            output: "Health check exceeded timeout (\(GoDuration.text(timeout)))")
    }
}

extension Healthcheck {
    /// An image's HEALTHCHECK as a container's check (absent fields: 0, the default).
    public var config: HealthConfig {
        HealthConfig(test: test ?? [], interval: interval ?? 0, timeout: timeout ?? 0, startPeriod: startPeriod ?? 0,
                     retries: retries ?? 0)
    }
}
