import Foundation
import ShoalCore
import ShoalModel

/// Turns `-v`, `--mount`, `--volumes-from` and the image's VOLUMEs into resolved mounts: host paths for binds, volume directories
/// for named and anonymous volumes (created as needed; the caller removes them again if create fails).
struct MountResolver {
    let volumes: VolumeService

    /// `inherited`: the mounts `--volumes-from` brings, used where the container mounts nothing of its own.
    func resolve(spec: ContainerSpec, imageVolumes: [String], inherited: [ResolvedMount] = [],
                 created: inout [String]) async throws -> [ResolvedMount] {
        var mounts: [ResolvedMount] = []
        var destinations = Set<String>()
        func add(_ mount: ResolvedMount) throws {
            let destination = Self.clean(mount.destination)
            guard destinations.insert(destination).inserted else {
                throw ShoalError.invalidArgument("Duplicate mount point: \(destination)")
            }
            var mount = mount
            mount.destination = destination
            mounts.append(mount)
        }

        for bind in spec.host.binds {
            try add(try await parseBind(bind, created: &created))
        }
        for mount in spec.host.mounts {
            switch mount.kind {
            case .bind:
                guard FileManager.default.fileExists(atPath: mount.source) else {
                    throw ShoalError.invalidArgument(
                        "invalid mount config for type \"bind\": bind source path does not exist: \(mount.source)")
                }
                var bind = ResolvedMount(kind: .bind, name: "", source: mount.source, destination: mount.target,
                                         readOnly: mount.readOnly)
                bind.propagation = mount.propagation
                try add(bind)
            case .volume:
                let volume = try await volume(named: mount.source.isEmpty ? nil : mount.source, created: &created)
                try add(ResolvedMount(kind: .volume, name: volume.name, source: volume.mountpoint,
                                      destination: mount.target, readOnly: mount.readOnly, mode: "z",
                                      anonymous: mount.source.isEmpty))
            case .tmpfs:
                try add(ResolvedMount(kind: .tmpfs, name: "", source: "", destination: mount.target,
                                      readOnly: mount.readOnly, tmpfsSize: mount.tmpfsSize, tmpfsMode: mount.tmpfsMode))
            }
        }
        for path in spec.host.tmpfs.keys where destinations.contains(Self.clean(path)) {
            throw ShoalError.invalidArgument("Duplicate mount point: \(Self.clean(path))")
        }
        for mount in inherited where !destinations.contains(Self.clean(mount.destination))
            && spec.host.tmpfs[mount.destination] == nil {
            try add(mount)
        }
        // Image VOLUMEs and `Config.Volumes` get anonymous volumes unless something is mounted there already.
        for path in Set(imageVolumes + spec.volumes).sorted() where !destinations.contains(Self.clean(path))
            && spec.host.tmpfs[path] == nil {
            let volume = try await volume(named: nil, created: &created)
            try add(ResolvedMount(kind: .volume, name: volume.name, source: volume.mountpoint, destination: path,
                                  readOnly: false, anonymous: true))
        }
        return mounts
    }

    /// Docker's `-v` forms: `/dst` (anonymous volume), `name:/dst[:mode]`, `/host:/dst[:mode]`.
    private func parseBind(_ text: String, created: inout [String]) async throws -> ResolvedMount {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw ShoalError.invalidArgument("invalid volume specification: '\(text)'")
        }
        if parts.count == 1 {
            guard parts[0].hasPrefix("/") else {
                throw ShoalError.invalidArgument("invalid volume specification: '\(text)': invalid mount config for type \"volume\": invalid mount path: '\(parts[0])' mount path must be absolute")
            }
            let volume = try await volume(named: nil, created: &created)
            return ResolvedMount(kind: .volume, name: volume.name, source: volume.mountpoint, destination: parts[0],
                                 readOnly: false, anonymous: true)
        }
        let source = parts[0], destination = parts[1]
        guard destination.hasPrefix("/") else {
            throw ShoalError.invalidArgument("invalid volume specification: '\(text)': invalid mount path: '\(destination)' mount path must be absolute")
        }
        var readOnly = false
        var propagation: String?
        let mode = parts.count == 3 ? parts[2] : ""
        for option in mode.split(separator: ",") {
            switch option {
            case "ro": readOnly = true
            case "rw": readOnly = false
            case _ where MountSpec.propagationModes.contains(String(option)):
                // Docker takes one propagation mode at most.
                guard propagation == nil else { throw ShoalError.invalidArgument("invalid mode: \(mode)") }
                propagation = String(option)
            case "z", "Z", "nocopy", "consistent", "cached", "delegated":
                continue
            default:
                throw ShoalError.invalidArgument("invalid mode: \(option)")
            }
        }
        if source.hasPrefix("/") {
            // Docker creates a missing bind source for `-v` (not for `--mount`).
            if !FileManager.default.fileExists(atPath: source) {
                try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            }
            var bind = ResolvedMount(kind: .bind, name: "", source: source, destination: destination,
                                     readOnly: readOnly, mode: mode)
            bind.propagation = propagation
            return bind
        }
        let volume = try await volume(named: source, created: &created)
        return ResolvedMount(kind: .volume, name: volume.name, source: volume.mountpoint, destination: destination,
                             readOnly: readOnly, mode: mode.isEmpty ? "z" : mode)
    }

    private func volume(named name: String?, created: inout [String]) async throws -> VolumeRecord {
        if let name, let existing = try? await volumes.get(name) { return existing }
        let volume = try await volumes.create(name: name, anonymous: name == nil)
        created.append(volume.name)
        return volume
    }

    static func clean(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }
}
