import ShoalModel
import Synchronization

/// Docker's detach keys (`--detach-keys`, the client config's `detachKeys`, the `detachKeys` query parameter of
/// attach and `DetachKeys` of exec create): on a session with a terminal, typing the sequence on stdin ends the
/// client's stream and leaves the process running. Default ctrl-p,ctrl-q.
enum DetachKeys {
    static let defaultSequence: [UInt8] = [16, 17]

    /// The bytes of a key spec such as `ctrl-p,ctrl-q` or `ctrl-a,x` (moby's term.ToBytes): single characters
    /// stand for themselves, `ctrl-@`, `ctrl-a`…`ctrl-z`, `ctrl-[`, `ctrl-\`, `ctrl-]`, `ctrl-^` and `ctrl-_` for
    /// the codes 0–31. Nil for anything else; an empty spec is the default.
    static func parse(_ spec: String) -> [UInt8]? {
        guard !spec.isEmpty else { return defaultSequence }
        var codes: [UInt8] = []
        for key in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let bytes = Array(key.utf8)
            if bytes.count == 1 {
                codes.append(bytes[0])
                continue
            }
            let lowered = key.lowercased()
            guard lowered.hasPrefix("ctrl-"), lowered.utf8.count == 6, let last = lowered.utf8.last else { return nil }
            switch last {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): codes.append(last - UInt8(ascii: "a") + 1)
            case UInt8(ascii: "@"), UInt8(ascii: "["), UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "^"),
                 UInt8(ascii: "_"):
                codes.append(last & 0x1f)
            default: return nil
            }
        }
        return codes
    }

    /// The session a client gets: itself without a terminal (Docker looks for the keys on terminals only),
    /// else one that watches its stdin for the sequence.
    static func watching(_ session: any StreamSession, keys: [UInt8]) -> any StreamSession {
        session.tty ? DetachingSession(session, keys: keys) : session
    }
}

/// Finds the detach sequence in stdin as it arrives. Bytes that may begin the sequence are held back until the
/// next byte tells; when it does not continue the sequence they are passed on with it (as moby's escape proxy
/// does, without looking at the byte again). Nothing after the sequence is passed on.
struct EscapeMatcher: Sendable {
    let keys: [UInt8]
    private(set) var matched = 0
    private(set) var escaped = false

    init(keys: [UInt8]) { self.keys = keys }

    mutating func feed(_ bytes: [UInt8]) -> (pass: [UInt8], escaped: Bool) {
        guard !escaped else { return ([], true) }
        var pass: [UInt8] = []
        for byte in bytes {
            if byte == keys[matched] {
                matched += 1
                if matched == keys.count {
                    escaped = true
                    return (pass, true)
                }
            } else {
                pass += keys[0..<matched]
                matched = 0
                pass.append(byte)
            }
        }
        return (pass, false)
    }

    /// What is held back, given up at the end of stdin.
    mutating func flush() -> [UInt8] {
        defer { matched = 0 }
        return escaped ? [] : Array(keys[0..<matched])
    }
}

/// A terminal session whose stdin ends the client's stream when the detach sequence comes: the session is
/// detached (its output ends, so the connection closes) and the process keeps running.
final class DetachingSession: StreamSession {
    private let inner: any StreamSession
    private let matcher: Mutex<EscapeMatcher>

    init(_ inner: any StreamSession, keys: [UInt8]) {
        self.inner = inner
        matcher = Mutex(EscapeMatcher(keys: keys.isEmpty ? DetachKeys.defaultSequence : keys))
    }

    var tty: Bool { inner.tty }
    var output: AsyncStream<StreamChunk> { inner.output }

    func writeStdin(_ bytes: [UInt8]) async {
        let (pass, escaped) = matcher.withLock { $0.feed(bytes) }
        if !pass.isEmpty { await inner.writeStdin(pass) }
        if escaped { await inner.detach() }
    }

    func closeStdin() async {
        let held = matcher.withLock { $0.flush() }
        if !held.isEmpty { await inner.writeStdin(held) }
        await inner.closeStdin()
    }

    func detach() async { await inner.detach() }
    func begin() async { await inner.begin() }
}
