import Foundation
import ShoalArchive
import ShoalCore
import ShoalOCI

/// The blocking half of adding a layer: store its blob, unpack it beside the layers directory, verify the diffID,
/// then move the finished directory into `layers/<chainID hex>`. Runs off the actor; touches no records.
struct LayerUnpacker: Sendable {
    let content: ContentStore
    let layersDirectory: String
    let temporaryDirectory: String
    /// A remapping daemon's ids: files are stored owned by the host ids their owners map to (dockerd chowns its
    /// layers the same way when it unpacks them into its remapped root).
    let idMapping: IDMapping?

    /// Copies `file` into the blob store (verifying `expectedBlob` when known) and unpacks it.
    func ingestAndUnpack(file: String, expectedBlob: Digest?, mediaType: String?, parent: Digest?,
                         expectedDiffID: Digest?) throws -> StoreState.Layer {
        let (blob, _) = try content.ingest(fileAt: file, expected: expectedBlob)
        return try unpack(blob: blob, mediaType: mediaType, parent: parent, expectedDiffID: expectedDiffID)
    }

    /// Unpacks a blob already in the store.
    func unpack(blob: Digest, mediaType: String?, parent: Digest?, expectedDiffID: Digest?) throws -> StoreState.Layer {
        let blobPath = content.path(for: blob)
        return try unpack(archiveAt: blobPath, parent: parent, expectedDiffID: expectedDiffID) { _ in
            (blob, mediaType ?? Self.mediaType(ofBlobAt: blobPath))
        }
    }

    /// Unpacks the uncompressed layer tar at `file` (one the daemon wrote: `docker commit`), then moves the file
    /// into the blob store under the digest the extraction computed, its diffID: each byte is written, read and
    /// hashed once.
    func adoptAndUnpack(file: String, parent: Digest?) throws -> StoreState.Layer {
        defer { unlink(file) }
        return try unpack(archiveAt: file, parent: parent, expectedDiffID: nil) { diffID in
            try content.adopt(fileAt: file, digest: diffID)
            return (diffID, MediaType.dockerLayer)
        }
    }

    /// Extracts the archive at `path` into a staging directory, has `store` keep the blob (given the diffID; it
    /// answers the blob's digest and media type), then places the layer.
    private func unpack(archiveAt path: String, parent: Digest?, expectedDiffID: Digest?,
                        store: (Digest) throws -> (blob: Digest, mediaType: String)) throws -> StoreState.Layer {
        let staging = temporaryDirectory + "/layer-" + Identifier.random().prefix(16)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let result = try Extraction.extractLayer(archiveAt: path, to: staging + "/diff",
                                                 options: .init(expectedDiffID: expectedDiffID, idMapping: idMapping))
        let (blob, mediaType) = try store(result.diffID)
        let chainID = parent.map { Digest.sha256(of: Array("\($0) \(result.diffID)".utf8)) } ?? result.diffID
        let layer = StoreState.Layer(
            chainID: chainID, diffID: result.diffID, blob: blob, blobMediaType: mediaType,
            blobSize: content.size(of: blob) ?? 0, uncompressedSize: result.uncompressedSize,
            size: DirectorySize.of(staging + "/diff"))
        let final = layersDirectory + "/" + chainID.hex
        if rename(staging, final) != 0 {
            // Another operation placed the same layer meanwhile (same chain ID, same content): keep theirs.
            guard errno == EEXIST || errno == ENOTEMPTY else {
                throw ShoalError.internalError("cannot place layer \(chainID): \(String(cString: strerror(errno)))")
            }
        }
        return layer
    }

    /// Docker media type for a layer blob from its magic bytes.
    static func mediaType(ofBlobAt path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return MediaType.dockerLayer }
        defer { try? handle.close() }
        let magic = Array((try? handle.read(upToCount: 4)) ?? Data())
        if magic.starts(with: [0x1f, 0x8b]) { return MediaType.dockerLayerGzip }
        if magic == [0x28, 0xb5, 0x2f, 0xfd] { return MediaType.ociLayerZstd }
        return MediaType.dockerLayer
    }
}
