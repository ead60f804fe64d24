import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed blobs under `<root>/sha256/<hex>`. Every blob is written to a temporary file in
/// `<root>/ingest` while it is hashed and renamed into place only when its digest is the expected one, so a blob
/// file that exists is always complete and correct.
public struct ContentStore: Sendable {
    public let root: String
    var ingestDirectory: String { root + "/ingest" }

    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/sha256", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/ingest", withIntermediateDirectories: true)
    }

    public func path(for digest: Digest) -> String { root + "/sha256/" + digest.hex }

    public func contains(_ digest: Digest) -> Bool { access(path(for: digest), F_OK) == 0 }

    public func size(of digest: Digest) -> Int64? {
        var info = stat()
        return stat(path(for: digest), &info) == 0 ? Int64(info.st_size) : nil
    }

    /// Reads a small blob (manifest, config) and checks it still hashes to its name.
    public func read(_ digest: Digest, limit: Int = 32 << 20) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path(for: digest)) else {
            throw ShoalError.notFound("blob not found: \(digest)")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw ShoalError.invalidArgument("blob \(digest) is too large") }
        guard Digest.sha256(of: data) == digest else {
            throw ShoalError.internalError("blob \(digest) is corrupted on disk")
        }
        return Array(data)
    }

    /// Stores bytes; returns their digest.
    @discardableResult
    public func write(_ bytes: [UInt8], expected: Digest? = nil) throws -> Digest {
        let writer = try BlobWriter(store: self, expected: expected)
        do {
            try bytes.withUnsafeBytes { try writer.append($0) }
            return try writer.commit().digest
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Moves `source`, whose digest the caller has just computed while reading it (a layer it made and unpacked),
    /// into the store under `digest`: flushed to disk, then renamed, so a blob file that exists is still complete.
    /// Across filesystems it is copied (and hashed again). `source` is gone afterwards either way.
    public func adopt(fileAt source: String, digest: Digest) throws {
        defer { unlink(source) }
        if contains(digest) { return }
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ShoalError.notFound("cannot open \(source): \(String(cString: strerror(errno)))") }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced else {
            throw ShoalError.internalError("cannot write blob \(digest): \(String(cString: strerror(errno)))")
        }
        if rename(source, path(for: digest)) == 0 { return }
        guard errno == EXDEV else {
            throw ShoalError.internalError("cannot store blob \(digest): \(String(cString: strerror(errno)))")
        }
        try ingest(fileAt: source, expected: digest)
    }

    /// Copies a file into the store while hashing it.
    @discardableResult
    public func ingest(fileAt source: String, expected: Digest? = nil) throws -> (digest: Digest, size: Int64) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ShoalError.notFound("cannot open \(source): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let writer = try BlobWriter(store: self, expected: expected)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw ShoalError.internalError("cannot read \(source): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                try writer.append(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
            }
            return try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    public func delete(_ digest: Digest) {
        unlink(path(for: digest))
    }

    /// Every blob held.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/sha256")) ?? []
        return names.compactMap { try? Digest(hex: $0) }
    }

    /// Removes temporary files left by a crash (call at startup, before any write).
    public func removeStaleIngests() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: ingestDirectory)) ?? [] {
            unlink(ingestDirectory + "/" + name)
        }
    }
}

/// A blob being written: append chunks, then `commit` (verify and rename) or `abort`. One writer per task.
public final class BlobWriter {
    let store: ContentStore
    let expected: Digest?
    let temporary: String
    private var fd: Int32
    private var committed = false
    private var hasher = DigestHasher()
    public private(set) var count: Int64 = 0

    public init(store: ContentStore, expected: Digest? = nil) throws {
        self.store = store
        self.expected = expected
        temporary = store.ingestDirectory + "/" + Identifier.random()
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ShoalError(errno == ENOSPC ? .unavailable : .internalError,
                             "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
    }

    deinit { abort() }

    public func append(_ chunk: UnsafeRawBufferPointer) throws {
        hasher.update(chunk)
        count += Int64(chunk.count)
        var offset = 0
        while offset < chunk.count {
            let n = Glibc.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw ShoalError(errno == ENOSPC ? .unavailable : .internalError,
                                 "cannot write blob: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Verifies the digest and moves the blob into place.
    @discardableResult
    public func commit() throws -> (digest: Digest, size: Int64) {
        let digest = hasher.finalize()
        if let expected, expected != digest {
            abort()
            throw ShoalError.invalidArgument("digest mismatch: expected \(expected), got \(digest)")
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            fd = -1
            abort()
            throw ShoalError.internalError("cannot write blob \(digest): \(String(cString: strerror(errno)))")
        }
        fd = -1
        guard rename(temporary, store.path(for: digest)) == 0 else {
            abort()
            throw ShoalError.internalError("cannot store blob \(digest): \(String(cString: strerror(errno)))")
        }
        committed = true
        return (digest, count)
    }

    public func abort() {
        guard !committed else { return }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(temporary)
    }
}
