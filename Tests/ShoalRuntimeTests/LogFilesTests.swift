import Foundation
import Glibc
import ShoalCore
import ShoalOS
@testable import ShoalRuntime
import ShoalTestSupport
import Synchronization
import Testing

/// Rotated logs: which files exist and go, and reading (tail, follow) across them. The writer here stands in
/// for conmon: it appends records, and on rotation closes the renamed file before making a new live one.
struct LogFilesTests {
    static func record(_ n: Int) -> String {
        "2026-01-01T00:00:\(String(format: "%02d", n % 60)).\(String(format: "%09d", n))+00:00 stdout F line\(n)\n"
    }

    static func texts(_ path: String, _ options: LogOptions) async throws -> [String] {
        var out: [String] = []
        for try await entry in K8sLogReader.read(path: path, options: options) {
            out.append(String(decoding: entry.bytes.dropLast(), as: UTF8.self))
        }
        return out
    }

    @Test func rotationNumbersAndExpiry() {
        let names = ["container.log", "container.log.3", "container.log.tmp", "container.log.10", "other.1",
                     "container.log.1", "container.log.", "container.log.2x"]
        #expect(LogFiles.sequences(names: names, base: "container.log") == [1, 3, 10])
        #expect(LogFiles.expired([1, 3, 10], maxFiles: 3) == [1])
        #expect(LogFiles.expired([1, 3, 10], maxFiles: 1) == [1, 3, 10])
        #expect(LogFiles.expired([3, 10], maxFiles: 5) == [])
    }

    @Test func readingSpansRotatedFilesInOrder() async throws {
        try await TestRun.with("logfiles") { run in
            let path = run.path("container.log")
            // line0-3 in .7, line4-5 in .9, line6-8 live (numbers need not be consecutive).
            try (0...3).map(Self.record).joined().write(toFile: path + ".7", atomically: false, encoding: .utf8)
            try (4...5).map(Self.record).joined().write(toFile: path + ".9", atomically: false, encoding: .utf8)
            try (6...8).map(Self.record).joined().write(toFile: path, atomically: false, encoding: .utf8)
            #expect(try await Self.texts(path, LogOptions()) == (0...8).map { "line\($0)" })
            #expect(try await Self.texts(path, LogOptions(tail: 2)) == ["line7", "line8"])
            #expect(try await Self.texts(path, LogOptions(tail: 4)) == (5...8).map { "line\($0)" })
            #expect(try await Self.texts(path, LogOptions(tail: 6)) == (3...8).map { "line\($0)" })
            #expect(try await Self.texts(path, LogOptions(tail: 100)) == (0...8).map { "line\($0)" })
            // Mid-rotation (no live file): the rotated files still read.
            try FileManager.default.moveItem(atPath: path, toPath: path + ".10")
            #expect(try await Self.texts(path, LogOptions(tail: 3)) == (6...8).map { "line\($0)" })
        }
    }

    @Test func rotateKeepsAtMostMaxFiles() async throws {
        try await TestRun.with("logrotate") { run in
            let files = LogFiles(path: run.path("container.log"))
            for round in 0..<5 {
                try Self.record(round).write(toFile: files.path, atomically: false, encoding: .utf8)
                try files.rotate(maxFiles: 3) {
                    FileManager.default.createFile(atPath: files.path, contents: nil)
                }
            }
            #expect(files.rotated().map(\.sequence) == [4, 5])
            #expect(try await Self.texts(files.path, LogOptions()) == ["line3", "line4"])
            try files.rotate(maxFiles: 1) { false }
            #expect(files.rotated().isEmpty && !FileIO.exists(files.path))
        }
    }

    @Test func followKeepsReadingAcrossRotationsWithoutLossOrDuplicates() async throws {
        try await TestRun.with("logfollow") { run in
            let files = LogFiles(path: run.path("container.log"))
            _ = FileManager.default.createFile(atPath: files.path, contents: nil)
            let finished = Flag()
            let total = 3000
            let reader = Task {
                var out: [String] = []
                let entries = K8sLogReader.read(path: files.path, options: LogOptions(follow: true)) { finished.value }
                for try await entry in entries { out.append(String(decoding: entry.bytes.dropLast(), as: UTF8.self)) }
                return out
            }
            var fd = open(files.path, O_WRONLY | O_APPEND | O_CLOEXEC)
            for n in 0..<total {
                let bytes = Array(Self.record(n).utf8)
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n % 100 == 99 {
                    // conmon's order: rename aside (by the daemon), close the old file, make the new live one.
                    try files.rotate(maxFiles: 40) {
                        close(fd)
                        fd = open(files.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
                        return true
                    }
                }
                if n % 250 == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            close(fd)
            finished.set()
            let lines = try await reader.value
            #expect(lines.count == total)
            #expect(lines == (0..<total).map { "line\($0)" })
        }
    }
}

/// A flag set once, read from the reader's `isFinished`.
extension LogFilesTests {
    /// Readers that start while the writer rotates without pause (every 10 lines, all files kept): each reads every
    /// line once, in order. A reader whose listing of the rotated files and open of the live one straddle a
    /// rotation read a file twice before the listing and the open were taken as of one moment.
    @Test func readersStartingMidRotationReadEachLineOnce() async throws {
        try await TestRun.with("lograce") { run in
            let files = LogFiles(path: run.path("container.log"))
            _ = FileManager.default.createFile(atPath: files.path, contents: nil)
            let finished = Flag()
            let writing = Flag()
            let total = 3000
            let writer = Thread {
                writing.set()
                var fd = open(files.path, O_WRONLY | O_APPEND | O_CLOEXEC)
                for n in 0..<total {
                    let bytes = Array(Self.record(n).utf8)
                    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if n % 10 == 9 {
                        try? files.rotate(maxFiles: 10_000) {
                            close(fd)
                            fd = open(files.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
                            return true
                        }
                    }
                }
                close(fd)
                finished.set()
            }
            writer.start()
            while !writing.value { try await Task.sleep(for: .milliseconds(1)) }
            var readers: [Task<[String], any Error>] = []
            while !finished.value && readers.count < 40 {
                readers.append(Task {
                    var out: [String] = []
                    let entries = K8sLogReader.read(path: files.path, options: LogOptions(follow: true)) {
                        finished.value
                    }
                    for try await entry in entries { out.append(String(decoding: entry.bytes.dropLast(), as: UTF8.self)) }
                    return out
                })
                try await Task.sleep(for: .microseconds(300))
            }
            while !finished.value { try await Task.sleep(for: .milliseconds(5)) }
            let expected = (0..<total).map { "line\($0)" }
            for (index, reader) in readers.enumerated() {
                let lines = try await reader.value
                #expect(lines.count == total && lines == expected, "reader \(index): \(lines.count) lines")
            }
        }
    }
}

final class Flag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
