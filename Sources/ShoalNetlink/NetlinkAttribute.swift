/// One rtnetlink attribute (struct nlattr + payload): a type and either raw bytes or nested attributes.
/// Nested payloads may start with a fixed header (VETH_INFO_PEER carries a whole ifinfomsg before its attributes).
struct NetlinkAttribute: Sendable, Equatable {
    enum Payload: Sendable, Equatable {
        case bytes([UInt8])
        case nested(header: [UInt8], attributes: [NetlinkAttribute])
    }

    var type: UInt16
    var payload: Payload

    init(_ type: UInt16, bytes: [UInt8]) {
        self.type = type
        self.payload = .bytes(bytes)
    }

    init(_ type: UInt16, nested attributes: [NetlinkAttribute], header: [UInt8] = []) {
        self.type = type
        self.payload = .nested(header: header, attributes: attributes)
    }

    static func u8(_ type: UInt16, _ value: UInt8) -> Self { .init(type, bytes: [value]) }

    static func u32(_ type: UInt16, _ value: UInt32) -> Self {
        var w = ByteWriter()
        w.u32(value)
        return .init(type, bytes: w.bytes)
    }

    static func i32(_ type: UInt16, _ value: Int32) -> Self { u32(type, UInt32(bitPattern: value)) }

    /// A 16-bit value in network byte order (e.g. IFLA_VXLAN_PORT).
    static func be16(_ type: UInt16, _ value: UInt16) -> Self {
        .init(type, bytes: [UInt8(value >> 8), UInt8(value & 0xff)])
    }

    /// A NUL-terminated string (IFLA_IFNAME).
    static func string(_ type: UInt16, _ value: String) -> Self { .init(type, bytes: Array(value.utf8) + [0]) }

    /// A string without terminator: iproute2 sends IFLA_INFO_KIND this way and the kernel accepts both.
    static func unterminated(_ type: UInt16, _ value: String) -> Self { .init(type, bytes: Array(value.utf8)) }

    /// Appends nla_len, nla_type, the payload and padding to 4 bytes; nla_len excludes the trailing padding.
    func encode(into writer: inout ByteWriter) {
        let start = writer.bytes.count
        writer.u16(0)
        writer.u16(type)
        switch payload {
        case .bytes(let bytes):
            writer.raw(bytes)
        case .nested(let header, let attributes):
            writer.raw(header)
            writer.align()
            for attribute in attributes { attribute.encode(into: &writer) }
        }
        writer.patchU16(UInt16(writer.bytes.count - start), at: start)
        writer.align()
    }
}
