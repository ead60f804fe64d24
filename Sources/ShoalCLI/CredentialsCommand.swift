import ArgumentParser
import Foundation
import ShoalLocalCluster

/// `shoal credentials`: a credentials bundle from the manager daemon on this host (any swarm, not only one made
/// by `shoal cluster`), through its unix socket.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Write a credentials bundle for the cluster endpoint from this host's manager daemon.")

    @Option(name: [.customShort("H"), .long], help: "The manager daemon's socket.")
    var host = "unix:///run/shoal/shoal.sock"
    @Option(help: "Directory of the bundle.") var out: String?
    @Option(help: "The user the certificate names.") var user = "admin"
    @Option(help: "Revoke the bundle in this directory (or this cert.pem) instead of making one.") var revoke: String?

    func run() async throws {
        guard host.hasPrefix("unix://") || host.hasPrefix("/") else {
            throw ValidationError("credentials are issued on the daemon's unix socket only: -H unix:///path")
        }
        let socket = host.hasPrefix("unix://") ? String(host.dropFirst("unix://".count)) : host
        if let revoke {
            print("Revoked the credentials of \(try await CredentialsBundle.revoke(through: socket, bundle: revoke))")
            return
        }
        guard let out else { throw ValidationError("--out DIR is required to make a bundle") }
        let environment = try await CredentialsBundle.write(from: socket, to: out, user: user)
        print("source \(environment)")
    }
}
