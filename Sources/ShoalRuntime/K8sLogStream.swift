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
}

/// Reading position in a log file: open fd, offset, a partial record carried over, pieces of lines not yet
/// complete, and entries parsed but not yet handed out.
final class LogCursor {
    let path: String
    let options: LogOptions
    let watchDir: String?
    let isFinished: @Sendable () -> Bool
    private var fd: Int32 = -1
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
        self.path = path
        self.options = options
        self.watchDir = watchDir
        self.isFinished = isFinished
    }

    deinit {
        if fd >= 0 { close(fd) }
        if watcher >= 0 { close(watcher) }
    }

    func next() async throws -> LogEntry? {
        if !opened {
            opened = true
            try await open()
        }
        while true {
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
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            if done || fd < 0 { return nil }
            try Task.checkCancellation()
            try await fill()
        }
    }

    private func open() async throws {
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 && errno == ENOENT && options.follow {
            // conmon creates the log at create time; a reader may come first.
            fd = await K8sLogReader.waitForFile(path, isFinished: isFinished)
        }
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw ShoalError.system("open \(path)")
        }
        if let tail = options.tail {
            if tail <= 0 && !options.follow {
                done = true
                return
            }
            offset = tail <= 0 ? lseek(fd, 0, SEEK_END) : try K8sLogReader.tailOffset(fd: fd, count: tail)
        }
        if options.follow {
            watcher = cshoal_inotify_init()
            if watcher >= 0 {
                _ = cshoal_inotify_add(watcher, path)
                if let watchDir { _ = cshoal_inotify_add(watcher, watchDir) }
            }
        }
    }

    /// Reads more of the file into `ready`; at end of file follows or finishes.
    private func fill() async throws {
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ShoalError.system("read \(path)")
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
            if options.follow && !isFinished() {
                try await K8sLogReader.waitForChange(watcher)
                continue
            }
            if options.follow {
                // The writer is done: one more read catches what it wrote just before finishing.
                var probe: UInt8 = 0
                if pread(fd, &probe, 1, offset) > 0 { continue }
            }
            ready.append(contentsOf: assembler.flush())
            done = true
            return
        }
    }
}
