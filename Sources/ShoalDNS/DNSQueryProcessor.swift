/// The server's per-packet decisions, without I/O: what to do with the bytes a client sent, and the bytes to send
/// back once the resolver has answered.
public struct DNSQueryProcessor: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Not answerable: shorter than a header, or itself a response (answering responses invites loops).
        case drop
        /// Answer at once without the resolver (FORMERR, NOTIMP, BADVERS).
        case reply(DNSMessage)
        /// A well-formed query for the resolver.
        case resolve(DNSMessage)
    }

    public let resolver: any DNSResolver
    private let immediate: (any DNSImmediateResolver)?

    public init(resolver: any DNSResolver) {
        self.resolver = resolver
        immediate = resolver as? any DNSImmediateResolver
    }

    public static func classify(_ bytes: [UInt8]) -> Decision {
        guard let header = DNSMessage.decodeHeader(bytes), !header.isResponse else { return .drop }
        let query: DNSMessage
        do {
            query = try DNSMessage(decoding: bytes)
        } catch {
            // RFC 1035 §4.1.1: FORMERR, echoing only what could be read — the id, opcode and RD bit.
            var reply = DNSMessage(header: DNSHeader(
                id: header.id, isResponse: true, opcode: header.opcode, recursionDesired: header.recursionDesired
            ))
            reply.responseCode = .formatError
            return .reply(reply)
        }
        guard query.header.opcode == .query else {
            return .reply(DNSMessage.response(to: query, code: .notImplemented))
        }
        guard query.questions.count == 1 else {
            return .reply(DNSMessage.response(to: query, code: .formatError))
        }
        if let edns = query.edns, edns.version > 0 {
            // RFC 6891 §6.1.3: we speak EDNS version 0 only.
            return .reply(DNSMessage.response(to: query, code: .badVersion))
        }
        return .resolve(query)
    }

    /// Resolves and returns the reply bytes, cut to `maxBytes` with TC set when they do not fit.
    public func respond(to query: DNSMessage, maxBytes: Int) async -> [UInt8] {
        var reply = await resolver.resolve(query) ?? DNSMessage.response(to: query, code: .serverFailure)
        reply.header.id = query.header.id
        reply.header.isResponse = true
        return Self.encode(reply, query: query, maxBytes: maxBytes)
    }

    /// The reply bytes when the resolver can answer without waiting (see DNSImmediateResolver), else nil.
    public func respondNow(to query: DNSMessage, maxBytes: Int) -> [UInt8]? {
        guard var reply = immediate?.resolveNow(query) else { return nil }
        reply.header.id = query.header.id
        reply.header.isResponse = true
        return Self.encode(reply, query: query, maxBytes: maxBytes)
    }

    /// Encodes `reply` to fit `maxBytes`; a reply that cannot be encoded becomes SERVFAIL.
    public static func encode(_ reply: DNSMessage, query: DNSMessage?, maxBytes: Int) -> [UInt8] {
        if let bytes = try? reply.encoded(truncatingTo: maxBytes) { return bytes }
        var failure = query.map { DNSMessage.response(to: $0, code: .serverFailure) } ?? reply
        failure.answers = []
        failure.authority = []
        failure.additional = []
        failure.responseCode = .serverFailure
        return (try? failure.encoded(truncatingTo: maxBytes)) ?? []
    }
}
