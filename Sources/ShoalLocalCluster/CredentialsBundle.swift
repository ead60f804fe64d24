import AsyncHTTPClient
import Foundation
import ShoalCA
import ShoalCore

/// A credentials bundle, as Carina handed them out: `docker.env` (`DOCKER_HOST` of the cluster endpoint,
/// `DOCKER_TLS_VERIFY=1`, `DOCKER_CERT_PATH`), `ca.pem`, `cert.pem` and `key.pem`, the names the docker CLI and
/// docker-py look for. The key is made here and never sent anywhere: the manager signs its CSR.
public enum CredentialsBundle {
    public static let environmentFile = "docker.env"

    /// Revokes the bundle at `path` (its directory or its `cert.pem`) through the manager daemon listening on
    /// `socket`. Returns the user it named.
    public static func revoke(through socket: String, bundle path: String) async throws -> String {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let file = exists && isDirectory.boolValue ? path + "/cert.pem" : path
        guard let certificate = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ShoalError.notFound("no certificate at \(file)")
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let answer: Any
        do {
            answer = try await EngineSocketClient(socket: socket, http: http).json(
                .POST, "/shoal/credentials/revoke", body: ["Certificate": certificate])
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        return (answer as? [String: Any])?["User"] as? String ?? ""
    }

    /// Asks the manager daemon listening on `socket` (its unix socket) for a certificate for `user` and writes
    /// the bundle into `directory` (created 0700). Returns the path of `docker.env`.
    public static func write(from socket: String, to directory: String, user: String) async throws -> String {
        try UserCertificate.checkName(user)
        let key = NodeKey.generate()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let answer: Any
        do {
            answer = try await EngineSocketClient(socket: socket, http: http).json(
                .POST, "/shoal/credentials", body: ["CSR": try key.makeCSR(commonName: user), "Name": user])
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        guard let fields = answer as? [String: Any], let certificate = fields["Certificate"] as? String,
              let ca = fields["CA"] as? String, let endpoint = (fields["Endpoints"] as? [String])?.first
        else { throw ShoalError.internalError("the daemon's answer to POST /shoal/credentials is not a bundle") }

        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try SecureFile.save(ca, to: path + "/ca.pem", mode: 0o644)
        try SecureFile.save(certificate, to: path + "/cert.pem", mode: 0o644)
        try SecureFile.save(key.pem, to: path + "/key.pem", mode: 0o600)
        let environment = """
            export DOCKER_HOST=\(endpoint)
            export DOCKER_TLS_VERIFY=1
            export DOCKER_CERT_PATH=\(path)

            """
        try SecureFile.save(environment, to: path + "/" + environmentFile, mode: 0o644)
        return path + "/" + environmentFile
    }
}
