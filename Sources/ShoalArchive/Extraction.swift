import CLibArchive
import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Unpacks tar archives into directories without ever writing outside them.
///
/// Safety comes in two rings. Our own: names are cleaned and refused when they climb out, hard-link targets too,
/// and every parent directory of an entry is checked not to be a symlink. libarchive's: SECURE_SYMLINKS and
/// SECURE_NODOTDOT on the disk writer, given absolute paths below a root whose own path holds no symlink.
public enum Extraction {
    public struct Options: Sendable {
        /// Turn OCI/AUFS whiteouts into overlayfs ones (image layers); off for `docker cp`.
        public var overlayWhiteouts: Bool
        /// The expected sha256 of the decompressed stream (a layer's diffID).
        public var expectedDiffID: Digest?
        /// Keep uid/gid from the archive (we run as root); off writes files as the caller.
        public var preserveOwnership: Bool
        /// With `preserveOwnership`, the archive's ids are a user namespace's and stored as the host ids they map
        /// to (layers of a daemon with `--userns-remap`); an id outside its ranges fails the extraction.
        public var idMapping: IDMapping?
        /// Every entry owned by these host ids instead (`docker cp` into a remapped container: its root).
        public var owner: (uid: UInt32, gid: UInt32)?

        public init(overlayWhiteouts: Bool = true, expectedDiffID: Digest? = nil, preserveOwnership: Bool = true,
                    idMapping: IDMapping? = nil, owner: (uid: UInt32, gid: UInt32)? = nil) {
            self.overlayWhiteouts = overlayWhiteouts
            self.expectedDiffID = expectedDiffID
            self.preserveOwnership = preserveOwnership
            self.idMapping = idMapping
            self.owner = owner
        }
    }

    public struct Result: Sendable {
        /// sha256 of the decompressed stream.
        public var diffID: Digest
        /// Size in bytes of the decompressed stream.
        public var uncompressedSize: Int64
    }

    static let overlayOpaqueXattr = "trusted.overlay.opaque"

    /// Unpacks an image layer (or any tar) into `destination`, which must not exist yet. Everything is written into
    /// a temporary directory beside it and renamed into place only when the whole archive was read, its digest
    /// matched and every entry was written; on any error the temporary directory is removed.
    @discardableResult
    public static func extractLayer(archiveAt path: String, to destination: String,
                                    options: Options = Options()) throws -> Result {
        try extractLayer(reader: ArchiveReader(path: path), to: destination, options: options)
    }

    @discardableResult
    public static func extractLayer(fileDescriptor: Int32, to destination: String,
                                    options: Options = Options()) throws -> Result {
        try extractLayer(reader: ArchiveReader(fileDescriptor: fileDescriptor), to: destination, options: options)
    }

