import CShoal
import Glibc
import ShoalCore
import ShoalOS

/// One log message: a whole line (partial pieces joined) with the timestamp of its first piece.
public struct LogEntry: Sendable, Equatable {
    public var stream: StdStream
    public var timestamp: LogTimestamp
    /// The text, with its "\n" unless the container ended mid-line.
    public var bytes: [UInt8]
}

/// `docker logs` options.
public struct LogOptions: Sendable, Equatable {
    public var stdout = true
    public var stderr = true
    public var since: LogTimestamp?
    public var until: LogTimestamp?
    /// The last N messages only; nil for all.
    public var tail: Int?
    public var follow = false

    public init(stdout: Bool = true, stderr: Bool = true, since: LogTimestamp? = nil, until: LogTimestamp? = nil,
                tail: Int? = nil, follow: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.since = since
        self.until = until
        self.tail = tail
        self.follow = follow
    }
}

/// Reads conmon's k8s-file logs: lines `<RFC3339Nano> stdout|stderr F|P <text>`, where P marks a piece of a line
/// that continues in the next record of the same stream.
public enum K8sLogReader {
    struct Record {
        var stream: StdStream
        var timestamp: LogTimestamp
        var partial: Bool
        var text: ArraySlice<UInt8>
    }

    /// Parses one record (without its trailing newline).
    static func parse(_ line: ArraySlice<UInt8>) -> Record? {
        let space = UInt8(ascii: " ")
        guard let first = line.firstIndex(of: space),
              let timestamp = LogTimestamp(rfc3339: Substring(decoding: line[line.startIndex..<first], as: UTF8.self))
        else { return nil }
        let afterTime = line[(first + 1)...]
        guard let second = afterTime.firstIndex(of: space) else { return nil }
        let streamName = afterTime[afterTime.startIndex..<second]
        let stream: StdStream
        if streamName.elementsEqual("stdout".utf8) {
            stream = .stdout
        } else if streamName.elementsEqual("stderr".utf8) {
            stream = .stderr
        } else {
            return nil
        }
        let afterStream = afterTime[(second + 1)...]
        guard let tag = afterStream.first else { return nil }
        let textStart = afterStream.index(afterStream.startIndex, offsetBy: 2, limitedBy: afterStream.endIndex)
            ?? afterStream.endIndex
        return Record(stream: stream, timestamp: timestamp, partial: tag == UInt8(ascii: "P"),
                      text: afterStream[textStart...])
    }

    /// Joins records into messages, one pending partial per stream.
    struct Assembler {
        private var pending: [StdStream: LogEntry] = [:]

        mutating func add(_ record: Record) -> LogEntry? {
            var entry = pending.removeValue(forKey: record.stream)
                ?? LogEntry(stream: record.stream, timestamp: record.timestamp, bytes: [])
            entry.bytes.append(contentsOf: record.text)
            if record.partial {
                pending[record.stream] = entry
                return nil
            }
            entry.bytes.append(UInt8(ascii: "\n"))
            return entry
        }

        /// Pieces of lines the container never finished (it exited mid-line).
        mutating func flush() -> [LogEntry] {
            defer { pending = [:] }
            return pending.values.sorted { $0.timestamp < $1.timestamp }
        }
    }

    /// The log at `path` as a pulled sequence (read as the consumer asks, so a large log never piles up in
    /// memory). With `follow`, it waits for new lines (inotify on the file and on `watchDir`, e.g. the exit dir)
    /// until `isFinished()` is true and the file is drained.
    public static func read(path: String, options: LogOptions, watchDir: String? = nil,
                            isFinished: @escaping @Sendable () -> Bool = { true }) -> K8sLogStream {
        K8sLogStream(path: path, options: options, watchDir: watchDir, isFinished: isFinished)
    }

    /// Waits for an inotify event, or 250 ms (polling is the fallback and the safety net).
    static func waitForChange(_ watcher: Int32) async throws {
        if watcher < 0 {
            try await Task.sleep(for: .milliseconds(100))
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await IOReactor.shared.waitReadable(watcher) }
            group.addTask { try await Task.sleep(for: .milliseconds(250)) }
            _ = try await group.next()
            group.cancelAll()
        }
        var drain = [UInt8](repeating: 0, count: 4096)
        while drain.withUnsafeMutableBytes({ Glibc.read(watcher, $0.baseAddress, $0.count) }) > 0 {}
    }

    static func waitForFile(_ path: String, isFinished: @Sendable () -> Bool) async -> Int32 {
        while !isFinished() && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
        }
        return open(path, O_RDONLY | O_CLOEXEC)
    }

    /// Where the last `count` messages of a file start, and how many of them it holds (fewer than `count`:
    /// the file starts with them, and the rest are in the file rotated before it). Walks records backwards;
    /// the (count+1)-th complete (F) record from the end closes the message just before them.
    static func tailStart(fd: Int32, count: Int) throws -> (offset: off_t, found: Int) {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 1 else { return (0, 0) }
        var found = 0
        var recordEnd = size
        var position = size - 1  // the last byte ends the last record
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        func recordIsFull(at start: off_t) -> Bool {
            var header = [UInt8](repeating: 0, count: 128)
            let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 128, start) }
            guard got > 0 else { return false }
            let line = header[0..<got]
            let end = line.firstIndex(of: UInt8(ascii: "\n")) ?? line.endIndex
            return isFullRecord(Array(line[..<end]))
        }
        while position > 0 {
            let readSize = Int(min(off_t(chunk), position))
            position -= off_t(readSize)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, readSize, position) }
            guard got == readSize else { throw ShoalError.system("read log") }
            for index in stride(from: readSize - 1, through: 0, by: -1) where buffer[index] == UInt8(ascii: "\n") {
                let start = position + off_t(index) + 1
                if recordIsFull(at: start) {
                    found += 1
                    if found == count + 1 { return (recordEnd, count) }
                }
                recordEnd = start
            }
        }
        if recordIsFull(at: 0) {
            found += 1
            if found == count + 1 { return (recordEnd, count) }
        }
        return (0, found)
    }

    /// Whether a record (its first bytes suffice) is the last piece of a message.
    static func isFullRecord(_ bytes: [UInt8]) -> Bool {
        guard let record = parse(bytes[...]) else { return false }
        return !record.partial
    }
}
