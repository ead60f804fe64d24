import Foundation
import Glibc
import ShoalCore
import ShoalOS

/// One container's log on disk: the live file conmon writes (`<path>`) and the files rotated out of it
/// (`<path>.<n>`). `n` grows with each rotation and is never reused, so a reader that was reading one file knows
/// which came next even when several rotations happened meanwhile.
///
/// Rotation is the daemon's job, not conmon's (its `--log-size-max` throws the old file away): the daemon renames
/// the live file aside and asks conmon, over its ctl fifo, to reopen its log; conmon closes the renamed file and
/// creates a new live one. A container never waits for the daemon: while the daemon is down conmon keeps writing
/// and the live file only grows past its size until the daemon, back, rotates it.
public struct LogFiles: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    var directory: String {
        path.range(of: "/", options: .backwards).map { String(path[..<$0.lowerBound]) } ?? "."
    }

    var baseName: String {
        path.range(of: "/", options: .backwards).map { String(path[$0.upperBound...]) } ?? path
    }

    /// The rotated files, oldest first.
    public func rotated() -> [(sequence: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Self.sequences(names: names, base: baseName).map { ($0, path + ".\($0)") }
    }

    /// The rotation numbers among a directory's names (`container.log.3`; not conmon's `container.log.tmp`).
    static func sequences(names: [String], base: String) -> [Int] {
        let prefix = base + "."
        return names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            let suffix = name.dropFirst(prefix.count)
            guard !suffix.isEmpty, suffix.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(suffix)
        }.sorted()
    }

    /// The rotated files to delete so that at most `maxFiles` remain, the live one included: the oldest.
    static func expired(_ sequences: [Int], maxFiles: Int) -> [Int] {
        let keep = max(maxFiles - 1, 0)
        return sequences.count > keep ? Array(sequences.sorted().prefix(sequences.count - keep)) : []
    }

    /// The size of the live file (nil while it does not exist, e.g. mid-rotation).
    func liveSize() -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// Moves the live file aside as the next rotated file, has the writer reopen, and drops the oldest files.
    /// `reopen` returning false (no writer any more) leaves no live file until the next writer makes one.
    func rotate(maxFiles: Int, reopen: () -> Bool) throws {
        let next = (rotated().last?.sequence ?? 0) + 1
        guard rename(path, path + ".\(next)") == 0 else {
            if errno == ENOENT { return }
            throw ShoalError.system("rename \(path)")
        }
        _ = reopen()
        for sequence in Self.expired(rotated().map(\.sequence), maxFiles: maxFiles) {
            unlink(path + ".\(sequence)")
        }
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    static func inode(fd: Int32) -> UInt64? {
        var info = stat()
        return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : nil
    }
}
