import CShoal
import Glibc
import ShoalCore

/// Non-blocking reads and writes on raw fds, suspending on the `IOReactor` instead of blocking a thread.
public enum FileIO {
    /// A pipe whose ends are both close-on-exec (so no concurrently spawned process inherits them).
    public static func pipe(nonBlockingRead: Bool = true) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard cshoal_pipe_cloexec(&fds, nonBlockingRead ? 1 : 0) == 0 else { throw ShoalError.system("pipe2") }
        return (fds[0], fds[1])
    }

    public static func setNonBlocking(_ fd: Int32, _ on: Bool = true) throws {
        guard cshoal_set_nonblocking(fd, on ? 1 : 0) == 0 else { throw ShoalError.system("fcntl(O_NONBLOCK)") }
    }

    /// Reads what is available (up to `maxCount`), waiting for data; nil at end of file. The fd must be non-blocking.
    public static func read(_ fd: Int32, maxCount: Int = 65536) async throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: maxCount)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maxCount) }
            if count > 0 { return Array(buffer[0..<count]) }
            if count == 0 { return nil }
            switch errno {
            case EINTR: continue
            case EAGAIN: try await IOReactor.shared.waitReadable(fd)
            default: throw ShoalError.system("read")
            }
        }
    }

    /// Reads until end of file, keeping at most `limit` bytes (the rest is drained and dropped).
    public static func readToEnd(_ fd: Int32, limit: Int = 16 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try await read(fd) {
            if out.count < limit { out.append(contentsOf: chunk.prefix(limit - out.count)) }
        }
        return out
    }

    /// Writes every byte, waiting while the fd is full. The fd must be non-blocking.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: try await IOReactor.shared.waitWritable(fd)
            default: throw ShoalError.system("write")
            }
        }
    }

    /// Reads a whole (small) file synchronously; nil when it does not exist.
    public static func readFile(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ShoalError.system("open \(path)")
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 65536) }
            if count == 0 { return out }
            if count < 0 {
                if errno == EINTR { continue }
                throw ShoalError.system("read \(path)")
            }
            out.append(contentsOf: buffer[0..<count])
        }
    }

    public static func readString(_ path: String) throws -> String? {
        try readFile(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Creates a directory and its parents (mode 0700 for new ones unless given); existing ones are fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        if mkdir(path, mode) == 0 || errno == EEXIST { return }
        if errno == ENOENT {
            let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            if !parent.isEmpty && parent != path {
                try makeDirectory(parent, mode: mode)
                if mkdir(path, mode) == 0 || errno == EEXIST { return }
            }
        }
        throw ShoalError.system("mkdir \(path)")
    }

    /// Removes a file, an empty directory or a whole tree (not crossing mount points is the caller's job:
    /// unmount first). Missing paths are fine.
    public static func removeTree(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return }
            throw ShoalError.system("lstat \(path)")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if let dir = opendir(path) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for name in names { try removeTree(path + "/" + name) }
            }
            if rmdir(path) != 0 && errno != ENOENT { throw ShoalError.system("rmdir \(path)") }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw ShoalError.system("unlink \(path)")
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// `getfattr -h -n NAME PATH`: the value of an extended attribute of the path itself (not of a symlink's
    /// target), nil when it has none or it cannot be read. Values up to `limit` bytes.
    public static func extendedAttribute(_ path: String, _ name: String, limit: Int = 256) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: limit)
        let length = cshoal_lgetxattr(path, name, &value, UInt(limit))
        return length < 0 ? nil : Array(value.prefix(length))
    }
}
