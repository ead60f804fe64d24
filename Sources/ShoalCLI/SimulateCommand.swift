import ArgumentParser
import Foundation
import Logging
import ShoalSimulation

/// `shoal simulate` (hidden): the control plane's scale run (scripts/bench.py --only control-plane). A real leader
/// in this process, simulated nodes in child processes of this binary (`shoal simulate-nodes`), one per group;
/// prints each step's figures, then the report as one JSON line.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Run the control plane's scale simulation.", shouldDisplay: false)

    @Option(help: "Simulated nodes.") var simNodes = 1000
    @Option(help: "Replicas over every service.") var simTasks = 100_000
    @Option(help: "Services.") var simServices = 100
    @Option(help: "Services scaled up by half (and as many scaled down).") var simScaled = 10
    @Option(help: "Services given a rolling update.") var simUpdated = 10
    @Option(help: "Rolling update parallelism.") var simParallelism: UInt64 = 100
    @Option(help: "Nodes lost at the end.") var simLost = 100
    @Option(help: "Simulated nodes per process.") var simNodesPerProcess = 500
    @Option(help: "Heartbeat period in seconds.") var simHeartbeat: Double = 5
    @Option(help: "Seconds a step may take.") var simStepTimeout: Double = 900
    @Option(help: "The leader's control port (etcd takes the next two).") var simPort = 4577
    @Option(help: "Scratch directory (deleted at the end).") var root: String?
    @Flag(help: "Run the simulated nodes in this process.") var inProcess = false
    @Option(help: "The leader's log level (debug shows where each pipeline round's time goes).")
    var logLevel = "warning"

    func run() async throws {
        var parameters = ScenarioParameters()
        parameters.nodes = simNodes
        parameters.tasks = simTasks
        parameters.services = simServices
        parameters.scaledServices = simScaled
        parameters.updatedServices = simUpdated
        parameters.updateParallelism = simParallelism
        parameters.lostNodes = simLost
        parameters.nodesPerGroup = simNodesPerProcess
        parameters.heartbeatPeriod = simHeartbeat
        parameters.stepTimeout = simStepTimeout
        parameters.controlPort = simPort
        let root = self.root ?? "/tmp/shoal-sim-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var logger = Logger(label: "shoal.sim")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let host: any NodeHost = inProcess ? InProcessNodeHost(root: root + "/nodes", logger: logger)
            : ChildProcessNodeHost(executable: Self.executable, root: root)
        let scenario = Scenario(parameters: parameters, root: root, host: host, logger: logger, say: Self.say)
        // Ctrl-C or a TERM cancels the run: the scenario then stops its nodes and its leader (and its etcd member)
        // before this process ends.
        let run = Task { try await scenario.run() }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { run.cancel() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let report = try await run.value
        for line in report.summary { Self.say(line) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        Self.say("REPORT " + String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// A line on standard output at once (unbuffered: the bench reads it as it comes).
    @Sendable static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// This binary (its children run `simulate-nodes`).
    static var executable: String { Shoal.executable }
}

/// `shoal simulate-nodes` (hidden): one group of simulated nodes, joined to `--manager`, running until killed (or
/// until its parent, the simulation, is gone).
struct SimulateNodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-nodes", abstract: "Run simulated nodes for `shoal simulate`.", shouldDisplay: false)

    @Option(help: "The manager's control address (ip:port).") var manager: String
    @Option(help: "The worker join token.") var token: String
    @Option(help: "Their state's directory.") var root: String
    @Option(help: "Their hostnames, comma-separated.") var hostnames: String

    func run() async throws {
        let parent = getppid()
        var logger = Logger(label: "shoal.sim.nodes")
        logger.logLevel = .warning
        let nodes = SimulatedNodes(root: root, logger: logger)
        let names = hostnames.split(separator: ",").map(String.init)
        let joined = ContinuousClock.now
        try await nodes.join(names, manager: manager, token: token)
        SimulateCommand.say("joined \(names.count) nodes in \(ContinuousClock.now - joined)")
        while getppid() == parent { try await Task.sleep(for: .seconds(1)) }
        await nodes.shutdown()
    }
}
