import Foundation
import ShoalCore
import ShoalModel
import ShoalOS
import ShoalRuntime

/// `--pid`, `--ipc`, `--uts` and `--cgroupns` at start: the host's namespace, the container's own, or a running
/// donor container's, found through its process (/proc/PID/ns/…), with Docker's refusals when the donor is
/// missing, not running, or (for IPC) not shareable.
extension ContainerService {
    func applyNamespaces(_ host: HostSpec, to options: inout ContainerSpecOptions) throws {
        switch try NamespaceMode.pid(host.pidMode) {
        case .host: options.pidNamespace = .host
        case .container(let reference):
            // Docker prefixes only a missing donor's error here, not a stopped one's.
            let donor = try runningDonor(reference, missing: "cannot join PID of a non running container: \(reference)")
            options.pidNamespace = .join("/proc/\(donor.state.pid)/ns/pid")
        default: break
        }
        if try NamespaceMode.uts(host.utsMode) == .host {
            options.utsNamespace = .host
            options.hostname = KernelHostName.read()
        }
        switch try NamespaceMode.ipc(host.ipcMode) {
        case .shareable:
            options.sharedMemory = .bind(paths.sharedMemory(options.id))
        case .host:
            options.ipcNamespace = .host
            options.sharedMemory = .bind("/dev/shm")
        case .ownWithoutShm:
            options.sharedMemory = .none
        case .container(let reference):
            let context = "can't join IPC of container \(reference)"
            let donor = try runningDonor(reference, missing: context, stopped: context)
            guard (try? NamespaceMode.ipc(donor.spec.host.ipcMode)) == .shareable else {
                throw ShoalError.invalidState(
                    context + ": non-shareable IPC (hint: use IpcMode:shareable for the donor container)")
            }
            options.ipcNamespace = .join("/proc/\(donor.state.pid)/ns/ipc")
            options.sharedMemory = .bind(paths.sharedMemory(donor.id))
        default: break
        }
        options.cgroupNamespace = try NamespaceMode.cgroup(host.cgroupnsMode) == .own ? .own : .host
    }

    /// Mounts the /dev/shm a shareable container's joiners bind too (Docker's `shm` of the container's directory),
    /// sized as its own would be; `undo` unmounts it if the start fails.
    func mountSharedMemory(_ record: ContainerRecord, undo: inout UndoStack) throws {
        guard (try? NamespaceMode.ipc(record.spec.host.ipcMode)) == .shareable else { return }
        let path = paths.sharedMemory(record.id)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard !Mounts.isMounted(path) else { return }
        let size = record.spec.host.shmSize > 0 ? record.spec.host.shmSize : 64 << 20
        try Mounts.tmpfs(target: path, options: "mode=1777,size=\(size)", noExec: true)
        undo.push { try? Mounts.unmount(path) }
    }

    /// The running container `reference` names; its absence or its state refused as Docker words it, after
    /// `missing` or `stopped` when given.
    private func runningDonor(_ reference: String, missing: String, stopped: String? = nil) throws -> ContainerRecord {
        let donor: ContainerRecord
        do {
            donor = try resolve(reference)
        } catch let error as ShoalError {
            throw ShoalError(error.code, missing + ": " + error.message)
        }
        guard donor.state.status == .running, donor.state.pid > 0 else {
            throw ShoalError.conflict((stopped.map { $0 + ": " } ?? "") + "container \(donor.id) is not running")
        }
        return donor
    }
}
