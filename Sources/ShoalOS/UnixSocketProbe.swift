import Glibc

/// Whether a process accepts connections on a unix socket (a daemon already serving there, one that came up).
public enum UnixSocketProbe {
    public static func isListening(_ path: String) -> Bool {
        guard let fd = connect(path, type: SOCK_STREAM) else { return false }
        close(fd)
        return true
    }

    /// A socket of `type` connected to `path` (for a datagram socket: its default destination), or nil.
    /// The caller closes it.
    public static func connect(_ path: String, type: __socket_type) -> Int32? {
        let fd = socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return nil
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }
}
