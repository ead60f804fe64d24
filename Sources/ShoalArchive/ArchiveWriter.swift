import CLibArchive
import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a tar stream (pax, so long names, big files and xattrs survive), optionally gzip-compressed. Used by
/// `docker save`, `docker export` and `docker cp` from a container. Not thread-safe: one writer per task.
public final class ArchiveWriter {
    public enum Compression: Sendable { case none, gzip }

    private let archive: OpaquePointer
    private var closed = false
    /// Trees added are a user namespace's files (a daemon with `--userns-remap`): their owners are written as the
    /// container ids they stand for; a file owned by an id outside the ranges fails the archive, as in dockerd.
    public var idMapping: IDMapping?

    public convenience init(path: String, compression: Compression = .none) throws {
        try self.init(compression: compression) { archive_write_open_filename($0, path) }
    }

    /// Writes to `fileDescriptor` without closing it.
    public convenience init(fileDescriptor: Int32, compression: Compression = .none) throws {
        try self.init(compression: compression) { archive_write_open_fd($0, fileDescriptor) }
    }

    private init(compression: Compression, open: (OpaquePointer) -> Int32) throws {
        guard let archive = archive_write_new() else { throw ShoalError.internalError("archive_write_new failed") }
        self.archive = archive
        archive_write_set_format_pax_restricted(archive)
        if compression == .gzip { archive_write_add_filter_gzip(archive) }
        // No padding of the last record beyond the two end blocks, as Go's archive/tar writes it.
        archive_write_set_bytes_in_last_block(archive, 1)
        guard open(archive) == ARCHIVE_OK else {
            throw ArchiveFailure.error(archive, "cannot open archive for writing", code: .internalError)
        }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    /// Writes one entry; `data` streams its contents (regular files only) and must provide exactly `entry.size`
    /// bytes.
    public func write(_ entry: ArchiveEntry,
                      data: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard let raw = archive_entry_new() else { throw ShoalError.internalError("archive_entry_new failed") }
        defer { archive_entry_free(raw) }
        entry.fill(raw)
        try writeHeader(raw, name: entry.path)
        if entry.kind == .regular {
            try data { chunk in try self.writeData(chunk, name: entry.path) }
        }
    }

    /// Writes an entry without data (directories, links, devices, empty files).
    public func write(_ entry: ArchiveEntry) throws {
        try write(entry) { _ in }
    }

    /// Writes a regular file entry with in-memory contents.
    public func write(path: String, contents: [UInt8], permissions: UInt32 = 0o644,
                      modificationTime: Int64 = 0) throws {
        let entry = ArchiveEntry(path: path, kind: .regular, size: Int64(contents.count), permissions: permissions,
                                 modificationTime: (modificationTime, 0))
        try write(entry) { emit in try contents.withUnsafeBytes { try emit($0) } }
    }

    /// Writes a regular file entry whose contents are the file at `source`.
    public func write(path: String, contentsOf source: String, permissions: UInt32 = 0o644,
                      modificationTime: Int64 = 0) throws {
        var info = stat()
        guard stat(source, &info) == 0 else { throw ShoalError.notFound("no such file: \(source)") }
        let entry = ArchiveEntry(path: path, kind: .regular, size: Int64(info.st_size), permissions: permissions,
                                 modificationTime: (modificationTime, 0))
        try write(entry) { emit in try Self.stream(file: source, to: emit) }
    }

    /// Writes a regular file entry whose contents are produced by `stream` (exactly `size` bytes).
    public func write(path: String, size: Int64, permissions: UInt32 = 0o644, modificationTime: Int64 = 0,
                      stream: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let entry = ArchiveEntry(path: path, kind: .regular, size: size, permissions: permissions,
                                 modificationTime: (modificationTime, 0))
        try write(entry, data: stream)
    }

    /// Archives the file or directory tree at `source` under the name `name` ("" or "." for the tree's contents at
    /// the top), never following symlinks; hard links inside the tree stay hard links (`docker export`, `docker cp`).
    /// `dotSlashChildren` names the entries under a "." top `./child`, as Docker's `docker cp CONTAINER:dir/.` does
    /// (the CLI rebases them by replacing the leading ".").
    public func addTree(at source: String, as name: String, dotSlashChildren: Bool = false) throws {
        try addTree(at: source, as: name, dotSlashChildren: dotSlashChildren, layer: nil)
    }

    /// Archives an overlayfs upper directory as an image layer (`docker commit`): its whiteouts (character
    /// devices 0:0) become `.wh.NAME` entries, an opaque directory gets a `.wh..wh..opq` entry, overlayfs's own
    /// `trusted.overlay.*` attributes are left out, and so is every path (relative, without a leading "/") that
    /// `skip` names.
    public func addLayer(upperDirectory source: String, skip: Set<String> = []) throws {
        try addTree(at: source, as: ".", dotSlashChildren: false, layer: LayerMode(skip: skip))
    }

    /// How an upper directory's overlayfs markers become tar whiteouts.
    struct LayerMode {
        var skip: Set<String>
    }

    private func addTree(at source: String, as name: String, dotSlashChildren: Bool, layer: LayerMode?) throws {
        guard let disk = archive_read_disk_new() else { throw ShoalError.internalError("archive_read_disk_new failed") }
        defer { archive_read_free(disk) }
        archive_read_disk_set_symlink_physical(disk)
        guard let resolver = archive_entry_linkresolver_new() else {
            throw ShoalError.internalError("archive_entry_linkresolver_new failed")
        }
        defer { archive_entry_linkresolver_free(resolver) }
        archive_entry_linkresolver_set_strategy(resolver, archive_format(archive))
        let top = TarPath.clean(name) ?? ""
        try addNode(disk: disk, resolver: resolver, source: source, name: top.isEmpty ? "." : top,
                    dotSlash: dotSlashChildren, layer: layer)
    }

    private func addNode(disk: OpaquePointer, resolver: OpaquePointer, source: String, name: String,
                         dotSlash: Bool, layer: LayerMode?) throws {
        if let layer, layer.skip.contains(name) { return }
        guard var entry = archive_entry_new() else { throw ShoalError.internalError("archive_entry_new failed") }
        defer { archive_entry_free(entry) }
        archive_entry_copy_sourcepath(entry, source)
        guard archive_read_disk_entry_from_file(disk, entry, -1, nil) >= ARCHIVE_WARN else {
            throw ArchiveFailure.error(disk, "cannot read \(source)", code: .notFound)
        }
        let type = UInt32(archive_entry_filetype(entry)) & FileType.mask
        if type == FileType.socket { return }
        if let idMapping {
            let owner = try idMapping.containerOwner(uid: UInt32(truncatingIfNeeded: archive_entry_uid(entry)),
                                                     gid: UInt32(truncatingIfNeeded: archive_entry_gid(entry)))
            archive_entry_set_uid(entry, la_int64_t(owner.uid))
            archive_entry_set_gid(entry, la_int64_t(owner.gid))
        }
        var opaque = false
        if layer != nil {
            if type == FileType.character && archive_entry_rdev(entry) == 0 {
                try write(ArchiveEntry(path: Self.whiteout(name), kind: .regular, size: 0, permissions: 0))
                return
            }
            opaque = Self.dropOverlayAttributes(entry)
        }
        archive_entry_set_pathname(entry, type == FileType.directory && name != "." ? name + "/" : name)
        var sparse: OpaquePointer?
        var linked: OpaquePointer? = entry
        archive_entry_linkify(resolver, &linked, &sparse)
        if let linked { entry = linked }
        try writeHeader(entry, name: name)
        if type == FileType.regular, archive_entry_hardlink(entry) == nil, archive_entry_size(entry) > 0 {
            try Self.stream(file: source) { try writeData($0, name: name) }
        }
        if type == FileType.directory {
            if opaque {
                try write(ArchiveEntry(path: (name == "." ? "" : name + "/") + ".wh..wh..opq", kind: .regular, size: 0,
                                       permissions: 0))
            }
            let children = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
            for child in children {
                try addNode(disk: disk, resolver: resolver, source: source + "/" + child,
                            name: name == "." && !dotSlash ? child : name + "/" + child, dotSlash: dotSlash,
                            layer: layer)
            }
        }
    }

    /// `dir/.wh.name` for `dir/name`.
    static func whiteout(_ name: String) -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true)
        let parent = parts.dropLast().joined(separator: "/")
        return (parent.isEmpty ? "" : parent + "/") + ".wh." + (parts.last.map(String.init) ?? name)
    }

    /// Keeps every extended attribute of the entry but overlayfs's bookkeeping (trusted.overlay.*); true when
    /// that said the directory is opaque.
    private static func dropOverlayAttributes(_ entry: OpaquePointer) -> Bool {
        guard archive_entry_xattr_reset(entry) > 0 else { return false }
        var opaque = false
        var kept: [(String, [UInt8])] = []
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var dropped = false
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            if key.hasPrefix("trusted.overlay.") {
                dropped = true
                if key == "trusted.overlay.opaque", size == 1, value?.load(as: UInt8.self) == UInt8(ascii: "y") {
                    opaque = true
                }
                continue
            }
            kept.append((key, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
        }
        guard dropped else { return opaque }
        archive_entry_xattr_clear(entry)
        for (key, bytes) in kept {
            bytes.withUnsafeBytes { archive_entry_xattr_add_entry(entry, key, $0.baseAddress, bytes.count) }
        }
        return opaque
    }

    /// Ends the archive (end blocks, compressor trailer) and reports any deferred write error.
    public func finish() throws {
        guard !closed else { return }
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw ArchiveFailure.error(archive, "cannot finish archive", code: .internalError)
        }
    }

    private func writeHeader(_ entry: OpaquePointer, name: String) throws {
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
            throw ArchiveFailure.error(archive, "cannot write \(name)", code: .internalError)
        }
    }

    private func writeData(_ chunk: UnsafeRawBufferPointer, name: String) throws {
        guard chunk.count > 0 else { return }
        guard archive_write_data(archive, chunk.baseAddress, chunk.count) == chunk.count else {
            throw ArchiveFailure.error(archive, "cannot write \(name)", code: .internalError)
        }
    }

    static func stream(file: String, to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw ShoalError.notFound("cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw ShoalError.internalError("cannot read \(file): \(String(cString: strerror(errno)))") }
            if n == 0 { return }
            try emit(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
        }
    }
}
