import Foundation
import ShoalCore
import ShoalOS

/// The user whose subordinate ids a daemon with `--userns-remap` maps its containers to.
public struct RemappedRoot: Sendable, Equatable {
    public var user: String
    public var group: String
    public var mapping: IDMapping

    /// dockerd's directory for this remapping under the data root: `UID.GID` of the container's root on the host.
    public var directoryName: String { "\(mapping.rootUID).\(mapping.rootGID)" }
}

/// `--userns-remap default|USER[:GROUP]` read as dockerd reads it (parseRemappedRoot, setupRemappedRoot,
/// idtools.NewIdentityMapping), with its messages: names or ids that must exist on the host, `default` for the
/// `dockremap` user (created, with 65536 subordinate ids after the ranges already given, when missing), and the
/// user's ranges in /etc/subuid and /etc/subgid (looked up by uid, then by name), both required.
public enum UserNamespaceRemap {
    public static let defaultUser = "dockremap"
    static let defaultRangeStart: UInt32 = 100_000
    static let defaultRangeLength: UInt32 = 65_536

    public struct HostFiles: Sendable {
        public var passwd = "/etc/passwd"
        public var group = "/etc/group"
        public var subuid = "/etc/subuid"
        public var subgid = "/etc/subgid"
        public init() {}
    }

    /// The remapping `value` asks for; nil when it names root (dockerd then runs without user namespaces).
    public static func resolve(_ value: String, files: HostFiles = HostFiles()) async throws -> RemappedRoot? {
        var names = try self.names(value, passwd: read(files.passwd), group: read(files.group))
        if names == nil {
            try await createDefaultUser(files)
            names = (defaultUser, defaultUser)
        }
        guard let (user, group) = names, user != "root" else { return nil }
        guard let entry = UserResolver.parsePasswd(try read(files.passwd)).first(where: { $0.name == user }) else {
            throw ShoalError.invalidArgument("Can't create ID mappings: Could not get user for username \(user)")
        }
        do {
            let mapping = try IDMapping(
                subordinateUIDs: ranges(read(files.subuid), file: files.subuid, user: user, uid: entry.uid, kind: "subuid"),
                subordinateGIDs: ranges(read(files.subgid), file: files.subgid, user: user, uid: entry.uid, kind: "subgid"))
            return RemappedRoot(user: user, group: group, mapping: mapping)
        } catch let error as ShoalError {
            throw ShoalError.invalidArgument("Can't create ID mappings: " + error.message)
        }
    }

