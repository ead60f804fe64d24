import ShoalCore
import ShoalIPAM

/// The bridge driver's options (`docker network create -o KEY=VALUE`), read as Docker 20.10's bridge driver reads
/// them: the keys it knows are parsed (a bad value is refused with its "failed to parse" message), any other key is
/// kept and shown in inspect's `Options` without effect, as Docker does.
struct BridgeOptions: Equatable {
    static let bridgeName = "com.docker.network.bridge.name"
    static let mtu = "com.docker.network.driver.mtu"
    static let masquerade = "com.docker.network.bridge.enable_ip_masquerade"
    static let interContainer = "com.docker.network.bridge.enable_icc"
    static let hostBinding = "com.docker.network.bridge.host_binding_ipv4"
    static let defaultBridge = "com.docker.network.bridge.default_bridge"
    static let enableIPv6 = "com.docker.network.enable_ipv6"

    var bridgeName: String?
    /// nil: the default (a value of 0 means the default too).
    var mtu: Int?
    var masquerade = true
    var interContainer = true
    /// Where ports published without a host address are bound (nil: every address).
    var hostBinding: IPAddress?
    var defaultBridge = false

    init(_ options: [String: String]) throws {
        // Sorted, so which of two bad values is reported does not depend on dictionary order.
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            switch key {
            case Self.bridgeName: bridgeName = value
            case Self.mtu:
                guard let number = Int(value) else { throw Self.parseError(key, value, Self.syntax("Atoi", value)) }
                guard number >= 0 else { throw ShoalError.invalidArgument("invalid MTU number: \(number)") }
                // The kernel refuses a link MTU below IPv4's minimum; say so before anything is made.
                guard number == 0 || number >= 68 else {
                    throw ShoalError.invalidArgument("invalid MTU number: \(number): at least 68")
                }
                mtu = number == 0 ? nil : number
            case Self.masquerade: masquerade = try Self.bool(key, value)
            case Self.interContainer: interContainer = try Self.bool(key, value)
            case Self.defaultBridge: defaultBridge = try Self.bool(key, value)
            case Self.enableIPv6: _ = try Self.bool(key, value)
            case Self.hostBinding:
                guard let address = try? IPAddress(parsing: value) else { throw Self.parseError(key, value, "nil ip") }
                hostBinding = address
            default: break
            }
        }
    }

    /// Go's strconv.ParseBool: 1, t, T, TRUE, true, True and their negatives.
    static func bool(_ key: String, _ value: String) throws -> Bool {
        switch value {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw parseError(key, value, syntax("ParseBool", value))
        }
    }

    /// The value of a boolean option as stored, or `fallback` when it is absent or unreadable.
    static func flag(_ options: [String: String], _ key: String, default fallback: Bool) -> Bool {
        options[key].flatMap { try? bool(key, $0) } ?? fallback
    }

    private static func syntax(_ function: String, _ value: String) -> String {
        "strconv.\(function): parsing \"\(value)\": invalid syntax"
    }

    /// libnetwork's bridge driver: `failed to parse KEY value: VALUE (REASON)` (400).
    private static func parseError(_ key: String, _ value: String, _ reason: String) -> ShoalError {
        .invalidArgument("failed to parse \(key) value: \(value) (\(reason))")
    }
}
