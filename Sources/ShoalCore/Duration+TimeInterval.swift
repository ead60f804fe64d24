extension Duration {
    /// The duration in seconds as a `Double` (Foundation's `Date` arithmetic wants a `TimeInterval`).
    public var timeInterval: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
