extension DNSMessage {
    /// Decodes a message. Total: every byte sequence gives a message or a `DNSError`, in time linear in its size
    /// (each name costs at most 255 bytes of labels and `DNSReader.maxPointerJumps` jumps).
    public init(decoding bytes: [UInt8]) throws(DNSError) {
        guard bytes.count >= 12 else { throw .headerTruncated }
        var reader = DNSReader(bytes)
        let id = try reader.readUInt16("header")
        let flags = try reader.readUInt16("header")
        let questionCount = Int(try reader.readUInt16("header"))
        let answerCount = Int(try reader.readUInt16("header"))
        let authorityCount = Int(try reader.readUInt16("header"))
        let additionalCount = Int(try reader.readUInt16("header"))
        // Smallest encodings: a question is 5 bytes (root name + type + class), a record 11. Refusing impossible
        // counts up front keeps a 12-byte packet from making us reserve room for 65535 × 4 records.
        let minimum = questionCount * 5 + (answerCount + authorityCount + additionalCount) * 11
        guard minimum <= reader.remaining else { throw .countExceedsMessage }

        var message = DNSMessage(header: DNSHeader(id: id, flags: flags))
        message.questions.reserveCapacity(questionCount)
        for _ in 0..<questionCount {
            let name = try reader.readName()
            let type = DNSRecordType(rawValue: try reader.readUInt16("question"))
            let recordClass = DNSClass(rawValue: try reader.readUInt16("question"))
            message.questions.append(DNSQuestion(name: name, type: type, recordClass: recordClass))
        }
        message.answers = try reader.readRecords(answerCount, allowOPT: false, edns: &message.edns)
        message.authority = try reader.readRecords(authorityCount, allowOPT: false, edns: &message.edns)
        message.additional = try reader.readRecords(additionalCount, allowOPT: true, edns: &message.edns)
        // Bytes after the last record are ignored, as most resolvers do.
        self = message
    }

    /// Reads just the id and flags, for answering FORMERR to a message whose body does not decode.
    public static func decodeHeader(_ bytes: [UInt8]) -> DNSHeader? {
        guard bytes.count >= 12 else { return nil }
        return DNSHeader(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), flags: UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
    }
}

