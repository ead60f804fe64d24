import ShoalOS

extension ConmonRuntime {
    /// `docker logs [-f] [--since] [--until] [--tail N]` over the container's k8s-file log. Following ends once
    /// the container has exited (conmon wrote its exit file, after draining the output) and the file is read.
    public func logs(id: String, logPath: String, options: LogOptions) -> K8sLogStream {
        let exitFile = paths.exitFile(id)
        let conmonPidFile = paths.conmonPidFile(id)
        return K8sLogReader.read(path: logPath, options: options, watchDir: paths.exitDir) {
            if FileIO.exists(exitFile) { return true }
            // No exit file and no conmon: nothing will write to the log any more (never started, or deleted).
            guard let text = try? FileIO.readString(conmonPidFile), let pid = Int32(text) else { return true }
            return !ProcessWatch.isAlive(pid)
        }
    }
}
