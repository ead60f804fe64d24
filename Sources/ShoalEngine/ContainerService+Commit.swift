import Foundation
import ShoalArchive
import ShoalCore
import ShoalImages
import ShoalModel
import ShoalOCI
import ShoalOS

/// `docker commit`: a container's changes (its overlay upper directory, as a layer tar with whiteouts) become an
/// image on top of the container's own, with the container's run defaults and the `--change` instructions.
extension ContainerService {
    public struct CommitOptions: Sendable {
        public var reference: String?
        public var comment: String
        public var author: String
        /// Dockerfile instructions (`--change`), applied to the container's configuration.
        public var changes: [String]
        /// Pause the container while its layer is read (Docker's default).
        public var pause: Bool

        public init(reference: String? = nil, comment: String = "", author: String = "", changes: [String] = [],
                    pause: Bool = true) {
            self.reference = reference
            self.comment = comment
            self.author = author
            self.changes = changes
            self.pause = pause
        }
    }

    /// The new image's ID.
    public func commit(_ ref: String, options: CommitOptions) async throws -> String {
        let record = try resolve(ref)
        let config = try ImageChanges.apply(options.changes, to: Self.runDefaults(of: record))
        let paused = options.pause && record.state.status == .running
        if paused { try await pause(record.id) }
        let tar = paths.containerDirectory(record.id) + "/commit-" + Identifier.random().prefix(12) + ".tar"
        defer { try? FileManager.default.removeItem(atPath: tar) }
        do {
            let upper = paths.upperDirectory(record.id)
            let lowers = try await images.layerDirectories(for: record.imageID)
            let mapping = userNamespace(record.spec.host)
            try await runBlocking {
                // The runtime's mount targets are Docker's init layer, never the container's changes.
                let skip = Set(LayerChanges.mountTargets(absentFrom: lowers).map { String($0.dropFirst()) })
                let writer = try ArchiveWriter(path: tar)
                writer.idMapping = mapping
                if FileManager.default.fileExists(atPath: upper) {
                    try writer.addLayer(upperDirectory: upper, skip: skip)
                }
                try writer.finish()
            }
        } catch {
            if paused { try? await unpause(record.id) }
            throw error
        }
        if paused { try await unpause(record.id) }
        let image = try await images.commit(parent: record.imageID, layerTar: tar, config: config,
                                            reference: options.reference, comment: options.comment,
                                            author: options.author, container: record.id)
        return image.id.description
    }

    /// The container's run defaults as an image keeps them (Docker commits the container's Config).
    static func runDefaults(of record: ContainerRecord) -> ContainerConfig {
        var config = ContainerConfig(
            user: record.user.isEmpty ? nil : record.user,
            exposedPorts: record.exposedPorts.isEmpty ? nil
                : Dictionary(record.exposedPorts.map { ($0, EmptyObject()) }, uniquingKeysWith: { first, _ in first }),
            env: record.env.isEmpty ? nil : record.env,
            cmd: record.cmd.isEmpty ? nil : record.cmd,
            healthcheck: record.healthcheck.map {
                Healthcheck(test: $0.test, interval: $0.interval, timeout: $0.timeout, startPeriod: $0.startPeriod,
                            retries: $0.retries)
            },
            volumes: record.spec.volumes.isEmpty ? nil
                : Dictionary(record.spec.volumes.map { ($0, EmptyObject()) }, uniquingKeysWith: { first, _ in first }),
            workingDir: record.workingDir.isEmpty ? nil : record.workingDir,
            entrypoint: record.entrypoint.isEmpty ? nil : record.entrypoint,
            labels: record.labels.isEmpty ? nil : record.labels,
            stopSignal: record.stopSignal.isEmpty ? nil : record.stopSignal)
        config.hostname = record.hostname.isEmpty ? nil : record.hostname
        config.tty = record.spec.tty
        return config
    }
}
