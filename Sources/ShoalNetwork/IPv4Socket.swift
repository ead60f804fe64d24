import Foundation
import ShoalCore

/// The one place that turns an IPv4 address and port into a `sockaddr_in` and binds a socket to it (the DNS
/// listeners and the host-port reservations both need it).
enum IPv4Socket {
    enum Failure: Error {
        /// `address` is not an IPv4 address.
        case badAddress
        /// `bind` failed with this errno.
        case bind(Int32)

        var text: String {
            switch self {
            case .badAddress: "invalid IPv4 address"
            case .bind(let code): String(cString: strerror(code))
            }
        }
    }

    /// A new IPv4 socket of `type` bound to `address:port`; on failure the socket is closed.
    static func bound(type: Int32, address: String, port: UInt16, flags: Int32 = 0, reuseAddress: Bool = false)
        throws -> Result<CInt, Failure>
    {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue) | flags, 0)
        guard fd >= 0 else { throw ShoalError.internalError("socket: \(String(cString: strerror(errno)))") }
        if reuseAddress {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(port).bigEndian
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else {
            close(fd)
            return .failure(.badAddress)
        }
        let result = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            return .failure(.bind(code))
        }
        return .success(fd)
    }
}
