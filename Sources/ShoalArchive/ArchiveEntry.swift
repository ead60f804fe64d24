import CLibArchive
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// One tar entry's header, as a value (no libarchive pointers escape this module).
public struct ArchiveEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket
    }

    public var path: String
    public var kind: Kind
    public var size: Int64
    /// Permission bits including setuid/setgid/sticky (no file type bits).
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Seconds and nanoseconds since the epoch.
    public var modificationTime: (seconds: Int64, nanoseconds: Int64)
    /// Symlink target or hard link target.
    public var linkTarget: String?
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    public var xattrs: [String: [UInt8]]

    public init(path: String, kind: Kind, size: Int64 = 0, permissions: UInt32 = 0o644, uid: UInt32 = 0,
                gid: UInt32 = 0, modificationTime: (seconds: Int64, nanoseconds: Int64) = (0, 0),
                linkTarget: String? = nil, deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0,
                xattrs: [String: [UInt8]] = [:]) {
        self.path = path
        self.kind = kind
        self.size = size
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.modificationTime = modificationTime
        self.linkTarget = linkTarget
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
    }

    public static func == (lhs: ArchiveEntry, rhs: ArchiveEntry) -> Bool {
        lhs.path == rhs.path && lhs.kind == rhs.kind && lhs.size == rhs.size && lhs.permissions == rhs.permissions
            && lhs.uid == rhs.uid && lhs.gid == rhs.gid && lhs.modificationTime == rhs.modificationTime
            && lhs.linkTarget == rhs.linkTarget && lhs.deviceMajor == rhs.deviceMajor
            && lhs.deviceMinor == rhs.deviceMinor && lhs.xattrs == rhs.xattrs
    }
}

/// File type bits as tar and stat(2) use them (libarchive's AE_IF* macros are casts Swift cannot import).
enum FileType {
    static let mask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symlink: UInt32 = 0o120000
    static let character: UInt32 = 0o020000
    static let block: UInt32 = 0o060000
    static let fifo: UInt32 = 0o010000
    static let socket: UInt32 = 0o140000
}

extension ArchiveEntry {
    /// Reads a libarchive entry into a value.
    init(_ entry: OpaquePointer) {
        let type = UInt32(archive_entry_filetype(entry))
        let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }
        let kind: Kind
        if hardlink != nil {
            kind = .hardlink
        } else {
            switch type & FileType.mask {
            case FileType.directory: kind = .directory
            case FileType.symlink: kind = .symlink
            case FileType.character: kind = .characterDevice
            case FileType.block: kind = .blockDevice
            case FileType.fifo: kind = .fifo
            case FileType.socket: kind = .socket
            default: kind = .regular
            }
        }
        var xattrs: [String: [UInt8]] = [:]
        if archive_entry_xattr_reset(entry) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
                guard let name else { continue }
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                xattrs[String(cString: name)] = bytes
            }
        }
        self.init(
            path: archive_entry_pathname(entry).map { String(cString: $0) } ?? "",
            kind: kind,
            size: archive_entry_size(entry),
            permissions: UInt32(archive_entry_perm(entry)) & 0o7777,
            uid: UInt32(truncatingIfNeeded: archive_entry_uid(entry)),
            gid: UInt32(truncatingIfNeeded: archive_entry_gid(entry)),
            modificationTime: (Int64(archive_entry_mtime(entry)), Int64(archive_entry_mtime_nsec(entry))),
            linkTarget: hardlink ?? archive_entry_symlink(entry).map { String(cString: $0) },
            deviceMajor: UInt32(archive_entry_rdevmajor(entry)),
            deviceMinor: UInt32(archive_entry_rdevminor(entry)),
            xattrs: xattrs
        )
    }

    /// Fills a fresh libarchive entry from this value.
    func fill(_ entry: OpaquePointer) {
        archive_entry_set_pathname(entry, path)
        let type: UInt32
        switch kind {
        case .regular, .hardlink: type = FileType.regular
        case .directory: type = FileType.directory
        case .symlink: type = FileType.symlink
        case .characterDevice: type = FileType.character
        case .blockDevice: type = FileType.block
        case .fifo: type = FileType.fifo
        case .socket: type = FileType.socket
        }
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(permissions & 0o7777))
        archive_entry_set_uid(entry, la_int64_t(uid))
        archive_entry_set_gid(entry, la_int64_t(gid))
        archive_entry_set_mtime(entry, time_t(modificationTime.seconds), Int(modificationTime.nanoseconds))
        archive_entry_set_size(entry, kind == .regular ? size : 0)
        switch kind {
        case .symlink: archive_entry_set_symlink(entry, linkTarget ?? "")
        case .hardlink: archive_entry_set_hardlink(entry, linkTarget ?? "")
        case .characterDevice, .blockDevice:
            archive_entry_set_rdevmajor(entry, dev_t(deviceMajor))
            archive_entry_set_rdevminor(entry, dev_t(deviceMinor))
        default: break
        }
        for (name, value) in xattrs.sorted(by: { $0.key < $1.key }) {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, name, $0.baseAddress, $0.count) }
        }
    }
}
