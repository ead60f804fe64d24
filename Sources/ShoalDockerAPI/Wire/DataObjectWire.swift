import Foundation

// Secrets and configs as Docker's JSON shows them (types/swarm Secret, Config, SecretSpec, ConfigSpec). One shape
// serves both: a config has no Driver, and a secret's Data is never sent back (SwarmKit clears it), so each field
// is simply absent where Docker's kind has none.

struct DataObjectSpecWire: Codable, Sendable {
    var Name: String?
    /// No omitempty in Go; the daemon shows `{}` rather than null.
    var Labels: [String: String]?
    /// base64, as Go encodes a []byte.
    var Data: Foundation.Data?
    var Driver: DriverWire?
    var Templating: DriverWire?
}

struct DataObjectWire: Encodable, Sendable {
    var ID: String
    var Version: ObjectVersionWire
    var CreatedAt: String
    var UpdatedAt: String
    var Spec: DataObjectSpecWire
}

/// `POST /secrets/create` and `/configs/create` answer `{"ID": …}` (201).
struct DataObjectCreateResponseWire: Encodable, Sendable {
    var ID: String
}
