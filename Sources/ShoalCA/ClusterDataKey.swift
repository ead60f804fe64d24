import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The swarm's data key: seals the payload of every secret before it goes into the cluster store, so etcd's data
/// files, snapshots and peer traffic never hold a secret in clear (Docker gets the same from raft encryption).
///
/// `swarm init` makes it (32 random bytes); it lives only in each manager's swarm directory, beside the node key
/// (`certificates/data.key`, mode 0600), and a manager that joins gets it from one of the others over the mutually
/// authenticated control API (DataKeys.GetDataKey, managers only). It is never written to the store and never sent
/// to a worker; a node that stops being a manager deletes its copy.
///
/// Sealing is AES-256-GCM with a fresh random nonce, and the object's place in the store ("secrets/<id>") as
/// associated data: a sealed payload copied onto another object does not open.
public struct ClusterDataKey: Sendable, Equatable {
    public static let fileName = "data.key"
    static let size = 32

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size else {
            throw CAError.invalidArgument("a data key has \(Self.size) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    public static func generate() -> ClusterDataKey {
        // Exactly `size` bytes: the initializer cannot fail.
        try! ClusterDataKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// A name for the key that tells keys apart without revealing anything of them (the first 8 bytes of a
    /// SHA-256 over a fixed label and the key, in hex): stored beside each sealed payload.
    public var id: String {
        var hash = SHA256()
        hash.update(data: Array("shoal data key".utf8))
        hash.update(data: bytes)
        let hex = Array("0123456789abcdef")
        return String(hash.finalize().prefix(8).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0f)]] })
    }

    /// nonce ‖ ciphertext ‖ tag of `plaintext`, bound to `context`.
    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: bytes), authenticating: Array(context.utf8))
            guard let combined = box.combined else { throw CAError.internalError("AES-GCM gave no combined form") }
            return Array(combined)
        } catch let error as CAError {
            throw error
        } catch {
            throw CAError.internalError("cannot seal a payload", cause: error)
        }
    }

    /// The plaintext of a box sealed with this key for `context`; fails if the box was changed, sealed with
    /// another key or for another context.
    public func open(_ box: [UInt8], context: String) throws -> [UInt8] {
        do {
            let sealed = try AES.GCM.SealedBox(combined: box)
            return Array(try AES.GCM.open(sealed, using: SymmetricKey(data: bytes), authenticating: Array(context.utf8)))
        } catch {
            throw CAError.internalError("cannot open a sealed payload of \(context) with data key \(id)", cause: error)
        }
    }

    // MARK: the manager's file

    /// Writes the key (base64, one line) to `path`, readable by its owner only from its creation on.
    public func write(to path: String) throws {
        try SecureFile.save(Data(bytes).base64EncodedString() + "\n", to: path, mode: 0o600)
    }

    /// The key in `path`, or nil when there is no such file.
    public static func read(from path: String) throws -> ClusterDataKey? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try SecureFile.load(path).filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: text) else {
            throw CAError.invalidArgument("\(path) does not hold a data key")
        }
        return try ClusterDataKey(bytes: Array(data))
    }
}
