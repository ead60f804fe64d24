import CLibArchive
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Streams the entries of a tar archive (compressed or not). Not thread-safe: one reader per task.
public final class ArchiveReader {
    let archive: OpaquePointer
    private let source: DecompressedReader
    private let box: Unmanaged<DecompressedReader>
    /// The libarchive entry returned by the last `next`, valid until the following call.
    private(set) var current: OpaquePointer?

    public convenience init(path: String) throws {
        try self.init(source: DecompressedReader(path: path))
    }

    /// Reads from `fileDescriptor` without closing it.
    public convenience init(fileDescriptor: Int32) throws {
        try self.init(source: DecompressedReader(fileDescriptor: fileDescriptor))
    }

    init(source: DecompressedReader) throws {
        guard let archive = archive_read_new() else { throw ShoalError.internalError("archive_read_new failed") }
        self.archive = archive
        self.source = source
        box = Unmanaged.passRetained(source)
        archive_read_support_format_tar(archive)
        archive_read_support_format_empty(archive)
        let status = archive_read_open(archive, box.toOpaque(), nil, { _, client, buffer in
            let source = Unmanaged<DecompressedReader>.fromOpaque(client!).takeUnretainedValue()
            guard let chunk = try? source.read() else { return -1 }
            buffer?.pointee = chunk.baseAddress
            return chunk.count
        }, nil)
        guard status == ARCHIVE_OK else {
            // deinit frees the handle and the retained source.
            throw source.failure ?? ArchiveFailure.error(archive, "cannot open tar archive")
        }
    }

    deinit {
        archive_read_free(archive)
        box.release()
    }

    /// The next entry's header, or nil at the end of the archive.
    public func next() throws -> ArchiveEntry? {
        try nextRaw().map(ArchiveEntry.init)
    }

    func nextRaw() throws -> OpaquePointer? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            current = nil
            return nil
        }
        guard status >= ARCHIVE_WARN, let entry else { throw failure("cannot read tar archive") }
        current = entry
        return entry
    }

    /// Streams the current entry's data in chunks.
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status >= ARCHIVE_WARN else { throw failure("cannot read tar entry") }
            try body(UnsafeRawBufferPointer(start: block, count: size))
        }
    }

    /// The current entry's data, refusing more than `limit` bytes (metadata files, never layers).
    public func readAll(limit: Int = 64 << 20) throws -> [UInt8] {
        var out = [UInt8]()
        try readData { chunk in
            guard out.count + chunk.count <= limit else {
                throw ShoalError.invalidArgument("archive entry is larger than \(limit) bytes")
            }
            out.append(contentsOf: chunk)
        }
        return out
    }

    /// Reads the rest of the underlying stream (tar padding included) and returns the digest of all of it.
    public func finish() throws -> (digest: Digest, size: Int64) {
        let digest = try source.finish()
        return (digest, source.count)
    }

    func failure(_ what: String) -> ShoalError {
        if let failure = source.failure { return failure }
        return ArchiveFailure.error(archive, what)
    }
}
