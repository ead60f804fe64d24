import Foundation
import Hummingbird

/// `POST /shoal/credentials`: Shoal's own call behind `shoal credentials`, served on the unix socket only (the
/// socket's mode already makes its caller root on this host). The caller sends a CSR and a user name; a manager
/// answers the user certificate, the CA and the cluster endpoint's URLs. Its key never leaves the caller.
/// `POST /shoal/credentials/revoke` with a bundle's certificate revokes it.
struct CredentialsRoutes<Context: RequestContext> {
    let backends: DockerBackends

    func add(to router: Router<Context>) {
        router.post("shoal/credentials") { request, context in
            guard let body = try await Wire.decode(CredentialsRequestWire.self, from: request, context: context) else {
                throw DockerAPIError.badRequest("empty request body")
            }
            guard let csr = body.CSR, !csr.isEmpty else { throw DockerAPIError.badRequest("CSR is required") }
            let issued = try await backends.swarm.issueUserCredentials(csrPEM: csr, name: body.Name ?? "user")
            return Wire.json(CredentialsResponseWire(Certificate: issued.certificatePEM, CA: issued.caCertificatePEM,
                                                     Endpoints: issued.endpoints), status: .created)
        }
        router.post("shoal/credentials/revoke") { request, context in
            guard let body = try await Wire.decode(RevokeRequestWire.self, from: request, context: context),
                  let certificate = body.Certificate, !certificate.isEmpty
            else { throw DockerAPIError.badRequest("Certificate is required") }
            let user = try await backends.swarm.revokeUserCredentials(certificatePEM: certificate)
            return Wire.json(RevokeResponseWire(User: user))
        }
    }
}

struct RevokeRequestWire: Decodable {
    var Certificate: String?
}

struct RevokeResponseWire: Encodable {
    var User: String
}

struct CredentialsRequestWire: Decodable {
    var CSR: String?
    var Name: String?
}

struct CredentialsResponseWire: Encodable {
    var Certificate: String
    var CA: String
    var Endpoints: [String]
}
