import Foundation
import ShoalClusterStore

/// Where swarm objects live in the cluster store, and their JSON. An object's `version` is the store's modification
/// revision of its key, so `version` checks are compare-and-swaps (Docker's optimistic concurrency).
enum SwarmKeys {
    static let cluster = "/shoal/swarm/cluster"
    static let certificateAuthority = "/shoal/swarm/ca"
    static let nodes = "/shoal/swarm/nodes/"
    static func node(_ id: String) -> String { nodes + id }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] { Array(try encoder.encode(value)) }
    static func decode<T: Decodable>(_ type: T.Type, _ stored: StoredValue) throws -> T {
        try decoder.decode(type, from: Data(stored.value))
    }
}

/// The CA's certificate and key as managers keep them in the store (only managers can read it: the store
/// accepts nothing but manager certificates).
struct StoredCA: Codable {
    var certificatePEM: String
    var keyPEM: String
}
