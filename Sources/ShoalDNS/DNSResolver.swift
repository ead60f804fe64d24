/// One link of the resolver chain. `nil` means "not mine": the chain asks the next link. A resolver never throws;
/// failures become DNS response codes (SERVFAIL for an upstream outage, NXDOMAIN for a name that cannot exist).
public protocol DNSResolver: Sendable {
    func resolve(_ query: DNSMessage) async -> DNSMessage?
}

/// A resolver that can answer some queries without suspending (local records need no I/O). The server answers
/// those on the event loop that read the query, sparing two thread hops: that is most of an answer's latency.
public protocol DNSImmediateResolver: DNSResolver {
    /// The answer when it can be given now; nil when the query needs `resolve` (which may wait).
    func resolveNow(_ query: DNSMessage) -> DNSMessage?
}

/// Local records first; names inside `localDomains` that are not local get NXDOMAIN (they must never leak to
/// upstream servers); everything else goes to the forwarder, or REFUSED when there is none (as dockerd answers on
/// a network without external DNS).
public struct ChainResolver: DNSImmediateResolver {
    public var local: any DNSResolver
    public var forwarder: (any DNSResolver)?
    public var localDomains: [DNSName]

    public init(local: any DNSResolver, forwarder: (any DNSResolver)?, localDomains: [DNSName] = []) {
        self.local = local
        self.forwarder = forwarder
        self.localDomains = localDomains
    }

    public func resolve(_ query: DNSMessage) async -> DNSMessage? {
        if let answer = await local.resolve(query) { return answer }
        if let question = query.questions.first,
            localDomains.contains(where: { question.name.isSubdomain(of: $0) })
        {
            return DNSMessage.response(to: query, code: .nameError, authoritative: true)
        }
        if let forwarder, let answer = await forwarder.resolve(query) { return answer }
        return DNSMessage.response(to: query, code: forwarder == nil ? .refused : .serverFailure)
    }

    /// What `resolve` would answer without the forwarder: local records, NXDOMAIN inside local domains, REFUSED
    /// with no forwarder. Nil when the forwarder must be asked (or the local resolver cannot answer now).
    public func resolveNow(_ query: DNSMessage) -> DNSMessage? {
        guard let local = local as? any DNSImmediateResolver else { return nil }
        if let answer = local.resolveNow(query) { return answer }
        if let question = query.questions.first,
            localDomains.contains(where: { question.name.isSubdomain(of: $0) })
        {
            return DNSMessage.response(to: query, code: .nameError, authoritative: true)
        }
        return forwarder == nil ? DNSMessage.response(to: query, code: .refused) : nil
    }
}
