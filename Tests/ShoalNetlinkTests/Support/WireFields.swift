/// An independent reader of netlink request bytes for the golden tests: it turns a request into a list of named
/// fields ("nlmsg_flags 0x0605", "[18.2.1] nested, header 00 00 …") so a mismatch between our encoder and
/// iproute2 shows as the one field that differs. It deliberately shares no code with ShoalNetlink.
enum WireFields {
    struct Attribute {
        let path: [UInt16]
        let length: Int
        let payload: [UInt8]
        var header: [UInt8] = []
        var children: [Attribute]? = nil
    }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    /// Family header length by message type (ifinfomsg 16, ifaddrmsg 8, rtmsg 12, ndmsg 12).
    static func familyHeaderLength(type: Int) -> Int {
        switch type {
        case 16...19: 16
        case 20...22: 8
        default: 12
        }
    }

    static func attributes(_ b: [UInt8], path: [UInt16]) -> [Attribute] {
        var result: [Attribute] = []
        var offset = 0
        while offset + 4 <= b.count {
            let length = u16(b, offset)
            guard length >= 4, offset + length <= b.count else {
                result.append(Attribute(path: path + [0xffff], length: length, payload: Array(b[offset...])))
                break
            }
            let type = UInt16(u16(b, offset + 2))
            result.append(Attribute(path: path + [type], length: length, payload: Array(b[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return result
    }

    /// Link messages nest IFLA_LINKINFO(18) → IFLA_INFO_DATA(2); a veth's INFO_DATA holds VETH_INFO_PEER(1), an
    /// ifinfomsg followed by attributes. Everything else is a leaf.
    static func tree(_ bytes: [UInt8]) -> (type: Int, attributes: [Attribute]) {
        let type = u16(bytes, 4)
        var top = attributes(Array(bytes.dropFirst(16 + familyHeaderLength(type: type))), path: [])
        guard (16...19).contains(type) else { return (type, top) }
        for i in top.indices where top[i].path == [18] {
            var info = attributes(top[i].payload, path: [18])
            let kind = info.first { $0.path == [18, 1] }.map { String(decoding: $0.payload.prefix { $0 != 0 }, as: UTF8.self) }
            for j in info.indices where info[j].path == [18, 2] {
                var data = attributes(info[j].payload, path: [18, 2])
                if kind == "veth" {
                    for k in data.indices where data[k].path == [18, 2, 1] {
                        data[k].header = Array(data[k].payload.prefix(16))
                        data[k].children = attributes(Array(data[k].payload.dropFirst(16)), path: [18, 2, 1])
                    }
                }
                info[j].children = data
            }
            top[i].children = info
        }
        return (type, top)
    }

    static func describe(_ bytes: [UInt8]) -> [String] {
        guard bytes.count >= 16 else { return ["short message: \(hexString(bytes))"] }
        let (type, attributes) = tree(bytes)
        let headerEnd = min(bytes.count, 16 + familyHeaderLength(type: type))
        var lines = [
            "nlmsg_len \(u32(bytes, 0)) (buffer \(bytes.count))",
            "nlmsg_type \(type)",
            "nlmsg_flags 0x" + String(u16(bytes, 6), radix: 16),
            "nlmsg_seq \(u32(bytes, 8))",
            "nlmsg_pid \(u32(bytes, 12))",
            "family header " + hexString(bytes[16..<headerEnd]),
        ]
        func walk(_ list: [Attribute]) {
            for a in list {
                let name = "[" + a.path.map(String.init).joined(separator: ".") + "] len \(a.length)"
                if let children = a.children {
                    lines.append(name + " nested" + (a.header.isEmpty ? "" : ", header " + hexString(a.header)))
                    walk(children)
                } else {
                    lines.append(name + ": " + hexString(a.payload))
                }
            }
        }
        walk(attributes)
        return lines
    }

    /// The first attribute of `type` anywhere in the tree (e.g. IFLA_NET_NS_FD = 28), as a u32.
    static func findU32(_ bytes: [UInt8], type: UInt16) -> UInt32? {
        func search(_ list: [Attribute]) -> UInt32? {
            for a in list {
                if a.path.last == type, a.children == nil, a.payload.count == 4 { return u32(a.payload, 0) }
                if let children = a.children, let found = search(children) { return found }
            }
            return nil
        }
        return search(tree(bytes).attributes)
    }

    /// Removes every top-level attribute of `type` and fixes nlmsg_len (normalises what iproute2 adds and we omit).
    static func droppingTopLevel(_ type: UInt16, from bytes: [UInt8]) -> [UInt8] {
        let start = 16 + familyHeaderLength(type: u16(bytes, 4))
        var out = Array(bytes[0..<start])
        var offset = start
        while offset + 4 <= bytes.count {
            let length = u16(bytes, offset)
            let padded = (length + 3) & ~3
            if UInt16(u16(bytes, offset + 2)) != type { out += bytes[offset..<min(bytes.count, offset + padded)] }
            offset += padded
        }
        let length = UInt32(out.count)
        for i in 0..<4 { out[i] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(i))) }
        return out
    }
}
