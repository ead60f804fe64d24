extension DNSMessage {
    /// Encodes the message with name compression (RFC 1035 §4.1.4). Throws only for values that cannot be put on
    /// the wire: a section over 65535 records, RDATA or a TXT string over its length field.
    public func encoded(compress: Bool = true) throws(DNSError) -> [UInt8] {
        var writer = DNSWriter(compress: compress)
        try writer.writeMessage(self, answerLimit: answers.count, includeAuthority: true, includeAdditional: true)
        return writer.bytes
    }
}

/// Appends a message to a byte array, remembering where each name suffix was written so later names can point to
/// it. A suffix is remembered as (its first label folded to lower case, the offset of the rest of the name): looking
/// a name up walks its labels from the root down, one small hash lookup per label. Pointers hold 14-bit offsets,
/// so suffixes written past 0x3FFF are not remembered.
struct DNSWriter {
    private struct SuffixKey: Hashable {
        /// Offset where the rest of the name (after this label) was written; -1 for the root.
        var rest: Int
        var label: [UInt8]
    }

    private(set) var bytes: [UInt8] = []
    private var suffixOffsets: [SuffixKey: Int] = [:]
    private let compress: Bool

    init(compress: Bool) {
        self.compress = compress
        bytes.reserveCapacity(512)
    }

    mutating func writeMessage(
        _ message: DNSMessage, answerLimit: Int, includeAuthority: Bool, includeAdditional: Bool
    ) throws(DNSError) {
        let answerCount = min(answerLimit, message.answers.count)
        let authority = includeAuthority ? message.authority : []
        let additional = includeAdditional ? message.additional : []
        let additionalCount = additional.count + (message.edns == nil ? 0 : 1)
        for count in [message.questions.count, answerCount, authority.count, additionalCount] where count > 0xFFFF {
            throw .tooLarge
        }
        var header = message.header
        // RCODE's high bits live in the OPT record; without one only the low four bits can be expressed.
        header.rcodeLow = UInt8(message.responseCode.rawValue & 0x0F)
        writeUInt16(header.id)
        writeUInt16(header.flags)
        writeUInt16(UInt16(message.questions.count))
        writeUInt16(UInt16(answerCount))
        writeUInt16(UInt16(authority.count))
        writeUInt16(UInt16(additionalCount))
        for question in message.questions {
            writeName(question.name, compressible: true)
            writeUInt16(question.type.rawValue)
            writeUInt16(question.recordClass.rawValue)
        }
        for record in message.answers.prefix(answerCount) { try writeRecord(record) }
        for record in authority { try writeRecord(record) }
        for record in additional { try writeRecord(record) }
        if let edns = message.edns { try writeOPT(edns) }
    }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func writeUInt32(_ value: UInt32) {
        writeUInt16(UInt16(value >> 16))
        writeUInt16(UInt16(value & 0xFFFF))
    }

    /// Writes a name, replacing its longest already-written suffix with a pointer when `compressible`.
    mutating func writeName(_ name: DNSName, compressible: Bool) {
        let wire = name.wire
        guard compress, !wire.isEmpty else {
            bytes.append(contentsOf: wire)
            bytes.append(0)
            return
        }
        // Label start positions within `wire`.
        var starts: [Int] = []
        var index = 0
        while index < wire.count {
            starts.append(index)
            index += 1 + Int(wire[index])
        }
        func key(_ label: Int, rest: Int) -> SuffixKey {
            let start = starts[label]
            return SuffixKey(rest: rest, label: wire[(start + 1)...(start + Int(wire[start]))].map(DNSName.fold))
        }
        // Longest known suffix: walk from the last label while each (label, rest) pair is known.
        var matched = starts.count  // labels [matched…] are already on the wire
        var target = -1
        if compressible {
            while matched > 0, let offset = suffixOffsets[key(matched - 1, rest: target)] {
                matched -= 1
                target = offset
            }
        }
        // Write the unmatched labels, then remember each new suffix once we know where its rest lives.
        var written: [Int] = []
        for label in 0..<matched {
            written.append(bytes.count)
            let start = starts[label]
            bytes.append(contentsOf: wire[start...(start + Int(wire[start]))])
        }
        if target >= 0 {
            writeUInt16(0xC000 | UInt16(target))
        } else {
            bytes.append(0)
        }
        var rest = target
        for label in stride(from: matched - 1, through: 0, by: -1) {
            guard written[label] <= 0x3FFF else { break }
            suffixOffsets[key(label, rest: rest)] = written[label]
            rest = written[label]
        }
    }

    mutating func writeRecord(_ record: DNSResourceRecord) throws(DNSError) {
        writeName(record.name, compressible: true)
        writeUInt16(record.type.rawValue)
        writeUInt16(record.recordClass.rawValue)
        writeUInt32(record.ttl)
        let lengthAt = bytes.count
        writeUInt16(0)
        switch record.data {
        case .a(let address): writeUInt32(address.value)
        case .aaaa(let address): bytes.append(contentsOf: address.octets)
        case .ns(let name), .cname(let name), .ptr(let name): writeName(name, compressible: true)
        case .mx(let preference, let exchange):
            writeUInt16(preference)
            writeName(exchange, compressible: true)
        case .srv(let priority, let weight, let port, let target):
            writeUInt16(priority)
            writeUInt16(weight)
            writeUInt16(port)
            // RFC 2782: the target is not compressed.
            writeName(target, compressible: false)
        case .txt(let strings):
            for string in strings {
                guard string.count <= 255 else { throw .tooLarge }
                bytes.append(UInt8(string.count))
                bytes.append(contentsOf: string)
            }
        case .soa(let soa):
            writeName(soa.primaryServer, compressible: true)
            writeName(soa.mailbox, compressible: true)
            writeUInt32(soa.serial)
            writeUInt32(soa.refresh)
            writeUInt32(soa.retry)
            writeUInt32(soa.expire)
            writeUInt32(soa.minimumTTL)
        case .raw(_, let raw): bytes.append(contentsOf: raw)
        }
        try patchLength(at: lengthAt)
    }

    mutating func writeOPT(_ edns: DNSEDNS) throws(DNSError) {
        bytes.append(0)  // owner: the root
        writeUInt16(DNSRecordType.opt.rawValue)
        writeUInt16(edns.udpPayloadSize)
        writeUInt32(
            UInt32(edns.extendedRCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0)
                | UInt32(edns.otherFlags & 0x7FFF)
        )
        let lengthAt = bytes.count
        writeUInt16(0)
        bytes.append(contentsOf: edns.options)
        try patchLength(at: lengthAt)
    }

    private mutating func patchLength(at position: Int) throws(DNSError) {
        let length = bytes.count - position - 2
        guard length <= 0xFFFF else { throw .tooLarge }
        bytes[position] = UInt8(length >> 8)
        bytes[position + 1] = UInt8(length & 0xFF)
    }
}
