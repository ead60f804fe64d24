import ShoalModel
import ShoalRuntime
import Synchronization

/// The engine's side of an attach: created when the client attaches (possibly before the container starts),
/// connected to conmon's attach socket once the container exists, and ended when the container's output ends.
/// Stdin written before the connection is kept and delivered in order.
final class ContainerStreamSession: StreamSession {
    let tty: Bool
    let output: AsyncStream<StreamChunk>
    private let continuation: AsyncStream<StreamChunk>.Continuation
    private let wantStdout: Bool
    private let wantStderr: Bool
    /// Whether this client's stdin reaches the process: it asked for stdin and the process has one open.
    /// The docker CLI half-closes a hijacked connection at once when it sends no input; passing that on to
    /// conmon would end the attach, so it is ignored unless stdin is really attached.
    private let acceptsStdin: Bool

    private struct State {
        var attach: AttachSession?
        var onBegin: (@Sendable () async -> Void)?
        var onDetach: (@Sendable () async -> Void)?
        var pendingStdin: [[UInt8]] = []
        var stdinClosed = false
        var ended = false
    }

    private let state = Mutex(State())

    init(tty: Bool, stdin: Bool, stdout: Bool, stderr: Bool) {
        self.tty = tty
        acceptsStdin = stdin
        wantStdout = stdout
        wantStderr = stderr
        (output, continuation) = AsyncStream.makeStream(of: StreamChunk.self)
    }

    /// Connects to the runtime's attach socket; output flows until the process's output ends. `beforeEnd` runs
    /// after the last output and before the stream ends (an exec records its exit code there, because the CLI
    /// asks for it as soon as the stream closes).
    func connect(_ attach: AttachSession, beforeEnd: (@Sendable () async -> Void)? = nil) async {
        let (pending, closeStdin, ended) = state.withLock { state -> ([[UInt8]], Bool, Bool) in
            state.attach = attach
            defer { state.pendingStdin.removeAll() }
            return (state.pendingStdin, state.stdinClosed, state.ended)
        }
        if ended {
            attach.close()
            return
        }
        for bytes in pending { try? await attach.write(bytes) }
        if closeStdin { attach.closeStdin() }
        let continuation = self.continuation
        let wantStdout = self.wantStdout, wantStderr = self.wantStderr
        Task {
            do {
                for try await chunk in attach.output {
                    let stream: StreamChunk.Stream = chunk.stream == .stderr ? .stderr : .stdout
                    if (stream == .stdout && wantStdout) || (stream == .stderr && wantStderr) {
                        continuation.yield(StreamChunk(stream, chunk.bytes))
                    }
                }
            } catch {}
            await beforeEnd?()
            continuation.finish()
        }
    }

    /// Work for `begin()` (start the exec's process) and for a detach that comes before it (remove the
    /// unstarted exec). Set before the session is handed out.
    func setBeginHandlers(begin: @escaping @Sendable () async -> Void,
                          detachBeforeBegin: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            state.onBegin = begin
            state.onDetach = detachBeforeBegin
        }
    }

    func begin() async {
        let onBegin = state.withLock { state -> (@Sendable () async -> Void)? in
            defer {
                state.onBegin = nil
                state.onDetach = nil
            }
            return state.onBegin
        }
        await onBegin?()
    }

    /// Output that does not come from the process (the error of an exec that could not start), put before
    /// anything the process wrote.
    func yield(_ chunk: StreamChunk) {
        continuation.yield(chunk)
    }

    /// Ends the output without a connection (the start failed, or the container is gone).
    func end() {
        state.withLock { $0.ended = true }
        continuation.finish()
    }

    func writeStdin(_ bytes: [UInt8]) async {
        guard acceptsStdin else { return }
        let attach = state.withLock { state -> AttachSession? in
            if state.attach == nil { state.pendingStdin.append(bytes) }
            return state.attach
        }
        try? await attach?.write(bytes)
    }

    func closeStdin() async {
        guard acceptsStdin else { return }
        let attach = state.withLock { state -> AttachSession? in
            state.stdinClosed = true
            return state.attach
        }
        attach?.closeStdin()
    }

    func detach() async {
        let (attach, onDetach) = state.withLock { state -> (AttachSession?, (@Sendable () async -> Void)?) in
            state.ended = true
            defer {
                state.onBegin = nil
                state.onDetach = nil
            }
            return (state.attach, state.onDetach)
        }
        attach?.close()
        await onDetach?()
        continuation.finish()
    }
}
