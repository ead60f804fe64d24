/// ShoalArchive owns tar streams: reading (plain, gzip, zstd, auto-detected), writing (for `docker save`, `docker cp`
/// and `docker export`), and the safe extraction of image layers into a directory with OCI whiteouts turned into
/// overlayfs ones. It must never write outside the directory it was given, never follow a symlink found in the tree
/// it is extracting into, and never leave a half-unpacked directory behind.
import CLibArchive
import ShoalCore

/// Turns the state of a libarchive handle into a `ShoalError` with libarchive's own words.
enum ArchiveFailure {
    static func error(_ archive: OpaquePointer?, _ what: String, code: ShoalError.Code = .invalidArgument) -> ShoalError {
        var detail = "unknown error"
        if let archive, let message = archive_error_string(archive) {
            detail = String(cString: message)
        }
        var code = code
        if let archive, archive_errno(archive) == ENOSPC { code = .unavailable }
        // libarchive says only "Write failed" when write(2) fails: name the system error. (Not for format errors,
        // whose errno is a placeholder such as EILSEQ.)
        if let archive, [ENOSPC, EDQUOT, EIO, EROFS, EACCES, EPERM].contains(archive_errno(archive)) {
            let reason = String(cString: strerror(archive_errno(archive)))
            if !detail.contains(reason) { detail += ": " + reason }
        }
        return ShoalError(code, "\(what): \(detail)")
    }
}

#if canImport(Glibc)
import Glibc
#endif
