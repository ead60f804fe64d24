import Foundation

/// Runs a command inside a namespace under
/// `strace -f -e trace=sendmsg,sendto -e write=all -xx -s 4096` and returns every buffer it sent, in order.
/// `-e write=all` makes strace print a hex dump of each sent buffer:
///
///      | 00000  40 00 00 00 10 00 05 06  cd 45 03 6b 00 00 00 00  @........E.k.... |
///
/// The hex columns are fixed (characters 10..<59), so the ASCII column is never mistaken for bytes.
enum StraceCapture {
    static func sentBuffers(namespace: String, command: [String]) async throws -> [[UInt8]] {
        let strace = ["strace", "-f", "-qq", "-e", "trace=sendmsg,sendto", "-e", "write=all", "-xx", "-s", "4096"]
        let result = try await Shell.run(["ip", "netns", "exec", namespace] + strace + command)
        guard result.status == 0 else {
            throw CommandFailure(command: command, status: result.status, stderr: result.stderr)
        }
        var buffers: [[UInt8]] = []
        var current: [UInt8]? = nil
        for line in result.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("sendmsg(") || line.hasPrefix("sendto(") || line.hasPrefix("[pid") {
                if let current { buffers.append(current) }
                current = []
            } else if line.hasPrefix(" | "), line.count > 10 {
                let chars = Array(line)
                let columns = String(chars[10..<min(chars.count, 59)])
                current?.append(contentsOf: columns.split(separator: " ").map { UInt8($0, radix: 16)! })
            }
        }
        if let current { buffers.append(current) }
        return buffers.filter { !$0.isEmpty }
    }

    /// The last buffer whose nlmsg_type is `type`: iproute2 first sends lookups (RTM_GETLINK by name); the
    /// request under test is the final message of its type.
    static func lastRequest(ofType type: UInt16, in buffers: [[UInt8]]) -> [UInt8]? {
        buffers.last { $0.count >= 16 && UInt16($0[4]) | UInt16($0[5]) << 8 == type }
    }
}
