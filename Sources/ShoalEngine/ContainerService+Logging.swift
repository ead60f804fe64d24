import Foundation
import ShoalCore
import ShoalModel
import ShoalRuntime

/// Logging drivers: the log config's values at start, and the journald driver's forwarding.
extension ContainerService {
    /// The log config's values, checked as Docker checks them when its logger starts (at each start), with its
    /// message. Records made before log configs existed log as json-file without options.
    static func logPolicy(_ config: LogConfig?) throws -> LogPolicy {
        do {
            return try LogPolicy(config ?? LogConfig())
        } catch let error as ShoalError {
            throw ShoalError.internalError("failed to initialize logging driver: \(error.message)")
        }
    }

    /// Docker refuses to start a journald container on a host without a journal.
    static func checkJournal(_ policy: LogPolicy) throws {
        if policy.journald && !Journal().isEnabled {
            throw ShoalError.internalError("failed to initialize logging driver: journald is not enabled on this host")
        }
    }

    /// For the journald driver: sends the journal what the container wrote and it has not had yet (following
    /// while the container runs). Where it got to is kept beside the log, so that a daemon restart neither
    /// repeats nor skips entries.
    func journalForwarding(_ id: String, follow: Bool) -> (@Sendable () async -> Void)? {
        guard let record = records[id], (try? Self.logPolicy(record.spec.host.logConfig))?.journald == true else {
            return nil
        }
        let runtime = self.runtime
        let logPath = paths.logPath(id)
        let cursor = paths.containerDirectory(id) + "/journal.cursor"
        let fields = Self.journalFields(record)
        return {
            await Journal().forward({ since in
                runtime.logs(id: id, logPath: logPath, options: .init(since: since, follow: follow))
            }, fields: fields, cursor: cursor)
        }
    }

    /// Docker's journald fields for a container's entries (its tag: `{{.ID}}` unless `tag` says otherwise).
    static func journalFields(_ record: ContainerRecord) -> [(String, String)] {
        let shortID = String(record.id.prefix(12))
        let template = record.spec.host.logConfig?.config["tag"] ?? "{{.ID}}"
        let tag = template.replacingOccurrences(of: "{{.ID}}", with: shortID)
            .replacingOccurrences(of: "{{.FullID}}", with: record.id)
            .replacingOccurrences(of: "{{.Name}}", with: record.name)
            .replacingOccurrences(of: "{{.ImageName}}", with: record.spec.image)
        return [("CONTAINER_ID", shortID), ("CONTAINER_ID_FULL", record.id), ("CONTAINER_NAME", record.name),
                ("CONTAINER_TAG", tag), ("IMAGE_NAME", record.spec.image), ("SYSLOG_IDENTIFIER", tag)]
    }
}
