import Foundation
import ShoalCore
import ShoalOS

/// The embedded DNS server's sockets inside a container's namespace: UDP and TCP on 127.0.0.11:53, made from a
/// thread that entered the namespace (so they live there) and handed to the event loop by the caller. The TCP
/// socket is already listening (NIO does not listen on an adopted socket).
public enum DNSSockets {
    public static let address = "127.0.0.11"

    /// Binds both sockets in the namespace at `sandbox`; `lo` must be up there. The caller owns the descriptors.
    public static func open(in sandbox: String) async throws -> (udp: CInt, tcp: CInt) {
        try await NetworkNamespace.run(in: sandbox) {
            let udp = try bound(type: Int32(SOCK_DGRAM.rawValue))
            do {
                let tcp = try bound(type: Int32(SOCK_STREAM.rawValue))
                guard listen(tcp, 128) == 0 else {
                    let text = String(cString: strerror(errno))
                    close(tcp)
                    throw ShoalError.internalError("listen on \(address):53/tcp: \(text)")
                }
                return (udp, tcp)
            } catch {
                close(udp)
                throw error
            }
        }
    }

    private static func bound(type: Int32) throws -> CInt {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw ShoalError.internalError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(53).bigEndian
        inet_pton(AF_INET, address, &sin.sin_addr)
        let result = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let text = String(cString: strerror(errno))
            close(fd)
            throw ShoalError.internalError("bind \(address):53: \(text)")
        }
        return fd
    }
}
