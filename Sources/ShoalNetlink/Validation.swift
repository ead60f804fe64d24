import Glibc

/// Input checks done before anything is sent, so a caller's mistake reads as EINVAL naming the operation
/// instead of a kernel error about a malformed attribute.
enum Validate {
    /// IFNAMSIZ is 16 including the NUL.
    static func linkName(_ name: String, _ operation: String) throws(NetlinkError) {
        let length = name.utf8.count
        guard length > 0, length < 16, !name.utf8.contains(0), !name.contains("/") else {
            throw NetlinkError(errno: EINVAL, operation: operation, detail: "invalid link name")
        }
    }

    static func family(of address: [UInt8], _ operation: String) throws(NetlinkError) -> AddressFamily {
        guard let family = AddressFamily(addressLength: address.count) else {
            throw NetlinkError(errno: EINVAL, operation: operation, detail: "address must be 4 or 16 bytes")
        }
        return family
    }

    static func prefix(_ length: UInt8, _ family: AddressFamily, _ operation: String) throws(NetlinkError) {
        guard Int(length) <= family.addressLength * 8 else {
            throw NetlinkError(errno: EINVAL, operation: operation, detail: "prefix length too long")
        }
    }

    static func mac(_ mac: [UInt8], _ operation: String) throws(NetlinkError) {
        guard mac.count == 6 else {
            throw NetlinkError(errno: EINVAL, operation: operation, detail: "MAC address must be 6 bytes")
        }
    }
}

/// Human-readable forms used in operation names of errors.
enum Format {
    static func ip(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "default" }
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let ok = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            guard ok != nil else { return "?" }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        default:
            return bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
    }

    static func prefix(_ bytes: [UInt8]?, _ length: UInt8) -> String {
        bytes == nil ? "default" : "\(ip(bytes))/\(length)"
    }

    static func mac(_ bytes: [UInt8]) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}
