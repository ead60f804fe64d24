import CShoal
import Glibc
import ShoalCore
import ShoalOS

/// `docker logs` entries from a k8s-file log; iterate from one task at a time.
public struct K8sLogStream: AsyncSequence, Sendable {
    public typealias Element = LogEntry
    let path: String
    let options: LogOptions
    let watchDir: String?
    let isFinished: @Sendable () -> Bool

    public func makeAsyncIterator() -> Iterator {
        Iterator(cursor: LogCursor(path: path, options: options, watchDir: watchDir, isFinished: isFinished))
    }

    public struct Iterator: AsyncIteratorProtocol {
        let cursor: LogCursor
        public mutating func next() async throws -> LogEntry? { try await cursor.next() }
    }

    /// The same entries in batches: what each read of the file gave (for readers that write in bulk).
    public var batches: Batches { Batches(stream: self) }

    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [LogEntry]
        let stream: K8sLogStream

        public func makeAsyncIterator() -> Iterator {
            Iterator(cursor: LogCursor(path: stream.path, options: stream.options, watchDir: stream.watchDir,
                                       isFinished: stream.isFinished))
        }

        public struct Iterator: AsyncIteratorProtocol {
            let cursor: LogCursor
            public mutating func next() async throws -> [LogEntry]? { try await cursor.nextBatch() }
        }
    }
}

/// Reading position in a container's log: the open file (live or rotated, see `LogFiles`), its offset, a partial
/// record carried over, pieces of lines not yet complete, and entries parsed but not yet handed out.
final class LogCursor {
    let files: LogFiles
    let options: LogOptions
    let watchDir: String?
    let isFinished: @Sendable () -> Bool
    private var fd: Int32 = -1
    /// The rotation number of the open file, or for the live file the newest number seen when it was opened:
    /// files rotated later have larger numbers.
    private var sequence = 0
    private var watcher: Int32 = -1
    private var opened = false
    private var done = false
    private var offset: off_t = 0
    private var carry: [UInt8] = []
    private var ready: [LogEntry] = []
    private var readyIndex = 0
    private var assembler = K8sLogReader.Assembler()
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(path: String, options: LogOptions, watchDir: String?, isFinished: @escaping @Sendable () -> Bool) {
        files = LogFiles(path: path)
        self.options = options
        self.watchDir = watchDir
        self.isFinished = isFinished
    }

    deinit {
        if fd >= 0 { close(fd) }
        if watcher >= 0 { close(watcher) }
    }

    /// The next parsed entry that passes the options, without reading: nil once those parsed are used up.
    private func takeReady() -> LogEntry? {
        while readyIndex < ready.count {
            let entry = ready[readyIndex]
            readyIndex += 1
            if let until = options.until, entry.timestamp > until {
                done = true
                ready = []
                readyIndex = 0
                return nil
            }
            if let since = options.since, entry.timestamp < since { continue }
            if entry.stream == .stdout && !options.stdout { continue }
            if entry.stream == .stderr && !options.stderr { continue }
            return entry
        }
        return nil
    }

    /// The next entry and every other one already read (one read of the file holds many): nil at the end.
    func nextBatch() async throws -> [LogEntry]? {
        guard let first = try await next() else { return nil }
        var batch = [first]
        while let entry = takeReady() { batch.append(entry) }
        return batch
    }

    func next() async throws -> LogEntry? {
        if !opened {
            opened = true
            try await open()
        }
        while true {
            if let entry = takeReady() { return entry }
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            if done || fd < 0 { return nil }
            try Task.checkCancellation()
            try await fill()
        }
    }

    private func open() async throws {
        // The live file and the rotated ones as of one moment: a rotation between the listing and the open would
        // give a live file newer than the listing, the reader would take the file rotated meanwhile for a newer one
        // and read it after the live file, then the live file again (seen under load: a hundred lines twice).
        var rotated = files.rotated()
        var openError: Int32 = 0
        while true {
            fd = Glibc.open(files.path, O_RDONLY | O_CLOEXEC)
            openError = fd < 0 ? errno : 0
            let after = files.rotated()
            if after.map(\.sequence) == rotated.map(\.sequence) { break }
            if fd >= 0 { close(fd) }
            rotated = after
        }
        sequence = rotated.last?.sequence ?? 0
        if fd < 0 && openError == ENOENT && options.follow && rotated.isEmpty {
            // conmon creates the log at create time; a reader may come first.
            fd = await K8sLogReader.waitForFile(files.path, isFinished: isFinished)
            openError = fd < 0 ? errno : 0
        }
        if fd < 0 && openError != ENOENT { throw ShoalError.system("open \(files.path)") }
        if options.follow {
            watcher = cshoal_inotify_init()
            if watcher >= 0 {
                // The live file, its directory (a rotation makes a new live file) and e.g. the exit directory.
                _ = cshoal_inotify_add(watcher, files.path)
                _ = cshoal_inotify_add(watcher, files.directory)
                if let watchDir { _ = cshoal_inotify_add(watcher, watchDir) }
            }
        }
        if let tail = options.tail, tail <= 0 {
            if !options.follow {
                done = true
            } else if fd >= 0 {
                offset = lseek(fd, 0, SEEK_END)
            }
            return
        }
        try seekToStart(rotated: rotated, tail: options.tail)
    }

