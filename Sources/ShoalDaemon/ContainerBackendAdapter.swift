import Foundation
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalImages
import ShoalModel
import ShoalOCI

/// Adapts the engine's services to the backends the Docker API declares. Conversions only; no decisions.
struct ContainerBackendAdapter: ContainerBackend {
    let containers: ContainerService

    func createContainer(name: String?, spec: ContainerSpec) async throws -> (id: String, warnings: [String]) {
        try await containers.create(name: name, spec: spec)
    }
    func container(_ ref: String) async throws -> ContainerRecord { try await containers.container(ref) }
    func listContainers() async throws -> [ContainerRecord] { await containers.list() }
    func startContainer(_ ref: String) async throws { try await containers.start(ref) }
    func stopContainer(_ ref: String, timeout: Int?, signal: String?) async throws {
        try await containers.stop(ref, timeout: timeout, signal: signal)
    }
    func restartContainer(_ ref: String, timeout: Int?, signal: String?) async throws {
        try await containers.restart(ref, timeout: timeout, signal: signal)
    }
    func killContainer(_ ref: String, signal: String?) async throws { try await containers.kill(ref, signal: signal) }
    func pauseContainer(_ ref: String) async throws { try await containers.pause(ref) }
    func unpauseContainer(_ ref: String) async throws { try await containers.unpause(ref) }
    func removeContainer(_ ref: String, force: Bool, removeVolumes: Bool) async throws {
        try await containers.remove(ref, force: force, removeVolumes: removeVolumes)
    }
    func renameContainer(_ ref: String, to newName: String) async throws {
        try await containers.rename(ref, to: newName)
    }
    func waitContainer(_ ref: String, condition: WaitCondition) async throws -> @Sendable () async -> WaitResult {
        try await containers.wait(ref, condition: condition)
    }
    func attachContainer(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool, logs: Bool, stream: Bool)
        async throws -> any StreamSession {
        try await containers.attach(ref, stdin: stdin, stdout: stdout, stderr: stderr)
    }
    func resizeContainer(_ ref: String, height: Int, width: Int) async throws {
        try await containers.resize(ref, height: height, width: width)
    }
    func containerLogs(_ ref: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error> {
        try await containers.logs(ref, options: options, joinLines: true)
    }
    func containerTop(_ ref: String, psArgs: String?) async throws -> ProcessTable { try await containers.top(ref) }
    func containerChanges(_ ref: String) async throws -> [FilesystemChange] { try await containers.changes(ref) }
    func updateContainer(_ ref: String, _ update: ContainerUpdate) async throws -> [String] {
        try await containers.update(ref, update)
    }
    func commitContainer(_ ref: String, reference: String?, comment: String, author: String, changes: [String],
                         pause: Bool) async throws -> String {
        try await containers.commit(ref, options: .init(reference: reference, comment: comment, author: author,
                                                        changes: changes, pause: pause))
    }
    func containerStats(_ ref: String) async throws -> ContainerStats { try await containers.stats(ref) }
    func pruneContainers(labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64) {
        try await containers.prune(labels: labels)
    }
    func createExec(_ ref: String, spec: ExecSpec) async throws -> String {
        try await containers.createExec(ref, spec: spec)
    }
    func startExec(_ id: String, detach: Bool) async throws -> (any StreamSession)? {
        try await containers.startExec(id, detach: detach)
    }
    func exec(_ id: String) async throws -> ExecRecord { try await containers.exec(id) }
    func resizeExec(_ id: String, height: Int, width: Int) async throws {
        try await containers.resizeExec(id, height: height, width: width)
    }
    func archive(_ ref: String, path: String, to destination: String) async throws -> PathStat {
        PathStat(try await containers.archivePath(ref, path: path, to: destination))
    }
    func statPath(_ ref: String, path: String) async throws -> PathStat {
        PathStat(try await containers.statPath(ref, path: path))
    }
    func extract(_ ref: String, path: String, from source: String, noOverwriteDirNonDir: Bool) async throws {
        try await containers.extractArchive(ref, path: path, from: source, noOverwriteDirNonDir: noOverwriteDirNonDir)
    }
}

extension PathStat {
    init(_ stat: ContainerPathStat) {
        self.init(name: stat.name, size: stat.size, mode: stat.mode, mtime: stat.mtime, linkTarget: stat.linkTarget)
    }
}
