import CShoal
import Foundation
import Glibc
import ShoalCore
import ShoalOS

/// Which stream a chunk of container output came from (conmon's pipe ids: 2 stdout, 3 stderr; a tty is stdout).
public enum StdStream: UInt8, Sendable {
    case stdin = 1
    case stdout = 2
    case stderr = 3
}

public struct OutputChunk: Sendable, Equatable {
    public var stream: StdStream
    public var bytes: [UInt8]
}

/// A connection to conmon's attach socket (`<bundle>/attach`, SOCK_SEQPACKET): container output as it is
/// produced, and writes to the container's stdin (when it was created with `openStdin`). `output` is pulled:
/// a slow reader slows conmon and so the container, as with Docker's attach, and nothing piles up in memory.
/// The output ends when the process exits and conmon has drained it (or after `close()`).
public final class AttachSession: Sendable {
    public let output: AttachOutput
    private let writeFD: Int32
    private let controlFIFO: String

    /// conmon reads at most 32 KiB per record; stay well below.
    static let maxWrite = 8192

    init(directory: String) throws {
        let dirFD = cshoal_open_dir_path(directory)
        guard dirFD >= 0 else { throw ShoalError.system("open \(directory)") }
        let fd = cshoal_connect_seqpacket("/proc/self/fd/\(dirFD)/attach")
        Glibc.close(dirFD)
        if fd == -ECONNREFUSED || fd == -ENOENT {
            throw ShoalError.invalidState("cannot attach: the process is not running")
        }
        guard fd >= 0 else { throw ShoalError.system("connect to attach socket in \(directory)", errno: -fd) }
        // A second descriptor for writing, so reading and writing each have their own reactor registration.
        let writer = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard writer >= 0, cshoal_set_nonblocking(fd, 1) == 0, cshoal_set_nonblocking(writer, 1) == 0 else {
            let error = ShoalError.system("attach socket setup")
            Glibc.close(fd)
            if writer >= 0 { Glibc.close(writer) }
            throw error
        }
        writeFD = writer
        controlFIFO = directory + "/ctl"
        output = AttachOutput(socket: OwnedFD(fd))
    }

    deinit { Glibc.close(writeFD) }

    /// Sends bytes to the container's stdin.
    public func write(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + Self.maxWrite, bytes.count)
            let count = bytes[offset..<end].withUnsafeBytes { send(writeFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: try await IOReactor.shared.waitWritable(writeFD)
            default: throw ShoalError.system("write to attach socket")
            }
        }
    }

    /// Ends the container's stdin (conmon closes it when its attach client shuts down writing); output goes on.
    public func closeStdin() {
        shutdown(writeFD, Int32(SHUT_WR))
    }

    /// Resizes the process's terminal through conmon's control fifo (`<dir>/ctl`: "1 rows cols").
    public func resize(rows: UInt16, cols: UInt16) throws {
        try ConmonControl.resize(fifo: controlFIFO, rows: rows, cols: cols)
    }

    /// Disconnects: the output ends (the container keeps running; its stdin is closed unless the container was
    /// created with stdinOnce false).
    public func close() {
        shutdown(writeFD, Int32(SHUT_RDWR))
    }
}

/// A file descriptor closed when the last owner goes.
final class OwnedFD: Sendable {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { Glibc.close(fd) }
}

/// Output records from conmon's attach socket, read on demand. Iterate it from one task at a time.
public struct AttachOutput: AsyncSequence, Sendable {
    public typealias Element = OutputChunk
    let socket: OwnedFD

    public func makeAsyncIterator() -> Iterator { Iterator(socket: socket) }

    public struct Iterator: AsyncIteratorProtocol {
        let socket: OwnedFD
        var buffer = [UInt8](repeating: 0, count: 32 * 1024 + 1)

        public mutating func next() async throws -> OutputChunk? {
            let fd = socket.fd
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 1 {
                    // Byte 0 is conmon's pipe id.
                    return OutputChunk(stream: StdStream(rawValue: buffer[0]) ?? .stdout, bytes: Array(buffer[1..<count]))
                }
                if count == 1 { continue }
                if count == 0 { return nil }
                switch errno {
                case EINTR: continue
                case EAGAIN: try await IOReactor.shared.waitReadable(fd)
                case ECONNRESET: return nil
                default: throw ShoalError.system("read attach socket")
                }
            }
        }
    }
}

/// Messages to conmon's ctl fifo (`<type> <height> <width>\n`).
enum ConmonControl {
    static func resize(fifo: String, rows: UInt16, cols: UInt16) throws {
        try send(fifo: fifo, "1 \(rows) \(cols)\n", what: "resize")
    }

    /// Has conmon close its log file and open the log path again (type 2).
    static func reopenLog(fifo: String) throws {
        try send(fifo: fifo, "2 0 0\n", what: "reopen the log")
    }

    private static func send(fifo: String, _ message: String, what: String) throws {
        let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        // ENXIO: no reader on the fifo, i.e. conmon is gone because the process ended.
        if fd < 0 && errno == ENXIO { throw ShoalError.invalidState("cannot \(what): the process is not running") }
        guard fd >= 0 else { throw ShoalError.system("open \(fifo)") }
        defer { Glibc.close(fd) }
        let line = Array(message.utf8)
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw ShoalError.system("write \(fifo)") }
    }
}

extension ConmonRuntime {
    /// Connects to the container's attach socket (conmon's replacement for `docker attach`'s stream). Do it
    /// between `create` and `start` to see all output. Works after a daemon restart.
    public func attach(id: String) throws -> AttachSession {
        guard FileIO.exists(paths.socketLink(id)) else { throw RuntimeErrors.noSuchContainer(id) }
        return try AttachSession(directory: paths.socketLink(id))
    }

    /// Resizes the container's tty (conmon's ctl fifo in the bundle), e.g. for `POST /containers/ID/resize`.
    public func resize(id: String, rows: UInt16, cols: UInt16) throws {
        try ConmonControl.resize(fifo: paths.socketLink(id) + "/ctl", rows: rows, cols: cols)
    }
}
