import Foundation
import ShoalCore
import ShoalOCI

/// The store's metadata, persisted as one JSON file replaced atomically (write temp, fsync, rename), so a crash
/// leaves either the old or the new state, never a mixture.
struct StoreState: Codable {
    struct Image: Codable {
        var id: Digest
        /// Chain IDs bottom first.
        var layers: [Digest]
        var created: Date
    }

    struct Layer: Codable {
        var chainID: Digest
        var diffID: Digest
        /// The blob the layer came from (compressed or not), kept for `save` and `push`.
        var blob: Digest
        var blobMediaType: String
        var blobSize: Int64
        /// Size of the decompressed tar (its sha256 is the diffID).
        var uncompressedSize: Int64
        /// Bytes of the unpacked directory.
        var size: Int64
    }

    /// Image ID hex → image.
    var images: [String: Image] = [:]
    /// Full reference (`docker.io/library/busybox:latest`, `…@sha256:…`) → image ID.
    var references: [String: Digest] = [:]
    /// Chain ID hex → layer.
    var layers: [String: Layer] = [:]

    static func load(from path: String) throws -> StoreState {
        guard FileManager.default.fileExists(atPath: path) else { return StoreState() }
        do {
            return try JSONDecoder().decode(StoreState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ShoalError.internalError("cannot read image store state \(path)", cause: error)
        }
    }

    func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw ShoalError.internalError("cannot write \(temporary)")
        }
        let fd = open(temporary, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, path) == 0 else {
            throw ShoalError.internalError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Chain IDs as the OCI image spec defines them: chain(L0) = diffID(L0), chain(Ln) = sha256(chain(Ln-1) + " " + diffID(Ln)).
enum ChainID {
    static func chain(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        for diffID in diffIDs {
            if let parent = out.last {
                out.append(Digest.sha256(of: Array("\(parent) \(diffID)".utf8)))
            } else {
                out.append(diffID)
            }
        }
        return out
    }
}

/// Bytes of a directory tree as Docker counts them: every non-directory's lstat size, hard links once.
enum DirectorySize {
    static func of(_ path: String) -> Int64 {
        var seen = Set<UInt64>()
        var total: Int64 = 0
        func walk(_ dir: String) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let child = dir + "/" + name
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    walk(child)
                    continue
                }
                if info.st_nlink > 1 {
                    guard seen.insert(UInt64(info.st_ino)).inserted else { continue }
                }
                total += Int64(info.st_size)
            }
        }
        walk(path)
        return total
    }
}
