extension DNSMessage {
    /// The encoded reply, cut to at most `maxBytes` (RFC 1035 §4.2.1, RFC 2181 §9): first the additional records
    /// go (OPT stays), which needs no TC; if that is not enough, the authority section and then answers from the
    /// end go, and TC is set so the client retries over TCP. Answers are never cut mid-RRset in a way the client
    /// could mistake for complete, because TC marks the reply as partial.
    public func encoded(truncatingTo maxBytes: Int) throws(DNSError) -> [UInt8] {
        let full = try encoded()
        if full.count <= maxBytes { return full }

        func attempt(_ answers: Int, authority: Bool, truncated: Bool) throws(DNSError) -> [UInt8] {
            var message = self
            message.header.isTruncated = truncated
            var writer = DNSWriter(compress: true)
            try writer.writeMessage(message, answerLimit: answers, includeAuthority: authority, includeAdditional: false)
            return writer.bytes
        }
        let withoutAdditional = try attempt(answers.count, authority: true, truncated: header.isTruncated)
        if withoutAdditional.count <= maxBytes { return withoutAdditional }

        // The size grows with the number of answers kept, so binary search for the most that fit.
        var low = 0
        var high = answers.count - 1
        var best = try attempt(0, authority: false, truncated: true)
        while low <= high {
            let middle = (low + high) / 2
            let candidate = try attempt(middle, authority: false, truncated: true)
            if candidate.count <= maxBytes {
                best = candidate
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return best
    }

    /// The message as it would be after `encoded(truncatingTo:)`: the records that fit, TC set if any answer or
    /// authority record was dropped.
    public func truncated(toFit maxBytes: Int) throws(DNSError) -> DNSMessage {
        let bytes = try encoded(truncatingTo: maxBytes)
        return try DNSMessage(decoding: bytes)
    }
}
