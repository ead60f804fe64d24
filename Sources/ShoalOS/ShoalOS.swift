/// ShoalOS owns the host's process, file-descriptor and mount plumbing: spawning with an exact fd handover,
/// waiting for processes through pidfds on one epoll thread (never blocking Swift-concurrency threads), mounts and
/// atomic file writes. It must never know about containers, images or the Docker API: callers give it paths and
/// argv, it gives back fds, pids and exit statuses.
import Glibc
import ShoalCore

extension ShoalError {
    /// A `ShoalError` for a failed system call, with a code that follows the errno (ENOENT → notFound …).
    public static func system(_ operation: String, errno code: Int32 = errno) -> ShoalError {
        let text = String(cString: strerror(code))
        let kind: ShoalError.Code
        switch code {
        case ENOENT, ESRCH: kind = .notFound
        case EEXIST, EBUSY: kind = .conflict
        case EACCES, EPERM: kind = .permissionDenied
        case EINVAL: kind = .invalidArgument
        default: kind = .internalError
        }
        return ShoalError(kind, "\(operation): \(text)")
    }
}
