import Glibc
import ShoalCore

/// Writes files so readers see the old content or the new, never half of it: temp file in the same directory,
/// then rename. `durable` adds fsync of the file and the directory, for state that must survive a power cut.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = false) throws {
        let temp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ShoalError.system("create \(temp)") }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = ShoalError.system("write \(temp)")
                close(fd)
                unlink(temp)
                throw error
            }
            offset += count
        }
        if durable && fsync(fd) != 0 {
            let error = ShoalError.system("fsync \(temp)")
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            let error = ShoalError.system("rename \(temp) to \(path)")
            unlink(temp)
            throw error
        }
        if durable {
            let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            let dirFD = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dirFD >= 0 {
                _ = fsync(dirFD)
                close(dirFD)
            }
        }
    }

    public static func write(_ string: String, to path: String, mode: mode_t = 0o644, durable: Bool = false) throws {
        try write(Array(string.utf8), to: path, mode: mode, durable: durable)
    }
}
