import Foundation
import ShoalCore

/// Holds a host port while a container publishes it, the way docker-proxy's listening socket holds it: a socket
/// bound (not listening) to the host address and port. Another program binding the port then fails instead of
/// silently losing its traffic to our DNAT rule, and a port another program already holds is refused here.
public final class HostPortReservation: Sendable {
    public let proto: String
    public let hostIP: String
    public let port: UInt16
    private let fd: CInt

    init(proto: String, hostIP: String, port: UInt16, fd: CInt) {
        self.proto = proto
        self.hostIP = hostIP
        self.port = port
        self.fd = fd
    }

    deinit { close(fd) }

    /// Binds `hostIP:port` (`0.0.0.0` for every address). Throws Docker's "address already in use" error when
    /// something else on the host holds it.
    public static func reserve(proto: String, hostIP: String, port: UInt16) throws -> HostPortReservation {
        let type = proto == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let host = hostIP.isEmpty ? "0.0.0.0" : hostIP
        let fd: CInt
        switch try IPv4Socket.bound(type: type, address: host, port: port) {
        case .success(let bound):
            fd = bound
        case .failure(.badAddress):
            throw ShoalError.invalidArgument("invalid IP address in port binding: \(hostIP)")
        case .failure(.bind(let code)):
            let address = "\(host):\(port)"
            if code == EADDRINUSE {
                throw ShoalError.internalError(
                    "Error starting userland proxy: listen \(proto)4 \(address): bind: address already in use")
            }
            if code == EADDRNOTAVAIL {
                throw ShoalError.internalError(
                    "Error starting userland proxy: listen \(proto)4 \(address): bind: cannot assign requested address")
            }
            throw ShoalError.internalError("bind \(proto) \(address): \(String(cString: strerror(code)))")
        }
        return HostPortReservation(proto: proto, hostIP: hostIP, port: port, fd: fd)
    }
}
