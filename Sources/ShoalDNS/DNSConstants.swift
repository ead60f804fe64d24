/// Record TYPE values (RFC 1035 §3.2.2, RFC 3596 §2.1, RFC 2782, RFC 6891 §6.1.1). A struct rather than an enum so
/// every 16-bit value decodes: types we do not interpret keep their RDATA raw.
public struct DNSRecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = Self(rawValue: 1)
    public static let ns = Self(rawValue: 2)
    public static let cname = Self(rawValue: 5)
    public static let soa = Self(rawValue: 6)
    public static let ptr = Self(rawValue: 12)
    public static let mx = Self(rawValue: 15)
    public static let txt = Self(rawValue: 16)
    public static let aaaa = Self(rawValue: 28)
    public static let srv = Self(rawValue: 33)
    public static let opt = Self(rawValue: 41)
    /// QTYPE `*` (RFC 1035 §3.2.3).
    public static let any = Self(rawValue: 255)

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// CLASS values (RFC 1035 §3.2.4). Only IN matters to us; others pass through.
public struct DNSClass: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let internet = Self(rawValue: 1)
    public static let chaos = Self(rawValue: 3)
    public static let any = Self(rawValue: 255)

    public var description: String { self == .internet ? "IN" : "CLASS\(rawValue)" }
}

/// OPCODE (RFC 1035 §4.1.1): four bits of the header flags.
public struct DNSOpcode: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    public static let query = Self(rawValue: 0)
    public static let status = Self(rawValue: 2)
    public static let notify = Self(rawValue: 4)
    public static let update = Self(rawValue: 5)
}

/// RCODE (RFC 1035 §4.1.1). Header RCODEs are four bits; EDNS0 extends them to twelve (RFC 6891 §6.1.3), which
/// `DNSMessage` splits between the header and the OPT record.
public struct DNSResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let noError = Self(rawValue: 0)
    public static let formatError = Self(rawValue: 1)
    public static let serverFailure = Self(rawValue: 2)
    public static let nameError = Self(rawValue: 3)
    public static let notImplemented = Self(rawValue: 4)
    public static let refused = Self(rawValue: 5)
    /// EDNS version not supported (RFC 6891 §6.1.3); needs an OPT record to be expressed.
    public static let badVersion = Self(rawValue: 16)

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}