    /// The user and group names `value` stands for (parseRemappedRoot); nil for `default` when `dockremap` does not
    /// exist yet.
    static func names(_ value: String, passwd: String, group: String) throws -> (user: String, group: String)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, !value.isEmpty else {
            throw ShoalError.invalidArgument("Invalid user/group specification in --userns-remap: \"\(value)\"")
        }
        let users = UserResolver.parsePasswd(passwd)
        let groups = UserResolver.parseGroup(group)
        let user: String
        var groupName: String?
        if let uid = Int32(parts[0]) {
            guard let entry = users.first(where: { Int64($0.uid) == Int64(uid) }) else {
                throw ShoalError.invalidArgument("Uid \(uid) has no entry in /etc/passwd")
            }
            user = entry.name
            if parts.count == 1 {
                guard let found = groups.first(where: { Int64($0.gid) == Int64(uid) }) else {
                    throw ShoalError.invalidArgument("Gid \(uid) has no entry in /etc/group")
                }
                groupName = found.name
            }
        } else {
            let lookup = parts[0] == "default" ? defaultUser : parts[0]
            guard users.contains(where: { $0.name == lookup }) else {
                if parts[0] == "default" { return nil }
                throw ShoalError.invalidArgument(
                    "Error during uid lookup for \"\(lookup)\": getent unable to find entry \"\(lookup)\" in passwd database")
            }
            user = lookup
            if parts.count == 1 {
                guard groups.contains(where: { $0.name == lookup }) else {
                    throw ShoalError.invalidArgument(
                        "Error during gid lookup for \"\(lookup)\": getent unable to find entry \"\(lookup)\" in group database")
                }
                groupName = lookup
            }
        }
        if parts.count == 2 {
            if let gid = Int32(parts[1]) {
                guard let found = groups.first(where: { Int64($0.gid) == Int64(gid) }) else {
                    throw ShoalError.invalidArgument("Gid \(gid) has no entry in /etc/passwd")
                }
                groupName = found.name
            } else {
                guard groups.contains(where: { $0.name == parts[1] }) else {
                    throw ShoalError.invalidArgument(
                        "Error during groupname lookup for \"\(parts[1])\": getent unable to find entry \"\(parts[1])\" in group database")
                }
                groupName = parts[1]
            }
        }
        return (user, groupName ?? user)
    }

    /// The ranges of `user` in a subordinate id file: those given for its uid, else those given for its name.
    static func ranges(_ text: String, file: String, user: String, uid: UInt32, kind: String) throws
        -> [(start: UInt32, length: UInt32)] {
        let all = try entries(text, file: file)
        var found = all.filter { $0.owner == String(uid) }
        if found.isEmpty { found = all.filter { $0.owner == user } }
        guard !found.isEmpty else { throw ShoalError.invalidArgument("no \(kind) ranges found for user \"\(user)\"") }
        return found.map { ($0.start, $0.length) }
    }

    /// The first id from 100000 on where 65536 ids overlap no range of the file (dockerd's findNextRangeStart).
    static func nextRangeStart(_ text: String, file: String) throws -> UInt32 {
        var start = defaultRangeStart
        for entry in try entries(text, file: file).sorted(by: { $0.start < $1.start }) {
            let end = UInt64(entry.start) + UInt64(entry.length)
            if UInt64(start) < end && UInt64(start) + UInt64(defaultRangeLength) > UInt64(entry.start) {
                start = UInt32(clamping: end)
            }
        }
        return start
    }

    static func entries(_ text: String, file: String) throws -> [(owner: String, start: UInt32, length: UInt32)] {
        try text.split(separator: "\n").compactMap { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { return nil }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3 else {
                throw ShoalError.invalidArgument("Cannot parse subuid/gid information: Format not correct for \(file) file")
            }
            guard let start = UInt32(fields[1]), let length = UInt32(fields[2]) else {
                throw ShoalError.invalidArgument("String to int conversion failed during subuid/gid parsing of \(file)")
            }
            return (String(fields[0]), start, length)
        }
    }

    /// `dockremap` as dockerd makes it: a system user and group without login, then 65536 subordinate uids and gids
    /// after the ranges the files already give.
    static func createDefaultUser(_ files: HostFiles) async throws {
        try await run("/usr/sbin/useradd", ["-r", "-s", "/bin/false", defaultUser],
                      failure: "Error during \"\(defaultUser)\" user creation: Error adding user \"\(defaultUser)\"")
        for (flag, file) in [("-v", files.subuid), ("-w", files.subgid)] {
            guard (try? ranges(read(file), file: file, user: defaultUser, uid: UInt32.max, kind: "")) == nil else { continue }
            let start = try nextRangeStart(read(file), file: file)
            try await run("/usr/sbin/usermod", [flag, "\(start)-\(start + defaultRangeLength - 1)", defaultUser],
                          failure: "Error during \"\(defaultUser)\" user creation: Couldn't create subordinate ID ranges")
        }
    }

    private static func run(_ executable: String, _ arguments: [String], failure: String) async throws {
        let result = try await Command.run(executable, arguments)
        guard result.status == .exited(0) else {
            throw ShoalError.invalidArgument(failure + ": " + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private static func read(_ path: String) throws -> String { try FileIO.readString(path) ?? "" }
}
