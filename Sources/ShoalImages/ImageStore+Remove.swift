import Foundation
import ShoalCore
import ShoalOCI

/// `docker rmi` and `docker image prune`, following Docker's daemon/images/image_delete.go rules and messages.
extension ImageStore {
    /// Conflicts as Docker classifies them: hard ones cannot be forced.
    struct ConflictMask: OptionSet {
        let rawValue: Int
        static let runningContainer = ConflictMask(rawValue: 1)
        static let activeReference = ConflictMask(rawValue: 2)
        static let stoppedContainer = ConflictMask(rawValue: 4)
        static let hard: ConflictMask = [.runningContainer]
        static let soft: ConflictMask = [.activeReference, .stoppedContainer]
    }

    /// Removes a reference or an image. `usage` tells which containers use an image (the engine knows).
    public func remove(_ refOrID: String, force: Bool = false, prune: Bool = true,
                       usage: @Sendable (Digest) -> [ImageUser] = { _ in [] }) throws -> [RemoveResult] {
        let id = try resolve(refOrID)
        var records: [RemoveResult] = []
        var repoRefs = references(to: id)
        var removedRepositoryReference = false
        if !isIDPrefix(id, refOrID) {
            // A reference was named: untag it first; the image goes only with its last reference.
            if let user = usage(id).first, !force, isSingleReference(repoRefs) {
                throw ShoalError.conflict(
                    "conflict: unable to remove repository reference \"\(refOrID)\" (must force) - container "
                        + "\(user.containerID.prefix(12)) is using its referenced image \(id.shortHex)")
            }
            let parsed = try ImageReference.parse(refOrID).withDefaultTag
            guard state.references.removeValue(forKey: parsed.description) != nil else {
                throw ShoalError.notFound("No such image: \(parsed.familiarString)")
            }
            records.append(.untagged(parsed.familiarString))
            repoRefs = references(to: id)
            if parsed.digest == nil, !repoRefs.contains(where: { $0.digest == nil && $0.name == parsed.name }) {
                // The last tag of a repository takes the repository's digest references with it.
                for ref in repoRefs where ref.digest != nil && ref.name == parsed.name {
                    state.references[ref.description] = nil
                    records.append(.untagged(ref.familiarString))
                }
                repoRefs = references(to: id)
            }
            if !repoRefs.isEmpty {
                try persist()
                return records
            }
            removedRepositoryReference = true
        } else if isSingleReference(repoRefs) {
            // An ID naming an image with one tag (plus digests of that repository) removes them all.
            var mask = ConflictMask.hard
            if !force { mask.formUnion(ConflictMask.soft.subtracting(.activeReference)) }
            try checkConflict(id, mask, usage)
            for ref in repoRefs {
                state.references[ref.description] = nil
                records.append(.untagged(ref.familiarString))
            }
        }
        var mask = ConflictMask.hard
        if !force { mask.formUnion(.soft) }
        do {
            try checkConflict(id, mask, usage)
        } catch {
            try persist()  // untagging done above stays, as in Docker
            // Docker's `quiet` delete: once its last name is gone, an image containers use stays (dangling) and
            // the untag alone is the answer (`rmi -f name` of a running container's image).
            if removedRepositoryReference, !usage(id).isEmpty { return records }
            throw error
        }
        for ref in references(to: id) {
            state.references[ref.description] = nil
            records.append(.untagged(ref.familiarString))
        }
        records += deleteImage(id)
        try persist()
        collectGarbage()
        return records
    }

    /// `docker image prune` (`all: false` removes dangling images only). Images any container uses are kept.
    public func prune(all: Bool = false, usage: @Sendable (Digest) -> [ImageUser] = { _ in [] }) throws -> PruneResult {
        var deleted: [RemoveResult] = []
        let sizes = state.layers.mapValues(\.size)
        for image in state.images.values.sorted(by: { $0.id < $1.id }) where usage(image.id).isEmpty {
            let refs = references(to: image.id)
            if refs.isEmpty {
                deleted += (try? remove(image.id.hex, force: false, prune: true, usage: usage)) ?? []
            } else if all || !refs.contains(where: { $0.tag != nil }) {
                for ref in refs {
                    deleted += (try? remove(ref.description, force: false, prune: true, usage: usage)) ?? []
                }
            }
        }
        let reclaimed = deleted.reduce(Int64(0)) { sum, item in
            guard case let .deleted(id) = item, let digest = try? Digest(parsing: id) else { return sum }
            return sum + (sizes[digest.hex] ?? 0)
        }
        return PruneResult(deleted: deleted, spaceReclaimed: reclaimed)
    }

    /// Drops the image record; reports the image and each layer no other image uses (by chain ID).
    func deleteImage(_ id: Digest) -> [RemoveResult] {
        guard let image = state.images.removeValue(forKey: id.hex) else { return [] }
        configs[id.hex] = nil
        var records: [RemoveResult] = [.deleted(id.description)]
        let stillUsed = Set(state.images.values.flatMap(\.layers))
        for layer in image.layers.reversed() where !stillUsed.contains(layer) {
            records.append(.deleted(layer.description))
        }
        return records
    }

    func checkConflict(_ id: Digest, _ mask: ConflictMask, _ usage: (Digest) -> [ImageUser]) throws {
        let users = usage(id)
        func conflict(_ hard: Bool, _ message: String) -> ShoalError {
            .conflict("conflict: unable to delete \(id.shortHex) (\(hard ? "cannot be forced" : "must be forced")) - \(message)")
        }
        if mask.contains(.runningContainer), let user = users.first(where: \.running) {
            throw conflict(true, "image is being used by running container \(user.containerID.prefix(12))")
        }
        if mask.contains(.activeReference), !references(to: id).isEmpty {
            throw conflict(false, "image is referenced in multiple repositories")
        }
        if mask.contains(.stoppedContainer), let user = users.first(where: { !$0.running }) {
            throw conflict(false, "image is being used by stopped container \(user.containerID.prefix(12))")
        }
    }

    func isIDPrefix(_ id: Digest, _ candidate: String) -> Bool {
        id.description.hasPrefix(candidate) || id.hex.hasPrefix(candidate)
    }

    /// At most one tag, and every reference in one repository.
    func isSingleReference(_ refs: [ImageReference]) -> Bool {
        guard refs.filter({ $0.digest == nil }).count <= 1 else { return false }
        return Set(refs.map(\.name)).count <= 1
    }
}
