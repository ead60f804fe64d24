import Glibc

/// "10.1.0.2" / "fd00::2" → bytes, with libc's parser (independent of the module's formatting).
func ipBytes(_ text: String) -> [UInt8] {
    var v4 = [UInt8](repeating: 0, count: 4)
    if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
    var v6 = [UInt8](repeating: 0, count: 16)
    precondition(inet_pton(AF_INET6, text, &v6) == 1, "not an IP address: \(text)")
    return v6
}

/// "02:42:0a:01:00:05" → 6 bytes.
func macBytes(_ text: String) -> [UInt8] {
    text.split(separator: ":").map { UInt8($0, radix: 16)! }
}
