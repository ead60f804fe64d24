/// VXLAN network identifiers for overlay networks: one VNI per network, unique across the cluster (the swarm
/// allocator's job), 24 bits on the wire.
import ShoalCore

public struct VNIAllocator: Sendable, Hashable {
    /// Swarm's default: VNIs below 4096 are left to users and to other VXLAN users of the hosts; 2^24 − 1 is the
    /// largest value the 24-bit field holds.
    public static let defaultRange: ClosedRange<UInt32> = 4096...16_777_215
    /// Every value a VXLAN header can carry except 0.
    public static let validRange: ClosedRange<UInt32> = 1...16_777_215

    /// Where `allocate()` picks from.
    public let range: ClosedRange<UInt32>
    private var inUse = RunSet()
    /// The last VNI `allocate()` returned.
    public private(set) var cursor: UInt32?

    public init(range: ClosedRange<UInt32> = VNIAllocator.defaultRange) throws(ShoalError) {
        guard VNIAllocator.validRange.contains(range.lowerBound), VNIAllocator.validRange.contains(range.upperBound) else {
            throw ShoalError.invalidArgument(
                "invalid VXLAN ID range \(range.lowerBound)-\(range.upperBound): VXLAN IDs are 1-16777215")
        }
        self.range = range
    }

    /// The next free VNI after the last one allocated, wrapping (swarm's serial allocation): a VNI just released is
    /// not reused until the rest of the range has been, so hosts still tearing down the old network's VXLAN device
    /// never see the new network on it.
    public mutating func allocate() throws(ShoalError) -> UInt32 {
        guard let vni = RunSet.nextFree(in: range, after: cursor, avoiding: [inUse]) else {
            throw ShoalError(.unavailable,
                             "no available VXLAN IDs: all of \(range.lowerBound)-\(range.upperBound) are in use")
        }
        inUse.insert(vni)
        cursor = vni
        return vni
    }

    /// A user-chosen VNI (the overlay driver's `com.docker.network.driver.overlay.vxlanid_list` option). Any valid
    /// VNI is accepted, inside `range` or not: the range only bounds automatic choices.
    public mutating func reserve(_ vni: UInt32) throws(ShoalError) {
        guard VNIAllocator.validRange.contains(vni) else {
            throw ShoalError.invalidArgument("invalid VXLAN ID \(vni): VXLAN IDs are 1-16777215")
        }
        guard inUse.insert(vni) else { throw ShoalError.conflict("VXLAN ID \(vni) is already in use") }
    }

    /// Serial allocation goes on after `vni` (a new leader rebuilding the allocator from the store continues where
    /// the highest VNI in use left it, instead of offering a just-released one first).
    public mutating func moveCursor(past vni: UInt32) { cursor = vni }

    /// Idempotent: returns false when `vni` was not in use.
    @discardableResult
    public mutating func release(_ vni: UInt32) -> Bool { inUse.remove(vni) }

    public func isInUse(_ vni: UInt32) -> Bool { inUse.contains(vni) }

    public var vnisInUse: [UInt32] { inUse.values }
}

extension VNIAllocator: Codable {
    private enum CodingKeys: String, CodingKey { case first, last, inUse, cursor }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(range.lowerBound, forKey: .first)
        try container.encode(range.upperBound, forKey: .last)
        try container.encode(inUse.encodedRuns { String($0) }, forKey: .inUse)
        try container.encodeIfPresent(cursor, forKey: .cursor)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let first = try container.decode(UInt32.self, forKey: .first)
        let last = try container.decode(UInt32.self, forKey: .last)
        guard first <= last else { throw IPAMError.corruptState("VXLAN ID range \(first)-\(last) is reversed") }
        try self.init(range: first...last)
        inUse = try RunSet(encodedRuns: container.decode([String].self, forKey: .inUse)) { text throws(ShoalError) in
            guard let value = UInt32(text), VNIAllocator.validRange.contains(value) else {
                throw IPAMError.corruptState("bad VXLAN ID \(text)")
            }
            return value
        }
        cursor = try container.decodeIfPresent(UInt32.self, forKey: .cursor)
    }
}
