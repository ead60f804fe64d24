import Foundation
import ShoalCA
import ShoalCore
import Synchronization

/// A node's key material at rest (its TLS key, and on a manager the cluster's data key) in one of two forms:
/// - clear: `certificates/node.key` and `certificates/data.key` are the files, as without autolock;
/// - sealed (a manager of a swarm with autolock): `node.key.sealed` and `data.key.sealed` hold the material sealed
///   with a key derived from the manager unlock key (`SealedKeyText`), and `node.key`/`data.key` are symbolic
///   links into the exec root (`SwarmPaths.unlockedKeys`), where the clear copies live only while the manager is
///   unlocked. Everything that reads the key files (etcd at each handshake, the control API, the agent) keeps
///   reading the same paths, and switching forms on a running manager changes nothing for them.
///
/// Like swarmkit's KeyReadWriter with a KEK: workers always keep the clear form (a demoted manager goes back to
/// it), and a manager re-seals its material when the swarm's unlock key changes (`ManagerNode.followUnlockKey`).
/// One instance per node, shared by its membership and its manager, so writes of new certificates and re-sealing
/// never interleave.
final class SwarmKeyFiles: Sendable {
    enum Item: String, CaseIterable { case nodeKey = "node.key", dataKey = "data.key" }

    let paths: SwarmPaths
    /// The unlock key the material at rest is sealed with; nil for the clear form.
    private let current = Mutex<UnlockKey?>(nil)

    init(paths: SwarmPaths) { self.paths = paths }

    var unlockKey: UnlockKey? { current.withLock { $0 } }

    /// True when the material at rest is sealed: after a daemon restart the manager is locked.
    var isSealed: Bool { FileManager.default.fileExists(atPath: sealedPath(.nodeKey)) }

    /// What is written from now on is sealed with `key` (nil: clear). For a node whose files are all new (init,
    /// join).
    func reset(unlockKey key: UnlockKey?) { current.withLock { $0 = key } }

    /// The CA certificate, the node's certificate and its key (in the current form).
    func writeTLS(_ files: TLSFiles) throws {
        try current.withLock { key in
            try makeDirectory(paths.tls)
            try SecureFile.save(files.caCertificatePEM, to: paths.caCertificate, mode: 0o644)
            try SecureFile.save(files.certificatePEM, to: paths.nodeCertificate, mode: 0o644)
            try write(files.keyPEM, .nodeKey, sealedWith: key)
        }
    }

    /// The cluster's data key (managers only), in the current form.
    func writeDataKey(_ dataKey: ClusterDataKey) throws {
        try current.withLock { key in
            try makeDirectory(paths.tls)
            try write(Data(dataKey.bytes).base64EncodedString() + "\n", .dataKey, sealedWith: key)
        }
    }

    /// A node that stops being a manager keeps nothing that opens the store's secrets.
    func removeDataKey() {
        current.withLock { _ in remove(.dataKey) }
    }

    /// `docker swarm unlock`: opens every sealed item with `key` (all or nothing) and puts the clear copies where
    /// the manager reads them. A wrong key throws permissionDenied and changes nothing.
    func unlock(with key: UnlockKey) throws {
        try current.withLock { current in
            var opened: [(Item, String)] = []
            for item in Item.allCases where FileManager.default.fileExists(atPath: sealedPath(item)) {
                let sealed = try String(contentsOfFile: sealedPath(item), encoding: .utf8)
                opened.append((item, String(decoding: try SealedKeyText.open(sealed, with: key, purpose: item.rawValue),
                                            as: UTF8.self)))
            }
            for (item, text) in opened { try placeUnlocked(text, item) }
            current = key
        }
    }

    /// Brings the material at rest to the form `key` asks for (nil: clear), from the clear copies the running
    /// node reads. Nothing happens when it has that form already.
    func reseal(with key: UnlockKey?) throws {
        try current.withLock { current in
            guard current != key else { return }
            for item in Item.allCases {
                guard let text = try? String(contentsOfFile: clearPath(item), encoding: .utf8) else { continue }
                try write(text, item, sealedWith: key)
            }
            current = key
        }
    }

    /// Daemon shutdown or a manager found sealed at start: the clear copies go (the links into them dangle until
    /// the next unlock).
    func lock() {
        try? FileManager.default.removeItem(atPath: paths.unlockedKeys)
    }

    /// The node leaves the swarm: its clear copies go with its swarm directory.
    func erase() {
        current.withLock { current in
            current = nil
            try? FileManager.default.removeItem(atPath: paths.unlockedKeys)
        }
    }

    // MARK: files

    func clearPath(_ item: Item) -> String { paths.tls + "/" + item.rawValue }
    func sealedPath(_ item: Item) -> String { clearPath(item) + ".sealed" }
    func unlockedPath(_ item: Item) -> String { paths.unlockedKeys + "/" + item.rawValue }

    /// Writes `text` as `item` in the form `key` asks for, leaving no file of the other form behind.
    private func write(_ text: String, _ item: Item, sealedWith key: UnlockKey?) throws {
        guard let key else {
            // rename(2) over the link replaces the link itself.
            try SecureFile.save(text, to: clearPath(item), mode: 0o600)
            try? FileManager.default.removeItem(atPath: sealedPath(item))
            try? FileManager.default.removeItem(atPath: unlockedPath(item))
            return
        }
        try placeUnlocked(text, item)
        let sealed = try SealedKeyText.seal(Array(text.utf8), with: key, purpose: item.rawValue)
        try SecureFile.save(sealed + "\n", to: sealedPath(item), mode: 0o600)
    }

    /// The clear copy in the exec root, and the link to it in place of the file at rest.
    private func placeUnlocked(_ text: String, _ item: Item) throws {
        try makeDirectory(paths.unlockedKeys)
        try SecureFile.save(text, to: unlockedPath(item), mode: 0o600)
        let target = unlockedPath(item)
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: clearPath(item))) == target { return }
        let link = clearPath(item) + ".link-\(getpid())"
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        guard rename(link, clearPath(item)) == 0 else {
            try? FileManager.default.removeItem(atPath: link)
            throw ShoalError.internalError("cannot link \(clearPath(item)) to its unlocked copy: errno \(errno)")
        }
    }

    private func remove(_ item: Item) {
        for path in [clearPath(item), sealedPath(item), unlockedPath(item)] {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}
