import Foundation
import Logging
import ShoalCore
import ShoalOS

/// Loads `docker-default` into the kernel when the host has AppArmor and the profile is not loaded yet, as dockerd
/// does at start and again before each container that uses it (a package upgrade may have unloaded it): the text
/// from `AppArmorProfile.text`, written to a temporary file, loaded with `apparmor_parser -Kr` (replace, and keep
/// it out of the parser's cache). Without AppArmor it does nothing; without the parser it says so and loads nothing.
public enum AppArmorLoader {
    static let profilesList = "/sys/kernel/security/apparmor/profiles"
    static let policyDirectory = "/etc/apparmor.d"
    static let parserCandidates = ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"]
    /// dockerd's words when the profile cannot be loaded.
    static let loadFailure = "AppArmor enabled on system but the \(AppArmorProfile.defaultName) profile could not be loaded"

    public enum Outcome: Sendable, Equatable {
        case notApplicable
        case alreadyLoaded
        case loaded
        /// The parser is not installed: containers asking for the profile will fail to start.
        case skipped(reason: String)
    }

    public static func ensureDefaultLoaded() async throws -> Outcome {
        guard HostSecurity.appArmorEnabled() else { return .notApplicable }
        let name = AppArmorProfile.defaultName
        if AppArmorProfile.isLoaded(name, profiles: (try? FileIO.readString(profilesList)) ?? "") {
            return .alreadyLoaded
        }
        guard let parser = parserCandidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return .skipped(reason: "apparmor_parser is not installed (Debian package apparmor)")
        }
        let version = try await Command.run(parser, ["--version"])
        guard let number = AppArmorProfile.parserVersion(version.stdoutText) else {
            throw ShoalError.internalError(loadFailure + ": cannot read the version of \(parser): \(version.stdoutText)")
        }
        let environment = AppArmorProfile.Environment(
            parserVersion: number,
            hasGlobalTunables: FileIO.exists(policyDirectory + "/tunables/global"),
            hasBaseAbstraction: FileIO.exists(policyDirectory + "/abstractions/base"),
            daemonProfile: daemonProfile())
        let file = FileManager.default.temporaryDirectory.path + "/\(name)-" + Identifier.random().prefix(12)
        try AppArmorProfile.text(environment: environment).write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await Command.run(parser, ["-Kr", file])
        guard result.status == .exited(0) else {
            throw ShoalError.internalError(loadFailure + ": `\(parser) -Kr \(file)` failed: " + result.stderrText)
        }
        return .loaded
    }

    /// Before a container runs under `profile`: docker-default is loaded again if something unloaded it since the
    /// daemon started (dockerd does the same), and without a parser to load it the start is refused.
    public static func ensureLoaded(forContainerProfile profile: String?) async throws {
        guard profile == AppArmorProfile.defaultName else { return }
        if case .skipped(let reason) = try await ensureDefaultLoaded() {
            throw ShoalError.internalError(loadFailure + ": " + reason)
        }
    }

    /// At daemon start: the outcome logged, a failure too (dockerd logs it and starts anyway).
    public static func ensureDefaultLoaded(logger: Logger) async {
        do {
            switch try await ensureDefaultLoaded() {
            case .notApplicable, .alreadyLoaded: break
            case .loaded: logger.info("AppArmor: loaded the \(AppArmorProfile.defaultName) profile")
            case .skipped(let reason): logger.warning("AppArmor: \(AppArmorProfile.defaultName) not loaded: \(reason)")
            }
        } catch {
            logger.error("\(error)")
        }
    }

    /// The daemon's own confinement: the first word of /proc/self/attr/current (`unconfined` when unreadable).
    static func daemonProfile() -> String {
        let current = try? FileIO.readString("/proc/self/attr/current")
        let word = current?.split(separator: " ").first.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines)
        return word.flatMap { $0.isEmpty ? nil : $0 } ?? AppArmorProfile.unconfined
    }
}
