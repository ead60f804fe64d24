import Foundation
import Glibc
import ShoalCore
import ShoalOS

extension ConmonRuntime {
    /// The container's exit code as conmon recorded it (`<exit-dir>/<id>`), nil while it runs. Killed by signal N
    /// gives 128+N, as Docker reports.
    public func exitCode(id: String) -> Int32? {
        guard let text = try? FileIO.readString(paths.exitFile(id)) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Waits for the container to exit and returns its exit code. Works for containers started by an earlier
    /// daemon: it waits on conmon's pidfd (conmon writes the exit file, then exits) and reads the exit file.
    /// If conmon was killed before the container ended, the status is lost: it waits for the process and
    /// returns 255.
    public func waitForExit(id: String) async throws -> Int32 {
        if let code = exitCode(id: id) { return code }
        guard let conmon = readPid(paths.conmonPidFile(id)) else {
            throw RuntimeErrors.noSuchContainer(id)
        }
        try await ProcessWatch.waitForExit(pid: conmon) { [self] in
            isConmon(pid: conmon, id: id) && exitCode(id: id) == nil
        }
        if let code = exitCode(id: id) { return code }
        // conmon is gone without an exit file (it was killed): the exit status is lost; wait for the process.
        if let pid = readPid(paths.containerPidFile(id)), pid > 0 {
            try await ProcessWatch.waitForExit(pid: pid) { ProcessWatch.isAlive(pid) }
        }
        return exitCode(id: id) ?? 255
    }

    /// conmon's pid, while it runs.
    public func conmonPid(id: String) -> Int32? {
        guard let pid = readPid(paths.conmonPidFile(id)), isConmon(pid: pid, id: id) else { return nil }
        return pid
    }
}
