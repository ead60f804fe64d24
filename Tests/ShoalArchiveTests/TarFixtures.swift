import Foundation
import ShoalArchive
import ShoalCore
import ShoalTestSupport

/// Builds hostile and ordinary tarballs entry by entry (libarchive's writer keeps names exactly as given).
enum TarFixture {
    enum Item {
        case file(String, String, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0)
        case dir(String, mode: UInt32 = 0o755)
        case symlink(String, to: String)
        case hardlink(String, to: String)
        case charDevice(String, major: UInt32, minor: UInt32)
        case fifo(String)
        case fileWithXattr(String, String, xattr: String, value: String)
        case big(String, bytes: Int)
    }

    static let mtime: Int64 = 1_600_000_000

    @discardableResult
    static func write(_ items: [Item], to path: String, compression: ArchiveWriter.Compression = .none) throws -> Digest {
        let writer = try ArchiveWriter(path: path, compression: compression)
        for item in items {
            switch item {
            case let .file(name, text, mode, uid, gid):
                let bytes = Array(text.utf8)
                try writer.write(ArchiveEntry(path: name, kind: .regular, size: Int64(bytes.count), permissions: mode,
                                              uid: uid, gid: gid, modificationTime: (mtime, 0))) { emit in
                    try bytes.withUnsafeBytes { try emit($0) }
                }
            case let .fileWithXattr(name, text, xattr, value):
                let bytes = Array(text.utf8)
                try writer.write(ArchiveEntry(path: name, kind: .regular, size: Int64(bytes.count),
                                              modificationTime: (mtime, 0), xattrs: [xattr: Array(value.utf8)])) { emit in
                    try bytes.withUnsafeBytes { try emit($0) }
                }
            case let .big(name, count):
                let bytes = [UInt8](repeating: 0x5a, count: count)
                try writer.write(path: name, contents: bytes, modificationTime: mtime)
            case let .dir(name, mode):
                try writer.write(ArchiveEntry(path: name, kind: .directory, permissions: mode, modificationTime: (mtime, 0)))
            case let .symlink(name, target):
                try writer.write(ArchiveEntry(path: name, kind: .symlink, permissions: 0o777, modificationTime: (mtime, 0),
                                              linkTarget: target))
            case let .hardlink(name, target):
                try writer.write(ArchiveEntry(path: name, kind: .hardlink, modificationTime: (mtime, 0), linkTarget: target))
            case let .charDevice(name, major, minor):
                try writer.write(ArchiveEntry(path: name, kind: .characterDevice, permissions: 0o666,
                                              modificationTime: (mtime, 0), deviceMajor: major, deviceMinor: minor))
            case let .fifo(name):
                try writer.write(ArchiveEntry(path: name, kind: .fifo, permissions: 0o600, modificationTime: (mtime, 0)))
            }
        }
        try writer.finish()
        return try DecompressedReader.digest(ofFileAt: path).digest
    }
}

/// What a directory holds, recursively, without following symlinks (to prove nothing was left behind).
func treeListing(_ path: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
    return (enumerator.allObjects as? [String] ?? []).sorted()
}

func lstatInfo(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

func xattr(_ path: String, _ name: String) async throws -> String {
    try await Shell.sh("python3 -c 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())' '\(path)' '\(name)'")
}
