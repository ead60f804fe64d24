/// Why a byte sequence is not a DNS message, or a value cannot be put on the wire. Decoding is total: every input
/// yields either a message or one of these.
public enum DNSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fewer bytes than the 12-byte header.
    case headerTruncated
    /// A field ran past the end of the message (what was being read is named).
    case truncated(String)
    /// The section counts ask for more records than the bytes could hold.
    case countExceedsMessage
    /// A compression pointer that does not point strictly backwards, or too many pointer jumps for one name.
    case badPointer(offset: Int)
    /// A label type other than a plain label or a pointer (the 0x40/0x80 prefixes of RFC 6891 §5).
    case badLabelType(offset: Int)
    /// A label over 63 bytes.
    case labelTooLong
    /// A name over 255 bytes in its uncompressed wire form.
    case nameTooLong
    /// An empty label inside a name written as text ("a..b").
    case emptyLabel
    /// RDATA whose length does not fit its record type.
    case badRData(String)
    /// More than one OPT record, or an OPT record outside the additional section or with a non-root owner.
    case badOPT
    /// A message too large for its encoding (a section over 65535 records, or RDATA over 65535 bytes).
    case tooLarge
    /// Text that is not an IP address.
    case badAddress(String)

    public var description: String {
        switch self {
        case .headerTruncated: "DNS message shorter than its 12-byte header"
        case .truncated(let what): "DNS message truncated while reading \(what)"
        case .countExceedsMessage: "DNS section counts exceed the message size"
        case .badPointer(let offset): "bad DNS compression pointer at offset \(offset)"
        case .badLabelType(let offset): "unsupported DNS label type at offset \(offset)"
        case .labelTooLong: "DNS label longer than 63 bytes"
        case .nameTooLong: "DNS name longer than 255 bytes"
        case .emptyLabel: "empty label in DNS name"
        case .badRData(let what): "malformed RDATA: \(what)"
        case .badOPT: "malformed or repeated EDNS0 OPT record"
        case .tooLarge: "DNS message too large to encode"
        case .badAddress(let text): "not an IP address: \(text)"
        }
    }
}