/// A bounds-checked cursor over a message. Every read checks the remaining length and throws instead of trapping.
struct DNSReader {
    /// Jumps one name may take. Pointers must point strictly backwards, so loops are already impossible; the budget
    /// bounds the work a long chain of backward pointers can cause (a name has at most 127 labels, so real
    /// messages never need more than that many jumps).
    static let maxPointerJumps = 128

    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func readUInt8(_ what: String) throws(DNSError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(what) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16(_ what: String) throws(DNSError) -> UInt16 {
        guard bytes.count - offset >= 2 else { throw .truncated(what) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32(_ what: String) throws(DNSError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw .truncated(what) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(DNSError) -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw .truncated(what) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a possibly compressed name (RFC 1035 §4.1.4) and leaves the cursor after its first pointer or root byte.
    mutating func readName() throws(DNSError) -> DNSName {
        var wire: [UInt8] = []
        var position = offset
        var resumeAt: Int? = nil
        var jumps = 0
        // Every pointer must land before everything this name has read so far, so targets strictly decrease:
        // no loop is possible, not even one through a label ("a" + pointer back to the "a").
        var limit = offset
        while true {
            guard position < bytes.count else { throw .truncated("name") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? (position + 1)
                    return DNSName(uncheckedWire: wire)
                }
                let count = Int(length)
                guard bytes.count - position - 1 >= count else { throw .truncated("label") }
                guard wire.count + count + 2 <= DNSName.maxWireLength else { throw .nameTooLong }
                wire.append(length)
                wire.append(contentsOf: bytes[(position + 1)...(position + count)])
                position += 1 + count
            case 0xC0:
                guard bytes.count - position >= 2 else { throw .truncated("compression pointer") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < limit, jumps < Self.maxPointerJumps else { throw .badPointer(offset: position) }
                limit = target
                jumps += 1
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
            default:
                throw .badLabelType(offset: position)
            }
        }
    }

    mutating func readRecords(
        _ count: Int, allowOPT: Bool, edns: inout DNSEDNS?
    ) throws(DNSError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let name = try readName()
            let type = DNSRecordType(rawValue: try readUInt16("record type"))
            let classValue = try readUInt16("record class")
            let ttl = try readUInt32("record TTL")
            let length = Int(try readUInt16("RDLENGTH"))
            guard remaining >= length else { throw .truncated("RDATA") }
            let end = offset + length
            if type == .opt {
                // RFC 6891 §6.1.1: one OPT, owner is the root, additional section only.
                guard allowOPT, edns == nil, name.isRoot else { throw .badOPT }
                edns = DNSEDNS(
                    udpPayloadSize: classValue, extendedRCode: UInt8(ttl >> 24), version: UInt8(ttl >> 16 & 0xFF),
                    dnssecOK: ttl & 0x8000 != 0, otherFlags: UInt16(ttl & 0x7FFF),
                    options: try readBytes(length, "OPT options")
                )
                continue
            }
            let data = try readRecordData(type: type, end: end)
            guard offset == end else { throw .badRData("\(type) RDATA shorter than RDLENGTH") }
            records.append(DNSResourceRecord(name: name, recordClass: DNSClass(rawValue: classValue), ttl: ttl, data: data))
        }
        return records
    }

    /// Reads RDATA that must end exactly at `end`. Names inside may use pointers into the whole message.
    mutating func readRecordData(type: DNSRecordType, end: Int) throws(DNSError) -> DNSRecordData {
        let length = end - offset
        func nameWithin(_ reader: inout DNSReader) throws(DNSError) -> DNSName {
            let name = try reader.readName()
            guard reader.offset <= end else { throw .badRData("\(type) name runs past RDLENGTH") }
            return name
        }
        switch type {
        case .a:
            guard length == 4 else { throw .badRData("A RDATA is \(length) bytes, not 4") }
            return .a(DNSIPv4Address(value: try readUInt32("A")))
        case .aaaa:
            guard length == 16 else { throw .badRData("AAAA RDATA is \(length) bytes, not 16") }
            return .aaaa(DNSIPv6Address(octets: try readBytes(16, "AAAA"))!)
        case .ns: return .ns(try nameWithin(&self))
        case .cname: return .cname(try nameWithin(&self))
        case .ptr: return .ptr(try nameWithin(&self))
        case .mx:
            guard length >= 3 else { throw .badRData("MX RDATA too short") }
            let preference = try readUInt16("MX")
            return .mx(preference: preference, exchange: try nameWithin(&self))
        case .srv:
            guard length >= 7 else { throw .badRData("SRV RDATA too short") }
            let priority = try readUInt16("SRV")
            let weight = try readUInt16("SRV")
            let port = try readUInt16("SRV")
            return .srv(priority: priority, weight: weight, port: port, target: try nameWithin(&self))
        case .txt:
            var strings: [[UInt8]] = []
            while offset < end {
                let count = Int(try readUInt8("TXT"))
                guard end - offset >= count else { throw .badRData("TXT string runs past RDLENGTH") }
                strings.append(try readBytes(count, "TXT"))
            }
            return .txt(strings)
        case .soa:
            let primary = try nameWithin(&self)
            let mailbox = try nameWithin(&self)
            guard end - offset == 20 else { throw .badRData("SOA RDATA has \(end - offset) bytes of counters, not 20") }
            return .soa(DNSStartOfAuthority(
                primaryServer: primary, mailbox: mailbox, serial: try readUInt32("SOA"),
                refresh: try readUInt32("SOA"), retry: try readUInt32("SOA"), expire: try readUInt32("SOA"),
                minimumTTL: try readUInt32("SOA")
            ))
        default:
            return .raw(type: type, bytes: try readBytes(length, "RDATA"))
        }
    }
}
