import Glibc

/// Blocking TCP client calls for the namespace tests. Call them only inside `NetworkNamespace.run` (a dedicated
/// thread in the client's namespace): they block their thread, which must never be one of Swift's pool.
enum TCPProbe {
    enum Outcome: Equatable {
        /// The first line the server sent.
        case answer(String)
        /// connect, send or recv failed with this errno (EINPROGRESS or EAGAIN: the 3 s timeout).
        case failed(Int32)
    }

    /// Connects to `address:port` and reads the server's first line. On success the socket is returned open
    /// (the caller closes it, or keeps the connection for later `ask`s).
    static func connect(_ address: String, _ port: UInt16) -> (fd: Int32, outcome: Outcome) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, .failed(errno)) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        for option in [SO_SNDTIMEO, SO_RCVTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &sin.sin_addr)
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            return (-1, .failed(code))
        }
        let outcome = readLine(fd)
        if case .failed = outcome {
            close(fd)
            return (-1, outcome)
        }
        return (fd, outcome)
    }

    /// One connection: its first line, the socket closed.
    static func ask(_ address: String, _ port: UInt16) -> Outcome {
        let (fd, outcome) = connect(address, port)
        if fd >= 0 { close(fd) }
        return outcome
    }

    /// Sends a line on an open connection and reads the answer.
    static func ask(on fd: Int32) -> Outcome {
        let sent = "again\n".utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
        guard sent > 0 else { return .failed(errno) }
        return readLine(fd)
    }

    private static func readLine(_ fd: Int32) -> Outcome {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = recv(fd, &byte, 1, 0)
            if count < 0 { return .failed(errno) }
            if count == 0 || byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return line.isEmpty ? .failed(ECONNRESET) : .answer(String(decoding: line, as: UTF8.self))
    }
}
