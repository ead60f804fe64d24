import Synchronization

/// The records of every endpoint on this host, shared by all sandboxes' resolvers. The engine calls `upsert` when an
/// endpoint gets its address (before the container starts, so a name resolves as soon as the container is up) and
/// `remove` when it leaves the network.
public final class DNSRecordTable: Sendable {
    private let records = Mutex(DNSRecordSet())

    public init() {}

    public func upsert(endpointID: String, _ record: DNSEndpointRecord) {
        records.withLock { $0.upsert(endpointID: endpointID, record) }
    }

    public func remove(endpointID: String) {
        records.withLock { $0.remove(endpointID: endpointID) }
    }

    /// A copy of the table (copy-on-write: cheap), so lookups run outside the lock.
    public var snapshot: DNSRecordSet { records.withLock { $0 } }
}

/// Answers from the record table for one sandbox, whose scope is the networks it is attached to (in attachment
/// order). Returns nil for anything it does not know, so the chain can forward it.
public final class LocalRecords: DNSImmediateResolver {
    /// Docker's embedded DNS answers with a 600 s TTL.
    public static let defaultTTL: UInt32 = 600

    public let table: DNSRecordTable
    private let scope: Mutex<(networks: [String], links: Links)>
    public let ttl: UInt32

    /// Per network: alias → the name it stands for (Docker's endpoint links, seen by this sandbox only).
    public typealias Links = [String: [DNSName: DNSName]]

    public init(table: DNSRecordTable, networks: [String], links: Links = [:], ttl: UInt32 = LocalRecords.defaultTTL) {
        self.table = table
        self.scope = Mutex((networks, links))
        self.ttl = ttl
    }

    public var networks: [String] { scope.withLock { $0.networks } }

    public func setNetworks(_ networks: [String]) { scope.withLock { $0.networks = networks } }

    /// Called when the container connects to or disconnects from a network.
    public func setScope(networks: [String], links: Links) { scope.withLock { $0 = (networks, links) } }

    /// Links as `network → [alias: name]` texts; names that are not valid DNS names are left out.
    public static func links(_ texts: [String: [String: String]]) -> Links {
        texts.mapValues { aliases in
            var result: [DNSName: DNSName] = [:]
            for (alias, name) in aliases {
                if let alias = try? DNSName(alias).lowercased(), let name = try? DNSName(name) { result[alias] = name }
            }
            return result
        }
    }

    public func resolve(_ query: DNSMessage) async -> DNSMessage? { resolveNow(query) }

    public func resolveNow(_ query: DNSMessage) -> DNSMessage? {
        let (networks, links) = scope.withLock { $0 }
        return LocalRecords.answer(query, records: table.snapshot, networks: networks, links: links, ttl: ttl)
    }

    /// The pure core: the reply for `query` from `records` as seen from `networks`, or nil when it is not local.
    ///
    /// - A known name answers A with its IPv4 addresses and AAAA with its IPv6 addresses; a family it lacks gives
    ///   NOERROR with no answers (not NXDOMAIN: the name exists), which is what dockerd does. ANY gives both, and
    ///   other types NOERROR with no answers.
    /// - PTR for `in-addr.arpa` / `ip6.arpa` names of local addresses answers `<name>.<network>.`.
    /// - An alias of an endpoint link answers as the name it stands for on that link's network.
    public static func answer(
        _ query: DNSMessage, records: DNSRecordSet, networks: [String], links: Links = [:], ttl: UInt32 = defaultTTL
    ) -> DNSMessage? {
        guard query.header.opcode == .query, query.questions.count == 1, let question = query.questions.first,
            question.recordClass == .internet || question.recordClass == .any
        else { return nil }

        if question.type == .ptr {
            guard let address = reverseAddress(question.name),
                let target = records.reverseLookup(address, networks: networks)
            else { return nil }
            let record = DNSResourceRecord(name: question.name, ttl: ttl, data: .ptr(target))
            return DNSMessage.response(to: query, answers: [record], authoritative: true)
        }

        let found = linked(question.name, records: records, networks: networks, links: links)
            ?? records.lookup(question.name, networks: networks)
        guard case .known(let ipv4, let ipv6) = found
        else { return nil }
        // Several endpoints under one name (an alias, compose's service name) come in a new order each time, as
        // dockerd shuffles them: clients that take the first address spread over all of them.
        var answers: [DNSResourceRecord] = []
        if question.type == .a || question.type == .any {
            answers += ipv4.shuffled().map { DNSResourceRecord(name: question.name, ttl: ttl, data: .a($0)) }
        }
        if question.type == .aaaa || question.type == .any {
            answers += ipv6.shuffled().map { DNSResourceRecord(name: question.name, ttl: ttl, data: .aaaa($0)) }
        }
        return DNSMessage.response(to: query, answers: answers, authoritative: true)
    }

    /// The first link whose alias is `name` and whose target is known on the link's network.
    static func linked(_ name: DNSName, records: DNSRecordSet, networks: [String], links: Links)
        -> DNSRecordSet.Lookup?
    {
        guard !links.isEmpty else { return nil }
        let folded = name.lowercased()
        for network in networks {
            guard let target = links[network]?[folded] else { continue }
            let found = records.lookup(target, networks: [network])
            if case .known = found { return found }
        }
        return nil
    }

    /// The address a reverse name stands for: `d.c.b.a.in-addr.arpa` (RFC 1035 §3.5) or 32 nibbles under
    /// `ip6.arpa` (RFC 3596 §2.5). Partial names (whole subnets) are not addresses.
    public static func reverseAddress(_ name: DNSName) -> [UInt8]? {
        let labels = name.lowercased().labels
        if labels.count == 6, labels[4] == Array("in-addr".utf8), labels[5] == Array("arpa".utf8) {
            var octets: [UInt8] = []
            for label in labels[0..<4].reversed() {
                guard label.count <= 3, label.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    label.count == 1 || label[0] != 0x30,
                    let value = UInt8(String(decoding: label, as: UTF8.self))
                else { return nil }
                octets.append(value)
            }
            return octets
        }
        if labels.count == 34, labels[32] == Array("ip6".utf8), labels[33] == Array("arpa".utf8) {
            var nibbles: [UInt8] = []
            for label in labels[0..<32].reversed() {
                guard label.count == 1, let value = UInt8(String(decoding: label, as: UTF8.self), radix: 16) else {
                    return nil
                }
                nibbles.append(value)
            }
            return stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
        }
        return nil
    }
}
