import CLibArchive
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// The decompressed bytes of a file or descriptor, whatever compression libarchive recognises (gzip, zstd, xz,
/// bzip2 or none), hashed as they pass. A layer's diffID is the sha256 of exactly this stream, so the tar reader
/// reads through it rather than from the file.
public final class DecompressedReader {
    private let archive: OpaquePointer
    private let buffer: UnsafeMutableRawBufferPointer
    private var hasher = DigestHasher()
    private var finished = false
    /// Bytes of decompressed data read so far.
    public private(set) var count: Int64 = 0
    /// The error that ended a read, kept so a tar reader fed by this stream can report it in its own words.
    var failure: ShoalError?

    public convenience init(path: String) throws {
        try self.init { archive_read_open_filename($0, path, 1 << 20) }
    }

    /// Reads from `fileDescriptor` without closing it.
    public convenience init(fileDescriptor: Int32) throws {
        try self.init { archive_read_open_fd($0, fileDescriptor, 1 << 20) }
    }

    private init(open: (OpaquePointer) -> Int32) throws {
        guard let archive = archive_read_new() else { throw ShoalError.internalError("archive_read_new failed") }
        self.archive = archive
        buffer = .allocate(byteCount: 1 << 20, alignment: 16)
        archive_read_support_filter_all(archive)
        archive_read_support_format_raw(archive)
        archive_read_support_format_empty(archive)
        guard open(archive) == ARCHIVE_OK else {
            throw ArchiveFailure.error(archive, "cannot open archive")
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            finished = true  // an empty file: an empty stream
        } else if status < ARCHIVE_WARN {
            throw ArchiveFailure.error(archive, "cannot read archive")
        }
    }

    deinit {
        archive_read_free(archive)
        buffer.deallocate()
    }

    /// The next chunk of decompressed bytes; empty at the end. Valid until the next call.
    public func read() throws -> UnsafeRawBufferPointer {
        if finished { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 {
            let error = ArchiveFailure.error(archive, "cannot read archive")
            failure = error
            throw error
        }
        if n == 0 {
            finished = true
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        let chunk = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
        hasher.update(chunk)
        count += Int64(n)
        return chunk
    }

    /// Reads to the end and returns the digest of the whole decompressed stream.
    public func finish() throws -> Digest {
        while try read().count > 0 {}
        return hasher.finalize()
    }

    /// The sha256 and size of the decompressed contents of a file.
    public static func digest(ofFileAt path: String) throws -> (digest: Digest, size: Int64) {
        let reader = try DecompressedReader(path: path)
        let digest = try reader.finish()
        return (digest, reader.count)
    }
}
