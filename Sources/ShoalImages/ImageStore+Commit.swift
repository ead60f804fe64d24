import Foundation
import ShoalCore
import ShoalOCI
import ShoalOS

extension ImageStore {
    /// `docker commit`: the layer tar at `layerTar` (a container's changes, whiteouts included) on top of the
    /// layers of `parent`, with `config` as the image's run defaults; the parent's history goes on with one entry.
    public func commit(parent: String, layerTar path: String, config: ContainerConfig, reference: String? = nil,
                       comment: String = "", author: String = "", container: String = "",
                       created: Date = Date()) async throws -> ImageRecord {
        let target = try Self.newImageTarget(reference)
        beginOperation()
        defer { endOperation() }
        let parentID = try resolve(parent)
        guard let base = state.images[parentID.hex], let baseConfig = configs[parentID.hex] else {
            throw ShoalError.notFound("No such image: \(parent)")
        }
        let unpacker = self.unpacker
        let top = base.layers.last
        let layer = try await runBlocking {
            try unpacker.adoptAndUnpack(file: path, parent: top)
        }
        if state.layers[layer.chainID.hex] == nil { state.layers[layer.chainID.hex] = layer }
        let now = RFC3339.format(created)
        var image = baseConfig
        image.created = now
        image.author = author.isEmpty ? nil : author
        image.comment = comment.isEmpty ? nil : comment
        image.config = config
        image.container = container.isEmpty ? nil : container
        image.history = (baseConfig.history ?? []) + [
            .init(created: now, author: author.isEmpty ? nil : author, comment: comment.isEmpty ? nil : comment),
        ]
        image.rootfs.diffIDs.append(layer.diffID)
        return try storeNewImage(config: image, layers: base.layers + [layer.chainID], target: target)
    }
}
