#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension RootCA {
    public static let certificateFileName = "ca.crt"
    /// Present only where the CA key is kept (a signing manager).
    public static let keyFileName = "ca.key"

    /// Saves the CA into `directory`: `ca.crt` (0644) and, when this value holds the key, `ca.key` (0600).
    public func write(to directory: URL) throws {
        let path = directory.path
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CAError.internalError("failed to create CA directory \(path)", cause: error)
        }
        try SecureFile.save(certificatePEM, to: path + "/" + Self.certificateFileName, mode: 0o644)
        if let keyPEM {
            try SecureFile.save(keyPEM, to: path + "/" + Self.keyFileName, mode: 0o600)
        }
    }

    /// Loads the CA saved by `write(to:)`; the key is loaded when `ca.key` exists.
    public static func load(from directory: URL) throws -> RootCA {
        let path = directory.path
        let keyPath = path + "/" + keyFileName
        let keyPEM = FileManager.default.fileExists(atPath: keyPath) ? try SecureFile.load(keyPath) : nil
        return try RootCA(certificatePEM: try SecureFile.load(path + "/" + certificateFileName), keyPEM: keyPEM)
    }
}
