import Foundation
import Glibc
import ShoalCore
import ShoalOS
import Synchronization

/// The containers' OCI specs as last decoded for an exec, so that a health check every second does not read and
/// decode config.json each time. A memo, not state: each use compares the file's identity (inode, size, change
/// time) with the one decoded, so a rewritten spec (`docker update`, a new container under the same id) is read
/// again, and the runtime still finds everything from its files after a restart.
final class ExecSpecCache: Sendable {
    private struct Entry {
        var identity: FileIdentity
        var spec: OCISpec
    }

    struct FileIdentity: Equatable {
        var inode: UInt
        var size: Int
        var changedSeconds: Int
        var changedNanoseconds: Int

        static func of(_ path: String) -> FileIdentity? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return FileIdentity(inode: UInt(info.st_ino), size: Int(info.st_size),
                                changedSeconds: info.st_ctim.tv_sec, changedNanoseconds: info.st_ctim.tv_nsec)
        }
    }

    /// At most this many specs are kept (a host's running containers with checks or execs); past it, all go.
    static let capacity = 4096
    private let entries = Mutex<[String: Entry]>([:])

    /// The spec at `path` for container `id`, decoded again only when the file is not the one decoded last.
    func spec(id: String, path: String) throws -> OCISpec {
        let identity = FileIdentity.of(path)
        if let identity, let entry = entries.withLock({ $0[id] }), entry.identity == identity { return entry.spec }
        guard let data = try FileIO.readFile(path) else { throw RuntimeErrors.noSuchContainer(id) }
        let spec = try JSONDecoder().decode(OCISpec.self, from: Data(data))
        if let identity {
            entries.withLock { entries in
                if entries.count >= Self.capacity { entries.removeAll() }
                entries[id] = Entry(identity: identity, spec: spec)
            }
        }
        return spec
    }

    func forget(_ id: String) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}
