import ShoalCore
import ShoalOS

/// A process user after resolving Docker's `-u name|uid[:group|gid]`.
public struct ExecUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var additionalGids: [UInt32]
    public var home: String
}

/// Resolves `-u` against a container's /etc/passwd and /etc/group with the rules of moby/sys/user
/// `GetExecUser` (the one Docker uses), including its error texts, which users and scripts match on.
public enum UserResolver {
    /// Pure form: `passwd`/`group` are file contents, nil when the file does not exist.
    public static func resolve(_ spec: String, passwd: String?, group: String?, groupAdd: [String] = []) throws -> ExecUser {
        let (userArg, groupArg) = split(spec)
        let users = parsePasswd(passwd ?? "")
        let groups = parseGroup(group ?? "")
        var result = ExecUser(uid: 0, gid: 0, additionalGids: [], home: "/")
        let uidArg = UInt32(userArg)
        let matched: PasswdEntry? = users.first { entry in
            if userArg.isEmpty { return entry.uid == 0 }
            if let uidArg { return entry.uid == uidArg }
            return entry.name == userArg
        }
        if let matched {
            result.uid = matched.uid
            result.gid = matched.gid
            result.home = matched.home
        } else if !userArg.isEmpty {
            guard let uidArg else {
                throw ShoalError.invalidArgument("unable to find user \(userArg): no matching entries in passwd file")
            }
            result.uid = uidArg
        }
        if !groupArg.isEmpty {
            let gidArg = UInt32(groupArg)
            if let found = groups.first(where: { gidArg != nil ? $0.gid == gidArg : $0.name == groupArg }) {
                result.gid = found.gid
            } else if let gidArg {
                result.gid = gidArg
            } else {
                throw ShoalError.invalidArgument("unable to find group \(groupArg): no matching entries in group file")
            }
        } else if let matched {
            // Supplementary groups only in the implicit form, as moby does.
            result.additionalGids = groups.filter { $0.members.contains(matched.name) }.map(\.gid)
        }
        for extra in groupAdd {
            let gid: UInt32
            if let numeric = UInt32(extra) {
                gid = numeric
            } else if let found = groups.first(where: { $0.name == extra }) {
                gid = found.gid
            } else {
                throw ShoalError.invalidArgument("Unable to find group \(extra): no matching entries in group file")
            }
            if !result.additionalGids.contains(gid) { result.additionalGids.append(gid) }
        }
        return result
    }

    /// Reads the rootfs's /etc/passwd and /etc/group (symlinks resolved inside the rootfs) and resolves.
    public static func resolve(_ spec: String, rootfs: String, groupAdd: [String] = []) throws -> ExecUser {
        let passwd = try FileIO.readString(RootfsPath.resolve(root: rootfs, path: "/etc/passwd"))
        let group = try FileIO.readString(RootfsPath.resolve(root: rootfs, path: "/etc/group"))
        return try resolve(spec, passwd: passwd, group: group, groupAdd: groupAdd)
    }

    static func split(_ spec: String) -> (String, String) {
        guard let colon = spec.firstIndex(of: ":") else { return (spec, "") }
        return (String(spec[..<colon]), String(spec[spec.index(after: colon)...]))
    }

    struct PasswdEntry {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
    }

    struct GroupEntry {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    static func parsePasswd(_ text: String) -> [PasswdEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, !line.hasPrefix("#"), let uid = UInt32(fields[2]), let gid = UInt32(fields[3])
            else { return nil }
            return PasswdEntry(name: String(fields[0]), uid: uid, gid: gid, home: fields.count > 5 ? String(fields[5]) : "/")
        }
    }

    static func parseGroup(_ text: String) -> [GroupEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3, !line.hasPrefix("#"), let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            return GroupEntry(name: String(fields[0]), gid: gid, members: members)
        }
    }
}
