/// A piece of a container's standard stream, as attach, logs and exec deliver them.
public struct StreamChunk: Sendable, Equatable {
    public enum Stream: UInt8, Sendable { case stdin = 0, stdout = 1, stderr = 2 }
    public var stream: Stream
    public var bytes: [UInt8]
    public init(_ stream: Stream, _ bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// A live connection to a container's (or exec's) standard streams. Output ends when the process's output ends
/// (or the session is detached); stdin is written as it arrives from the client.
public protocol StreamSession: Sendable {
    /// With a terminal the streams are raw (one stream); without, stdout and stderr are told apart.
    var tty: Bool { get }
    var output: AsyncStream<StreamChunk> { get }
    func writeStdin(_ bytes: [UInt8]) async
    func closeStdin() async
    /// The client went away: release what the session holds (the process keeps running).
    func detach() async
    /// Called once the client has the response head that hands the connection over, before output is read.
    /// A session whose process has not run yet (an exec) starts it here, so no output can share a read with
    /// the head.
    func begin() async
}

extension StreamSession {
    public func begin() async {}
}
