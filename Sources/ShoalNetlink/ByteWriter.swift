/// Appends fixed-width integers in host byte order (netlink's order) or network order where a field demands it.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ value: Int32) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
    mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }
    mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    /// Pads to the next multiple of 4 (NLMSG_ALIGN / NLA_ALIGN).
    mutating func align() { zeros(netlinkAligned(bytes.count) - bytes.count) }

    /// Overwrites a host-order UInt16 at `offset` (used to patch lengths after the body is known).
    mutating func patchU16(_ value: UInt16, at offset: Int) {
        withUnsafeBytes(of: value) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    mutating func patchU32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }
}

/// Rounds up to netlink's 4-byte alignment.
func netlinkAligned(_ length: Int) -> Int { (length + 3) & ~3 }

/// Reads fixed-width host-order integers out of a byte slice; nil when the slice is too short.
extension ArraySlice<UInt8> {
    func u8(at offset: Int) -> UInt8? {
        let i = startIndex + offset
        return i < endIndex ? self[i] : nil
    }

    func u16(at offset: Int) -> UInt16? { load(at: offset, as: UInt16.self) }
    func u32(at offset: Int) -> UInt32? { load(at: offset, as: UInt32.self) }
    func i32(at offset: Int) -> Int32? { load(at: offset, as: Int32.self) }

    private func load<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T? {
        let start = startIndex + offset
        guard offset >= 0, start + MemoryLayout<T>.size <= endIndex else { return nil }
        return withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    /// The bytes of a string attribute without its trailing NULs.
    var cString: String {
        String(decoding: prefix { $0 != 0 }, as: UTF8.self)
    }
}
