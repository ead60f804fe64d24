/// A set of `UInt32` values kept as sorted, disjoint, non-adjacent closed runs.
///
/// Every allocator in this target stores what it handed out in one of these: sequential allocations collapse into a
/// single run, so state stays small when persisted, and "next free value at or after x" is one binary search (after
/// the run containing x, the next value is free because runs are merged when they touch).
import ShoalCore

struct RunSet: Sendable, Hashable {
    private(set) var runs: [ClosedRange<UInt32>] = []

    init() {}

    init<S: Sequence>(_ values: S) where S.Element == UInt32 {
        for value in values { insert(value) }
    }

    var isEmpty: Bool { runs.isEmpty }

    /// The number of values in the set (a `UInt64`, since a full 32-bit space has 2^32 of them).
    var count: UInt64 { runs.reduce(0) { $0 + UInt64($1.upperBound - $1.lowerBound) + 1 } }

    /// The number of values of `window` in the set.
    func count(in window: ClosedRange<UInt32>) -> UInt64 {
        runs.reduce(0) { total, run in
            let low = max(run.lowerBound, window.lowerBound)
            let high = min(run.upperBound, window.upperBound)
            return low <= high ? total + UInt64(high - low) + 1 : total
        }
    }

    /// All values in ascending order.
    var values: [UInt32] { runs.flatMap { Array($0) } }

    /// Index of the last run whose lower bound is `<= value`, if any.
    private func candidateIndex(for value: UInt32) -> Int? {
        var low = 0
        var high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].lowerBound <= value { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// The run holding `value`, if any.
    func run(containing value: UInt32) -> ClosedRange<UInt32>? {
        guard let index = candidateIndex(for: value), runs[index].contains(value) else { return nil }
        return runs[index]
    }

    func contains(_ value: UInt32) -> Bool { run(containing: value) != nil }

    /// Whether any value of `range` is in the set.
    func intersects(_ range: ClosedRange<UInt32>) -> Bool {
        if contains(range.lowerBound) { return true }
        let next = candidateIndex(for: range.lowerBound).map { $0 + 1 } ?? 0
        return next < runs.count && runs[next].lowerBound <= range.upperBound
    }

    /// Inserts `value`; returns false when it was already present.
    @discardableResult
    mutating func insert(_ value: UInt32) -> Bool {
        let index = candidateIndex(for: value)
        if let index, runs[index].contains(value) { return false }
        let joinsLeft = index.map { runs[$0].upperBound &+ 1 == value && runs[$0].upperBound != .max } ?? false
        let rightIndex = (index ?? -1) + 1
        let joinsRight = rightIndex < runs.count && value != .max && runs[rightIndex].lowerBound == value + 1
        switch (joinsLeft, joinsRight) {
        case (true, true):
            runs[index!] = runs[index!].lowerBound...runs[rightIndex].upperBound
            runs.remove(at: rightIndex)
        case (true, false):
            runs[index!] = runs[index!].lowerBound...value
        case (false, true):
            runs[rightIndex] = value...runs[rightIndex].upperBound
        case (false, false):
            runs.insert(value...value, at: rightIndex)
        }
        return true
    }

    /// Removes `value`; returns false when it was not present.
    @discardableResult
    mutating func remove(_ value: UInt32) -> Bool {
        guard let index = candidateIndex(for: value), runs[index].contains(value) else { return false }
        let run = runs[index]
        switch (run.lowerBound == value, run.upperBound == value) {
        case (true, true): runs.remove(at: index)
        case (true, false): runs[index] = (value + 1)...run.upperBound
        case (false, true): runs[index] = run.lowerBound...(value - 1)
        case (false, false):
            runs[index] = run.lowerBound...(value - 1)
            runs.insert((value + 1)...run.upperBound, at: index + 1)
        }
        return true
    }

    /// The first value of `window` at or after `start` that is in none of `sets`, if any (no wrap-around).
    static func firstFree(in window: ClosedRange<UInt32>, from start: UInt32, avoiding sets: [RunSet]) -> UInt32? {
        guard start <= window.upperBound else { return nil }
        var candidate = max(start, window.lowerBound)
        // Each pass either returns or moves past a whole run, so this terminates.
        while true {
            var moved = false
            for set in sets {
                if let run = set.run(containing: candidate) {
                    guard run.upperBound < window.upperBound else { return nil }
                    candidate = run.upperBound + 1
                    moved = true
                }
            }
            if !moved { return candidate }
        }
    }

    /// Round-robin search: the first free value after `cursor` in `window`, wrapping to the window's start.
    static func nextFree(in window: ClosedRange<UInt32>, after cursor: UInt32?, avoiding sets: [RunSet]) -> UInt32? {
        if let cursor, cursor < window.upperBound, cursor >= window.lowerBound,
           let found = firstFree(in: window, from: cursor + 1, avoiding: sets) {
            return found
        }
        return firstFree(in: window, from: window.lowerBound, avoiding: sets)
    }
}

extension RunSet {
    /// Runs rendered as "a" or "a-b" with `render` for each bound: the persisted form.
    func encodedRuns(_ render: (UInt32) -> String) -> [String] {
        runs.map { $0.lowerBound == $0.upperBound ? render($0.lowerBound) : "\(render($0.lowerBound))-\(render($0.upperBound))" }
    }

    /// Parses the form written by `encodedRuns`.
    init(encodedRuns: [String], parse: (String) throws(ShoalError) -> UInt32) throws(ShoalError) {
        self.init()
        for text in encodedRuns {
            let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let low = try parse(bounds[0])
            let high = bounds.count == 2 ? try parse(bounds[1]) : low
            guard low <= high else { throw IPAMError.corruptState("run \(text) is reversed") }
            if let last = runs.last {
                guard last.upperBound < low else { throw IPAMError.corruptState("run \(text) is out of order") }
                if last.upperBound + 1 == low {
                    runs[runs.count - 1] = last.lowerBound...high
                    continue
                }
            }
            runs.append(low...high)
        }
    }
}
