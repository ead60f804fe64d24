/// The 12-byte header (RFC 1035 §4.1.1) without its counts, which follow from the sections.
public struct DNSHeader: Sendable, Hashable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: DNSOpcode
    public var isAuthoritative: Bool
    public var isTruncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// AD and CD (RFC 4035 §3.2): kept so a forwarded answer passes through unchanged.
    public var authenticData: Bool
    public var checkingDisabled: Bool
    /// The low four bits of the RCODE; `DNSMessage.responseCode` combines them with the EDNS0 extension.
    public var rcodeLow: UInt8

    public init(
        id: UInt16, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, rcodeLow: UInt8 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcodeLow = rcodeLow & 0x0F
    }

    /// The flags word: QR(15) OPCODE(14-11) AA(10) TC(9) RD(8) RA(7) Z(6) AD(5) CD(4) RCODE(3-0).
    public var flags: UInt16 {
        var word = UInt16(rcodeLow & 0x0F) | UInt16(opcode.rawValue & 0x0F) << 11
        if isResponse { word |= 0x8000 }
        if isAuthoritative { word |= 0x0400 }
        if isTruncated { word |= 0x0200 }
        if recursionDesired { word |= 0x0100 }
        if recursionAvailable { word |= 0x0080 }
        if authenticData { word |= 0x0020 }
        if checkingDisabled { word |= 0x0010 }
        return word
    }

    public init(id: UInt16, flags: UInt16) {
        self.init(
            id: id, isResponse: flags & 0x8000 != 0, opcode: DNSOpcode(rawValue: UInt8(flags >> 11 & 0x0F)),
            isAuthoritative: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0, rcodeLow: UInt8(flags & 0x0F)
        )
    }
}

public struct DNSQuestion: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: DNSClass

    public init(name: DNSName, type: DNSRecordType, recordClass: DNSClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// SOA RDATA (RFC 1035 §3.3.13).
public struct DNSStartOfAuthority: Sendable, Hashable {
    public var primaryServer: DNSName
    public var mailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimumTTL: UInt32

    public init(
        primaryServer: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimumTTL: UInt32
    ) {
        self.primaryServer = primaryServer
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimumTTL = minimumTTL
    }
}

/// RDATA by type. Types whose RDATA holds names that RFC 1035 servers compress (NS, CNAME, PTR, MX, SOA) must be
/// decoded, or a pointer inside them would dangle once the record moves to another message; newer types are kept
/// raw (RFC 3597 §4 forbids compression in them).
public enum DNSRecordData: Sendable, Hashable {
    case a(DNSIPv4Address)
    case aaaa(DNSIPv6Address)
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Character strings of at most 255 bytes each.
    case txt([[UInt8]])
    case soa(DNSStartOfAuthority)
    case raw(type: DNSRecordType, bytes: [UInt8])

    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .mx: .mx
        case .srv: .srv
        case .txt: .txt
        case .soa: .soa
        case .raw(let type, _): type
        }
    }
}

public struct DNSResourceRecord: Sendable, Hashable {
    public var name: DNSName
    public var recordClass: DNSClass
    public var ttl: UInt32
    public var data: DNSRecordData

    public var type: DNSRecordType { data.type }

    public init(name: DNSName, recordClass: DNSClass = .internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}

/// The EDNS0 OPT pseudo-record (RFC 6891 §6.1), lifted out of the additional section: at most one per message.
public struct DNSEDNS: Sendable, Hashable {
    /// The largest UDP reply the sender can reassemble (the OPT record's CLASS field).
    public var udpPayloadSize: UInt16
    /// The upper eight bits of the twelve-bit RCODE.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// The DO bit (RFC 3225).
    public var dnssecOK: Bool
    /// The remaining TTL flag bits (Z), kept for pass-through.
    public var otherFlags: UInt16
    /// The options (code, length, data …) as raw bytes.
    public var options: [UInt8]

    public init(
        udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
        otherFlags: UInt16 = 0, options: [UInt8] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags & 0x7FFF
        self.options = options
    }
}

/// A whole DNS message (RFC 1035 §4.1). Pure value: decode with `init(decoding:)`, encode with `encoded()`.
public struct DNSMessage: Sendable, Hashable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authority: [DNSResourceRecord]
    /// Additional records other than OPT (which lives in `edns`).
    public var additional: [DNSResourceRecord]
    public var edns: DNSEDNS?

    public init(
        header: DNSHeader, questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authority: [DNSResourceRecord] = [], additional: [DNSResourceRecord] = [], edns: DNSEDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// The full RCODE: the header's four bits, extended by the OPT record's eight when EDNS0 is present.
    public var responseCode: DNSResponseCode {
        get { DNSResponseCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeLow)) }
        set {
            header.rcodeLow = UInt8(newValue.rawValue & 0x0F)
            let high = UInt8(newValue.rawValue >> 4)
            if edns != nil { edns!.extendedRCode = high }
        }
    }

    /// A standard query for one name and type with RD set, as a stub resolver sends it.
    public static func query(
        id: UInt16, name: DNSName, type: DNSRecordType, recursionDesired: Bool = true, edns: DNSEDNS? = nil
    ) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: id, recursionDesired: recursionDesired),
            questions: [DNSQuestion(name: name, type: type)],
            edns: edns
        )
    }

    /// An empty response to `query`: same id, opcode, RD and questions; QR set; RA set because the chain recurses
    /// on the client's behalf. Echoes EDNS0 when the client used it (RFC 6891 §7), advertising our own size.
    public static func response(
        to query: DNSMessage, code: DNSResponseCode = .noError, answers: [DNSResourceRecord] = [],
        authoritative: Bool = false
    ) -> DNSMessage {
        var message = DNSMessage(
            header: DNSHeader(
                id: query.header.id, isResponse: true, opcode: query.header.opcode,
                isAuthoritative: authoritative, recursionDesired: query.header.recursionDesired,
                recursionAvailable: true, checkingDisabled: query.header.checkingDisabled
            ),
            questions: query.questions,
            answers: answers,
            edns: query.edns.map { _ in DNSEDNS(udpPayloadSize: DNSMessage.serverUDPPayloadSize) }
        )
        message.responseCode = code
        return message
    }

    /// The UDP payload size this server advertises and accepts (the DNS flag day 2020 value, safe from IP
    /// fragmentation on common paths).
    public static let serverUDPPayloadSize: UInt16 = 1232

    /// The largest UDP reply allowed for this query: 512 bytes (RFC 1035 §4.2.1) unless the client advertised more
    /// with EDNS0, capped by our own advertised size.
    public var maxUDPResponseSize: Int {
        guard let edns else { return 512 }
        return max(512, min(Int(edns.udpPayloadSize), Int(Self.serverUDPPayloadSize)))
    }
}