    /// Positions the cursor at the oldest file, or where the last `tail` messages start, which may be in a
    /// rotated file.
    private func seekToStart(rotated: [(sequence: Int, path: String)], tail: Int?) throws {
        // A reader that finds no live file (mid-rotation, or a container that never ran) starts from the
        // rotated ones, if any.
        var remaining = tail ?? Int.max
        if fd >= 0, let tail {
            let (start, found) = try K8sLogReader.tailStart(fd: fd, count: tail)
            if found >= tail {
                offset = start
                return
            }
            remaining -= found
        }
        // Older files, newest first, until one holds the start (or the oldest is reached).
        for file in rotated.reversed() {
            let older = Glibc.open(file.path, O_RDONLY | O_CLOEXEC)
            guard older >= 0 else { continue }
            if fd >= 0 { close(fd) }
            fd = older
            sequence = file.sequence
            offset = 0
            if tail != nil {
                let (start, found) = try K8sLogReader.tailStart(fd: fd, count: remaining)
                if found >= remaining {
                    offset = start
                    return
                }
                remaining -= found
            }
        }
    }

    /// The file written after the open one, if the open one was rotated and a newer file exists: a rotated
    /// file with a larger number (skipping the open file's own new name), else a new live file.
    ///
    /// The live file is opened by name after the listing, so the writer may rotate in between: the open file then
    /// has a newer name than the listing showed (its number must count as seen, or it would be read again after
    /// the switch), or another file was rotated before the one opened (read first, in order). A listing after the
    /// open tells both apart.
    private func nextFile() -> (fd: Int32, sequence: Int)? {
        guard let current = LogFiles.inode(fd: fd) else { return nil }
        while true {
            // The common case, checked with one stat: the open file is still the live one.
            if LogFiles.inode(files.path) == current { return nil }
            for file in files.rotated() where file.sequence > sequence {
                if LogFiles.inode(file.path) == current {
                    sequence = file.sequence
                    continue
                }
                let newer = Glibc.open(file.path, O_RDONLY | O_CLOEXEC)
                if newer >= 0 { return (newer, file.sequence) }
            }
            let newer = Glibc.open(files.path, O_RDONLY | O_CLOEXEC)
            guard newer >= 0 else { return nil }
            guard let live = LogFiles.inode(fd: newer), live != current else {
                close(newer)
                return nil
            }
            let after = files.rotated().filter { $0.sequence > sequence }
            if after.contains(where: { LogFiles.inode($0.path) != current }) {
                close(newer)
                continue
            }
            return (newer, after.last?.sequence ?? sequence)
        }
    }

    private func switchTo(_ next: (fd: Int32, sequence: Int)) {
        close(fd)
        fd = next.fd
        sequence = next.sequence
        offset = 0
        carry = []
    }

    /// Reads more of the log into `ready`; at the end of a file moves on to the next, then follows or finishes.
    private func fill() async throws {
        var probe: UInt8 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ShoalError.system("read \(files.path)")
            }
            if count > 0 {
                offset += off_t(count)
                carry.append(contentsOf: buffer[0..<count])
                var start = carry.startIndex
                while let newline = carry[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    if let record = K8sLogReader.parse(carry[start..<newline]), let entry = assembler.add(record) {
                        ready.append(entry)
                    }
                    start = newline + 1
                }
                carry.removeSubrange(..<start)
                if !ready.isEmpty { return }
                continue
            }
            // End of this file. A newer file exists only once the writer closed this one (conmon closes the old
            // file before it makes the new one), so this one is complete unless a last write slipped in.
            if let next = nextFile() {
                if pread(fd, &probe, 1, offset) > 0 {
                    close(next.fd)
                } else {
                    switchTo(next)
                }
                continue
            }
            if options.follow && !isFinished() {
                try await K8sLogReader.waitForChange(watcher)
                continue
            }
            // The writer is done: one more read catches what it wrote just before finishing.
            if options.follow && pread(fd, &probe, 1, offset) > 0 { continue }
            ready.append(contentsOf: assembler.flush())
            done = true
            return
        }
    }
}
