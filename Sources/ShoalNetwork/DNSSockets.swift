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
        switch try IPv4Socket.bound(type: type, address: address, port: 53, flags: Int32(SOCK_NONBLOCK.rawValue),
                                    reuseAddress: true) {
        case .success(let fd): return fd
        case .failure(let error): throw ShoalError.internalError("bind \(address):53: \(error.text)")
        }
    }
}
