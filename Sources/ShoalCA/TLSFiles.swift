#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A node's TLS material as the files etcd (`--trusted-ca-file`, `--cert-file`, `--key-file`, and the
/// `--peer-*` twins) and the gRPC transports read: `ca.crt`, `node.crt`, `node.key`.
public struct TLSFiles: Sendable, Equatable {
    public static let caCertificateFileName = "ca.crt"
    public static let certificateFileName = "node.crt"
    public static let keyFileName = "node.key"

    /// The root CA certificate (PEM).
    public var caCertificatePEM: String
    /// The node's certificate chain (PEM), as `RootCA.sign` returns it.
    public var certificatePEM: String
    /// The node's private key (PKCS#8 PEM).
    public var keyPEM: String

    public init(caCertificatePEM: String, certificatePEM: String, keyPEM: String) {
        self.caCertificatePEM = caCertificatePEM
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    public init(rootCA: RootCA, certificatePEM: String, key: NodeKey) {
        self.init(caCertificatePEM: rootCA.certificatePEM, certificatePEM: certificatePEM, keyPEM: key.pem)
    }

    /// Writes the three files into `directory` (created 0700 if missing). Certificates get 0644, the key 0600
    /// from its creation on: each file is written to a temporary name with its final mode and renamed over the
    /// old one, so a reader never sees a half-written file and the key is never readable by others.
    public func write(to directory: URL) throws {
        let path = directory.path
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CAError.internalError("failed to create TLS directory \(path)", cause: error)
        }
        try SecureFile.save(caCertificatePEM, to: path + "/" + Self.caCertificateFileName, mode: 0o644)
        try SecureFile.save(certificatePEM, to: path + "/" + Self.certificateFileName, mode: 0o644)
        try SecureFile.save(keyPEM, to: path + "/" + Self.keyFileName, mode: 0o600)
    }

    /// Reads the three files back from `directory`.
    public static func read(from directory: URL) throws -> TLSFiles {
        let path = directory.path
        return TLSFiles(
            caCertificatePEM: try SecureFile.load(path + "/" + caCertificateFileName),
            certificatePEM: try SecureFile.load(path + "/" + certificateFileName),
            keyPEM: try SecureFile.load(path + "/" + keyFileName)
        )
    }
}

/// Whole-file writes with an exact mode, through POSIX calls so the mode is set at `open` (Foundation sets
/// permissions after writing, leaving a moment where a key file has the umask's mode).
public enum SecureFile {
    public static func save(_ contents: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create", temporary) }
        do {
            defer { close(fd) }
            // The umask may have cleared bits of `mode` (e.g. 0644's read bits): set it exactly.
            guard fchmod(fd, mode) == 0 else { throw failure("set the mode of", temporary) }
            let bytes = Array(contents.utf8)
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { throw failure("write", temporary) }
                written += result
            }
            guard fsync(fd) == 0 else { throw failure("write", temporary) }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename", path)
            unlink(temporary)
            throw error
        }
    }

    static func load(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CAError.invalidArgument("cannot read TLS file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func failure(_ operation: String, _ path: String) -> CAError {
        CAError.internalError("failed to \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
