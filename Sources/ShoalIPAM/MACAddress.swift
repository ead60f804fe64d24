/// A 48-bit Ethernet address, and the one Docker derives from a container's IPv4 address.
import ShoalCore

public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(ShoalError) {
        guard bytes.count == 6 else { throw IPAMError.invalidMAC(bytes.map { String($0, radix: 16) }.joined(separator: ":")) }
        self.bytes = bytes
    }

    /// Docker's derived address (libnetwork `netutils.GenerateMACFromIP`, used through Docker 25): 02:42 — a
    /// locally administered, unicast prefix — then the four IPv4 octets, so 172.17.0.2 gets 02:42:ac:11:00:02.
    /// The MAC is stable for an address, which keeps neighbour entries on other hosts valid across restarts.
    public init(derivedFrom address: IPv4Address) {
        bytes = [0x02, 0x42] + address.octets
    }

    /// Parses "02:42:ac:11:00:02" (or with "-"), as `docker run --mac-address` takes it.
    public init(parsing text: String) throws(ShoalError) {
        let separator: Character = text.contains("-") ? "-" : ":"
        let fields = text.split(separator: separator, omittingEmptySubsequences: false)
        guard fields.count == 6 else { throw IPAMError.invalidMAC(text) }
        var bytes: [UInt8] = []
        for field in fields {
            guard field.utf8.count == 2, let byte = UInt8(field, radix: 16) else { throw IPAMError.invalidMAC(text) }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    /// Lowercase, colon-separated: Docker's form.
    public var description: String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}

extension MACAddress: TextCodable {}
