import Glibc
import ShoalOS

extension ConmonRuntime {
    /// `docker logs [-f] [--since] [--until] [--tail N]` over the container's k8s-file log. Following ends once
    /// the container has exited (conmon wrote its exit file, after draining the output) and the file is read.
    public func logs(id: String, logPath: String, options: LogOptions) -> K8sLogStream {
        K8sLogReader.read(path: logPath, options: options, watchDir: paths.exitDir, isFinished: logFinished(id: id))
    }

    /// Whether nothing will write to the container's log any more: it exited (conmon wrote its exit file after
    /// draining the output), or has no conmon (never started, or deleted).
    func logFinished(id: String) -> @Sendable () -> Bool {
        let exitFile = paths.exitFile(id)
        let conmonPidFile = paths.conmonPidFile(id)
        return {
            if FileIO.exists(exitFile) { return true }
            guard let text = try? FileIO.readString(conmonPidFile), let pid = Int32(text) else { return true }
            return !ProcessWatch.isAlive(pid)
        }
    }

    /// Rotates the container's log now: the live file becomes the newest rotated one, conmon opens a new live
    /// file, and the oldest files go so that at most `maxFiles` remain.
    public func rotateLog(id: String, logPath: String, maxFiles: Int) throws {
        let fifo = paths.socketLink(id) + "/ctl"
        try LogFiles(path: logPath).rotate(maxFiles: maxFiles) {
            (try? ConmonControl.reopenLog(fifo: fifo)) != nil
        }
    }

    /// Keeps a running container's log within `maxSize` bytes per file and `maxFiles` files, until the container
    /// ends (or the task is cancelled). The size is checked often while the log grows (every 10 ms) and seldom
    /// while it is quiet (every 250 ms): a file can pass `maxSize` by what the container writes in 10 ms.
    public func superviseLog(id: String, logPath: String, maxSize: Int64, maxFiles: Int) async {
        let files = LogFiles(path: logPath)
        var lastSize: Int64 = -1
        var quiet = 0
        let finished = logFinished(id: id)
        while !Task.isCancelled && !finished() {
            if let size = files.liveSize() {
                if size >= maxSize {
                    try? rotateLog(id: id, logPath: logPath, maxFiles: maxFiles)
                    quiet = 0
                } else {
                    quiet = size == lastSize ? quiet + 1 : 0
                }
                lastSize = size
            }
            try? await Task.sleep(for: .milliseconds(min(10 << min(quiet, 5), 250)))
        }
    }
}
