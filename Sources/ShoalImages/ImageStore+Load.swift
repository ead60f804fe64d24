import Foundation
import ShoalArchive
import ShoalCore
import ShoalOS
import ShoalOCI

extension ImageStore {
    var unpacker: LayerUnpacker {
        LayerUnpacker(content: content, layersDirectory: layersDirectory, temporaryDirectory: temporaryDirectory,
                      idMapping: idMapping)
    }

    /// `docker load`: a `docker save` tarball (manifest.json) or an OCI image layout (index.json), gzip or not.
    /// All images of the tarball are recorded together at the end; on any error nothing is recorded and the
    /// layers and blobs this load added are collected.
    public func load(tarballAt path: String) async throws -> [LoadResult] {
        beginOperation()
        defer { endOperation() }
        let staging = try makeTemporaryDirectory("load")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let plan = try await runBlocking {
            try Extraction.extract(archiveAt: path, into: staging,
                                   options: .init(overlayWhiteouts: false, preserveOwnership: false))
            return try ArchivePlan.read(staging: staging)
        }
        guard !plan.images.isEmpty else { throw ShoalError.invalidArgument("no images found in the archive") }
        let unpacker = self.unpacker
        var chains: [[Digest]] = []
        for image in plan.images {
            let chain = ChainID.chain(image.config.rootfs.diffIDs)
            for (index, layer) in image.layers.enumerated() {
                let parent = index > 0 ? chain[index - 1] : nil
                let diffID = image.config.rootfs.diffIDs[index]
                try await ensureLayer(chainID: chain[index]) {
                    try unpacker.ingestAndUnpack(file: layer.path, expectedBlob: layer.blob, mediaType: layer.mediaType,
                                                 parent: parent, expectedDiffID: diffID)
                }
            }
            chains.append(chain)
        }
        for image in plan.images { try content.write(image.configBytes, expected: image.id) }

        var results: [LoadResult] = []
        for (image, chain) in zip(plan.images, chains) {
            addImage(id: image.id, config: image.config, layers: chain)
            for name in image.names { state.references[name.description] = image.id }
            if image.names.isEmpty {
                results.append(LoadResult(imageID: image.id, reference: nil))
            } else {
                results += image.names.map { LoadResult(imageID: image.id, reference: $0.familiarString) }
            }
        }
        try persist()
        return results
    }

    func addImage(id: Digest, config: ImageConfiguration, layers: [Digest]) {
        let created = config.created.flatMap(RFC3339.parse) ?? Date(timeIntervalSince1970: 0)
        state.images[id.hex] = StoreState.Image(id: id, layers: layers, created: created)
        configs[id.hex] = config
    }

    /// Makes sure the layer with `chainID` is unpacked, unpacking it at most once however many operations ask.
    func ensureLayer(chainID: Digest, work: @escaping @Sendable () throws -> StoreState.Layer) async throws {
        if state.layers[chainID.hex] != nil { return }
        let task: Task<StoreState.Layer, any Error>
        if let running = unpacking[chainID] {
            task = running
        } else {
            task = Task { try await runBlocking(work) }
            unpacking[chainID] = task
        }
        let result = await task.result
        unpacking[chainID] = nil
        let layer = try result.get()
        guard layer.chainID == chainID else {
            throw ShoalError.internalError("layer unpacked as \(layer.chainID), expected \(chainID)")
        }
        state.layers[chainID.hex] = layer
    }
}
