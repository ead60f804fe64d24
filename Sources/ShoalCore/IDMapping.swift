/// The ids of a user namespace (`--userns-remap`): which host uid and gid each container id is, as OCI's
/// `linux.uidMappings`/`gidMappings` say it and dockerd's IdentityMapping keeps it. Container ids start at 0 and
/// the subordinate ranges follow one another, in the order /etc/subuid and /etc/subgid list them.
public struct IDMapping: Sendable, Equatable, Codable {
    public struct Range: Sendable, Equatable, Codable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32

        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    public var uids: [Range]
    public var gids: [Range]

    public init(uids: [Range], gids: [Range]) {
        self.uids = uids
        self.gids = gids
    }

    /// Container ids 0… laid over the host ranges `(start, length)` in order (dockerd's createIDMap).
    public init(subordinateUIDs: [(start: UInt32, length: UInt32)], subordinateGIDs: [(start: UInt32, length: UInt32)]) {
        func stack(_ ranges: [(start: UInt32, length: UInt32)]) -> [Range] {
            var next: UInt32 = 0
            return ranges.map { range in
                defer { next &+= range.length }
                return Range(containerID: next, hostID: range.start, size: range.length)
            }
        }
        self.init(uids: stack(subordinateUIDs), gids: stack(subordinateGIDs))
    }

    /// The host ids of the container's root (its files' owner on the host, the remapped data root's suffix).
    public var rootUID: UInt32 { hostUID(0) ?? 0 }
    public var rootGID: UInt32 { hostGID(0) ?? 0 }

    public func hostUID(_ id: UInt32) -> UInt32? { Self.map(id, uids, from: \.containerID, to: \.hostID) }
    public func hostGID(_ id: UInt32) -> UInt32? { Self.map(id, gids, from: \.containerID, to: \.hostID) }
    public func containerUID(_ id: UInt32) -> UInt32? { Self.map(id, uids, from: \.hostID, to: \.containerID) }
    public func containerGID(_ id: UInt32) -> UInt32? { Self.map(id, gids, from: \.hostID, to: \.containerID) }

    /// A file's owner as the host stores it, refused as dockerd refuses an id outside the ranges.
    public func hostOwner(uid: UInt32, gid: UInt32) throws -> (uid: UInt32, gid: UInt32) {
        guard let hostUID = hostUID(uid) else { throw ShoalError.invalidArgument("Container ID \(uid) cannot be mapped to a host ID") }
        guard let hostGID = hostGID(gid) else { throw ShoalError.invalidArgument("Container ID \(gid) cannot be mapped to a host ID") }
        return (hostUID, hostGID)
    }

    /// A host file's owner as the container sees it (commit, export, `docker cp` out), refused likewise.
    public func containerOwner(uid: UInt32, gid: UInt32) throws -> (uid: UInt32, gid: UInt32) {
        guard let containerUID = containerUID(uid) else { throw ShoalError.invalidArgument("Host ID \(uid) cannot be mapped to a container ID") }
        guard let containerGID = containerGID(gid) else { throw ShoalError.invalidArgument("Host ID \(gid) cannot be mapped to a container ID") }
        return (containerUID, containerGID)
    }

    private static func map(_ id: UInt32, _ ranges: [Range], from: KeyPath<Range, UInt32>, to: KeyPath<Range, UInt32>)
        -> UInt32? {
        for range in ranges where id >= range[keyPath: from] && UInt64(id) < UInt64(range[keyPath: from]) + UInt64(range.size) {
            return range[keyPath: to] + (id - range[keyPath: from])
        }
        return nil
    }
}
