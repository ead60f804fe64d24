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
        let staging = temporaryDirectory + "/layer-" + Identifier.random().prefix(16)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let result = try Extraction.extractLayer(archiveAt: blobPath, to: staging + "/diff",
                                                 options: .init(expectedDiffID: expectedDiffID, idMapping: idMapping))
        let chainID = parent.map { Digest.sha256(of: Array("\($0) \(result.diffID)".utf8)) } ?? result.diffID
        let layer = StoreState.Layer(
            chainID: chainID, diffID: result.diffID, blob: blob,
            blobMediaType: mediaType ?? Self.mediaType(ofBlobAt: blobPath),
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
