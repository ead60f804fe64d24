extension Duration {
    /// The duration in seconds as a `Double` (Foundation's `Date` arithmetic wants a `TimeInterval`).
    public var timeInterval: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The whole microseconds of the duration (for wire fields in µs or ms).
    public var microseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000 + parts.attoseconds / 1_000_000_000_000
    }
}
