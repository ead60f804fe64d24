/// What the engine tells DNS about one endpoint (a container's attachment to a network): the names it answers to
/// on that network (container name, aliases, short id…; the first is used for reverse lookups) and its addresses.
public struct DNSEndpointRecord: Sendable, Hashable {
    public var network: String
    public var names: [String]
    public var ipv4: [DNSIPv4Address]
    public var ipv6: [DNSIPv6Address]

    public init(network: String, names: [String], ipv4: [DNSIPv4Address] = [], ipv6: [DNSIPv6Address] = []) {
        self.network = network
        self.names = names
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }
}

/// The pure table behind `LocalRecords`: endpoints by id, indexed by (network, name) and by address. Names are
/// stored folded to lower case, so lookups are case-insensitive; a trailing dot makes no difference.
public struct DNSRecordSet: Sendable {
    /// What a forward lookup found. `known` with empty lists means the name exists but has no address of any
    /// family; a caller answers NOERROR with no records for the family that is missing (as dockerd does for AAAA
    /// on an IPv4-only network).
    public enum Lookup: Sendable, Hashable {
        case unknown
        case known(ipv4: [DNSIPv4Address], ipv6: [DNSIPv6Address])
    }

    private var endpoints: [String: DNSEndpointRecord] = [:]
    /// network → name → endpoint ids in insertion order.
    private var byName: [String: [DNSName: [String]]] = [:]
    /// address (4 or 16 bytes) → endpoint ids.
    private var byAddress: [[UInt8]: [String]] = [:]

    public init() {}

    public var endpointCount: Int { endpoints.count }

    /// Adds or replaces the endpoint `id`. Names that are not valid DNS names are skipped.
    public mutating func upsert(endpointID id: String, _ record: DNSEndpointRecord) {
        remove(endpointID: id)
        endpoints[id] = record
        for name in Self.dnsNames(record.names) {
            byName[record.network, default: [:]][name, default: []].append(id)
        }
        for address in record.ipv4.map(\.octets) + record.ipv6.map(\.octets) {
            byAddress[address, default: []].append(id)
        }
    }

    public mutating func remove(endpointID id: String) {
        guard let record = endpoints.removeValue(forKey: id) else { return }
        for name in Self.dnsNames(record.names) {
            byName[record.network]?[name]?.removeAll { $0 == id }
            if byName[record.network]?[name]?.isEmpty == true { byName[record.network]?[name] = nil }
        }
        if byName[record.network]?.isEmpty == true { byName[record.network] = nil }
        for address in record.ipv4.map(\.octets) + record.ipv6.map(\.octets) {
            byAddress[address]?.removeAll { $0 == id }
            if byAddress[address]?.isEmpty == true { byAddress[address] = nil }
        }
    }

    /// Looks `name` up in `networks`, in order; the first network that knows the name answers with every address
    /// registered under it there. `name.network` also finds `name` on that network (dockerd's form).
    public func lookup(_ name: DNSName, networks: [String]) -> Lookup {
        let folded = name.lowercased()
        for network in networks {
            if let ids = byName[network]?[folded], !ids.isEmpty { return collect(ids) }
        }
        for network in networks {
            guard let networkName = try? DNSName(network).lowercased(), !networkName.isRoot,
                folded.labelCount > networkName.labelCount, folded.isSubdomain(of: networkName)
            else { continue }
            let short = DNSName(uncheckedWire: Array(folded.wire.dropLast(networkName.wire.count)))
            if let ids = byName[network]?[short], !ids.isEmpty { return collect(ids) }
        }
        return .unknown
    }

    /// The name for an address on one of `networks`: `<first name>.<network>.`, as dockerd answers PTR queries.
    public func reverseLookup(_ octets: [UInt8], networks: [String]) -> DNSName? {
        guard let ids = byAddress[octets] else { return nil }
        for network in networks {
            for id in ids {
                guard let record = endpoints[id], record.network == network,
                    let first = Self.dnsNames(record.names).first
                else { continue }
                if let full = try? first.appending(DNSName(network)) { return full }
                return first
            }
        }
        return nil
    }

    private func collect(_ ids: [String]) -> Lookup {
        var ipv4: [DNSIPv4Address] = []
        var ipv6: [DNSIPv6Address] = []
        for id in ids {
            guard let record = endpoints[id] else { continue }
            for address in record.ipv4 where !ipv4.contains(address) { ipv4.append(address) }
            for address in record.ipv6 where !ipv6.contains(address) { ipv6.append(address) }
        }
        return .known(ipv4: ipv4, ipv6: ipv6)
    }

    private static func dnsNames(_ names: [String]) -> [DNSName] {
        var result: [DNSName] = []
        for text in names {
            guard let name = try? DNSName(text).lowercased(), !name.isRoot, !result.contains(name) else { continue }
            result.append(name)
        }
        return result
    }
}
