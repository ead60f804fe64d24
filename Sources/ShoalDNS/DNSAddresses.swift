#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 address as carried in A records. Kept local to the codec so it stays free of socket types.
public struct DNSIPv4Address: Sendable, Hashable, CustomStringConvertible {
    /// The address as a host-order integer: 10.0.0.1 is 0x0A00_0001.
    public var value: UInt32

    public init(value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public init(_ text: String) throws(DNSError) {
        var parts: [UInt8] = []
        for piece in text.split(separator: ".", omittingEmptySubsequences: false) {
            // Decimal only, no leading zeros (they mean octal to inet_aton; refuse the ambiguity).
            guard !piece.isEmpty, piece.count <= 3, piece.allSatisfy({ $0.isASCII && $0.isNumber }),
                piece == "0" || !piece.hasPrefix("0"), let value = UInt8(piece)
            else { throw .badAddress(text) }
            parts.append(value)
        }
        guard parts.count == 4 else { throw .badAddress(text) }
        self.init(parts[0], parts[1], parts[2], parts[3])
    }

    public var octets: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    public var description: String { octets.map(String.init).joined(separator: ".") }
}

/// An IPv6 address as carried in AAAA records (RFC 3596).
public struct DNSIPv6Address: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes in network order.
    public private(set) var octets: [UInt8]

    public init?(octets: [UInt8]) {
        guard octets.count == 16 else { return nil }
        self.octets = octets
    }

    public init(_ text: String) throws(DNSError) {
        var storage = in6_addr()
        let parsed = text.withCString { inet_pton(AF_INET6, $0, &storage) }
        guard parsed == 1 else { throw .badAddress(text) }
        octets = withUnsafeBytes(of: &storage) { Array($0) }
    }

    public var description: String {
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { raw in
            for (index, byte) in octets.enumerated() { raw[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let text = buffer.withUnsafeMutableBufferPointer { out -> String? in
            guard inet_ntop(AF_INET6, &storage, out.baseAddress, socklen_t(INET6_ADDRSTRLEN)) != nil else {
                return nil
            }
            return String(cString: out.baseAddress!)
        }
        return text ?? "::"
    }
}