    static func extractLayer(reader: @autoclosure () throws -> ArchiveReader, to destination: String,
                             options: Options) throws -> Result {
        let url = URL(fileURLWithPath: destination)
        let parent = try realPath(url.deletingLastPathComponent().path)
        let name = url.lastPathComponent
        let final = parent + "/" + name
        var info = stat()
        guard lstat(final, &info) != 0 else { throw ShoalError.conflict("extraction target already exists: \(final)") }
        let temporary = parent + "/." + name + ".extract-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        guard mkdir(temporary, 0o755) == 0 else {
            throw ShoalError(errno == ENOSPC ? .unavailable : .internalError,
                             "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        do {
            let result = try unpack(reader: reader(), into: temporary, options: options)
            guard rename(temporary, final) == 0 else {
                throw ShoalError.internalError("cannot rename \(temporary) to \(final): \(String(cString: strerror(errno)))")
            }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Unpacks a tar into an existing directory (the `docker cp` direction). Entries are checked as for layers;
    /// what was written before an error stays, as with Docker.
    @discardableResult
    public static func extract(archiveAt path: String, into directory: String,
                               options: Options = Options(overlayWhiteouts: false)) throws -> Result {
        try unpack(reader: ArchiveReader(path: path), into: realPath(directory), options: options)
    }

    @discardableResult
    public static func extract(fileDescriptor: Int32, into directory: String,
                               options: Options = Options(overlayWhiteouts: false)) throws -> Result {
        try unpack(reader: ArchiveReader(fileDescriptor: fileDescriptor), into: realPath(directory), options: options)
    }

    /// The canonical path (no symlinks): libarchive's symlink check walks the whole absolute path.
    static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else {
            throw ShoalError.notFound("no such directory: \(path)")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func unpack(reader: ArchiveReader, into root: String, options: Options) throws -> Result {
        guard let disk = archive_write_disk_new() else { throw ShoalError.internalError("archive_write_disk_new failed") }
        defer { archive_write_free(disk) }
        var flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
            | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        if options.preserveOwnership || options.owner != nil { flags |= ARCHIVE_EXTRACT_OWNER }
        archive_write_disk_set_options(disk, flags)

        while let entry = try reader.nextRaw() {
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            guard let relative = TarPath.clean(name) else {
                throw ShoalError.invalidArgument("layer entry escapes the layer root: \(name)")
            }
            let type = UInt32(archive_entry_filetype(entry)) & FileType.mask
            if type == FileType.socket { continue }  // sockets are not archive content (Docker skips them too)
            if relative.isEmpty {
                guard type == FileType.directory else {
                    throw ShoalError.invalidArgument("layer entry replaces the layer root: \(name)")
                }
            }
            try TarPath.checkParents(of: relative, inRoot: root, entry: name)
            try setOwner(entry, options)
            let base = relative.split(separator: "/").last.map(String.init) ?? ""
            let parentRelative = relative.split(separator: "/").dropLast().joined(separator: "/")

            if options.overlayWhiteouts, base.hasPrefix(".wh.") {
                if base == ".wh..wh..opq" {
                    try markOpaque(parentRelative, inRoot: root, entry: name)
                } else if !base.hasPrefix(".wh..wh.") {
                    // `.wh.NAME` hides NAME of lower layers: overlayfs spells that as a 0:0 character device.
                    let hidden = String(base.dropFirst(4))
                    archive_entry_set_pathname(entry, root + "/" + join(parentRelative, hidden))
                    archive_entry_set_filetype(entry, FileType.character)
                    archive_entry_set_perm(entry, 0)
                    archive_entry_set_rdev(entry, 0)
                    archive_entry_set_size(entry, 0)
                    archive_entry_set_hardlink(entry, nil)
                    archive_entry_set_symlink(entry, nil)
                    try write(entry, name: name, disk: disk, reader: reader, withData: false)
                }
                continue  // other `.wh..wh.` names are AUFS bookkeeping
            }

            if let link = archive_entry_hardlink(entry).map({ String(cString: $0) }) {
                guard let target = TarPath.clean(link), !target.isEmpty else {
                    throw ShoalError.invalidArgument("hard link target escapes the layer root: \(name) -> \(link)")
                }
                try TarPath.checkParents(of: target, inRoot: root, entry: name)
                var info = stat()
                if lstat(root + "/" + target, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    throw ShoalError.invalidArgument("hard link to a directory: \(name) -> \(link)")
                }
                archive_entry_set_hardlink(entry, root + "/" + target)
            }
            stripOverlayXattrs(entry)
            archive_entry_set_pathname(entry, relative.isEmpty ? root : root + "/" + relative)
            try write(entry, name: name, disk: disk, reader: reader, withData: true)
        }
        // Directory times and modes are applied on close (libarchive defers them until their contents exist).
        guard archive_write_close(disk) == ARCHIVE_OK else {
            throw ArchiveFailure.error(disk, "cannot finish extraction")
        }
        let (digest, size) = try reader.finish()
        if let expected = options.expectedDiffID, expected != digest {
            throw ShoalError.invalidArgument("layer digest mismatch: expected \(expected), got \(digest)")
        }
        return Result(diffID: digest, uncompressedSize: size)
    }

    /// The entry's owner on the host: the one given, or the archive's through the mapping.
    private static func setOwner(_ entry: OpaquePointer, _ options: Options) throws {
        let owner: (uid: UInt32, gid: UInt32)
        if let given = options.owner {
            owner = given
        } else if options.preserveOwnership, let mapping = options.idMapping {
            owner = try mapping.hostOwner(uid: UInt32(truncatingIfNeeded: archive_entry_uid(entry)),
                                          gid: UInt32(truncatingIfNeeded: archive_entry_gid(entry)))
        } else {
            return
        }
        archive_entry_set_uid(entry, la_int64_t(owner.uid))
        archive_entry_set_gid(entry, la_int64_t(owner.gid))
    }

    private static func join(_ parent: String, _ child: String) -> String {
        parent.isEmpty ? child : parent + "/" + child
    }

    private static func write(_ entry: OpaquePointer, name: String, disk: OpaquePointer, reader: ArchiveReader,
                              withData: Bool) throws {
        // Strict: libarchive reports a failed write(2) (ENOSPC) or an unsettable attribute as a mere warning.
        guard archive_write_header(disk, entry) == ARCHIVE_OK else {
            throw ArchiveFailure.error(disk, "cannot extract \(name)")
        }
        if withData, archive_entry_size(entry) > 0 {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while true {
                let status = archive_read_data_block(reader.archive, &block, &size, &offset)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN else { throw reader.failure("cannot read \(name)") }
                guard archive_write_data_block(disk, block, size, offset) >= ARCHIVE_OK else {
                    throw ArchiveFailure.error(disk, "cannot write \(name)")
                }
            }
        }
        guard archive_write_finish_entry(disk) == ARCHIVE_OK else {
            throw ArchiveFailure.error(disk, "cannot write \(name)")
        }
    }

    /// overlayfs reads `trusted.overlay.*` as instructions (opaque, redirect, metacopy): an image may not set them.
    private static func stripOverlayXattrs(_ entry: OpaquePointer) {
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var kept: [(String, [UInt8])] = []
        var dropped = false
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            if key.hasPrefix("trusted.overlay.") {
                dropped = true
                continue
            }
            kept.append((key, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
        }
        guard dropped else { return }
        archive_entry_xattr_clear(entry)
        for (key, bytes) in kept {
            bytes.withUnsafeBytes { archive_entry_xattr_add_entry(entry, key, $0.baseAddress, $0.count) }
        }
    }

    /// Sets `trusted.overlay.opaque=y` on a directory, opening each component with O_NOFOLLOW from the root so no
    /// symlink is ever followed; missing directories are created (0755) as a tar reader would.
    private static func markOpaque(_ relative: String, inRoot root: String, entry: String) throws {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ShoalError.internalError("cannot open \(root)") }
        defer { close(fd) }
        for part in relative.split(separator: "/").map(String.init) {
            var next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0, errno == ENOENT {
                guard mkdirat(fd, part, 0o755) == 0 else {
                    throw ShoalError(errno == ENOSPC ? .unavailable : .internalError,
                                     "cannot create directory for \(entry): \(String(cString: strerror(errno)))")
                }
                next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard next >= 0 else {
                throw ShoalError.invalidArgument("opaque whiteout is not below a plain directory: \(entry)")
            }
            close(fd)
            fd = next
        }
        guard fsetxattr(fd, overlayOpaqueXattr, "y", 1, 0) == 0 else {
            throw ShoalError(errno == ENOSPC ? .unavailable : .internalError,
                             "cannot mark \(relative) opaque: \(String(cString: strerror(errno)))")
        }
    }
}
