import Foundation
import ShoalCore
import ShoalIPAM
import ShoalModel
import ShoalNFTables
import ShoalNetwork

extension NetworkService {
    /// `-p` and `-P`: takes each host port (ours in the allocator, the host's by binding it) and adds its DNAT
    /// publication. Either every port is taken or none (the caller tears the sandbox down on error).
    func publishPorts(_ record: ContainerRecord, endpoint: EndpointState, into live: inout LiveSandbox) async throws {
        // `com.docker.network.bridge.host_binding_ipv4`: where a port without a host address is published.
        let binding = networks[endpoint.networkID].flatMap { try? BridgeOptions($0.options) }?.hostBinding
        let defaultHostIP = binding.flatMap { $0.isIPv4 && !$0.isUnspecified ? $0.description : nil } ?? "0.0.0.0"
        for (containerPort, hostIP, hostPorts) in try PortRequests.expand(record, defaultHostIP: defaultHostIP) {
            let proto: PortProtocol = containerPort.hasSuffix("/udp") ? .udp : .tcp
            let ip = try IPAddress(parsing: hostIP)
            // A port the engine picks (`-P`, `-p 80`, a range) that another program of the host holds is skipped
            // for the next one; a port asked for by number is refused as Docker refuses it.
            let chosen = hostPorts.map { $0.count == 1 } != true
            var skipped: [UInt16] = []
            defer { for port in skipped { self.hostPorts.release(proto, hostIP: ip, port: port) } }
            var port: UInt16 = 0
            while true {
                do {
                    if let range = hostPorts {
                        port = range.count == 1
                            ? try { try self.hostPorts.allocate(proto, hostIP: ip, port: range.lowerBound); return range.lowerBound }()
                            : try self.hostPorts.allocate(proto, hostIP: ip, in: range)
                    } else {
                        port = try self.hostPorts.allocate(proto, hostIP: ip)
                    }
                } catch {
                    throw externalConnectivity(record, endpoint, error)
                }
                let published = PublishedPort(containerPort: containerPort, hostIP: hostIP, hostPort: port)
                do {
                    try holdPort(published, containerIP: endpoint.ipv4Address, endpoint: endpoint, into: &live)
                    break
                } catch let error as ShoalError
                    where chosen && skipped.count < Self.portsSkippedAtMost && error.message.hasSuffix("address already in use") {
                    skipped.append(port)
                } catch {
                    self.hostPorts.release(proto, hostIP: ip, port: port)
                    throw externalConnectivity(record, endpoint, error)
                }
            }
            // On every address means IPv6 too, as Docker lists it (`:::PORT`), when the host has IPv6.
            if hostIP == "0.0.0.0" && IPv6PortProxy.hostHasIPv6 {
                let alsoIPv6 = PublishedPort(containerPort: containerPort, hostIP: "::", hostPort: port)
                do {
                    try await proxyIPv6(alsoIPv6, containerIP: endpoint.ipv4Address, into: &live)
                } catch {
                    throw externalConnectivity(record, endpoint, error)
                }
            }
        }
    }

    /// How many ports held by other programs a chosen port may skip before the publication fails.
    static let portsSkippedAtMost = 64

    /// `[::]:PORT` relayed to the container by the daemon (see IPv6PortProxy).
    func proxyIPv6(_ port: PublishedPort, containerIP: String, into live: inout LiveSandbox) async throws {
        let parts = port.containerPort.split(separator: "/")
        guard let target = Int(parts[0]) else { throw ShoalError.invalidArgument("invalid port \(port.containerPort)") }
        let proxy = try await IPv6PortProxy.start(proto: parts.count > 1 ? String(parts[1]) : "tcp", port: port.hostPort,
                                                  target: containerIP, targetPort: target)
        live.proxies.append(proxy)
        live.ports.append(port)
    }

    /// Binds the host port and records the publication (also used when restoring after a daemon restart).
    func holdPort(_ port: PublishedPort, containerIP: String, endpoint: EndpointState, into live: inout LiveSandbox)
        throws
    {
        let parts = port.containerPort.split(separator: "/")
        let proto = parts.count > 1 ? String(parts[1]) : "tcp"
        guard let target = UInt16(parts[0]), let network = networks[endpoint.networkID],
              let bridge = network.bridgeName else {
            throw ShoalError.invalidArgument("invalid port \(port.containerPort)")
        }
        if let ip = try? IPAddress(parsing: port.hostIP) {
            try? hostPorts.allocate(proto == "udp" ? .udp : .tcp, hostIP: ip, port: port.hostPort)
        }
        let reservation = try HostPortReservation.reserve(proto: proto, hostIP: port.hostIP, port: port.hostPort)
        live.reservations.append(reservation)
        live.ports.append(port)
        live.publications.append(PortPublication(
            proto: proto == "udp" ? .udp : .tcp, hostIP: port.hostIP == "0.0.0.0" ? nil : port.hostIP,
            hostPort: port.hostPort, containerIP: containerIP, containerPort: target, bridge: bridge))
    }

    /// Gives the host ports back to the allocator (the reservations' sockets close with their sandbox).
    func releaseHostPorts(_ ports: [PublishedPort]) {
        for port in ports {
            let proto: PortProtocol = port.containerPort.hasSuffix("/udp") ? .udp : .tcp
            if let ip = try? IPAddress(parsing: port.hostIP) { hostPorts.release(proto, hostIP: ip, port: port.hostPort) }
        }
    }

    /// Docker's wording for a port that cannot be published.
    private func externalConnectivity(_ record: ContainerRecord, _ endpoint: EndpointState, _ error: any Error)
        -> ShoalError
    {
        let reason = (error as? ShoalError)?.message ?? "\(error)"
        return ShoalError.internalError(
            "driver failed programming external connectivity on endpoint \(record.name) (\(endpoint.endpointID)): \(reason)")
    }
}

/// The host ports a container asks for, from `PortBindings` and (with `-P`) its exposed ports.
enum PortRequests {
    /// (container port like `80/tcp`, host IP, host port range or nil for an ephemeral one), sorted; a port without a
    /// host address is published on `defaultHostIP`.
    static func expand(_ record: ContainerRecord, defaultHostIP: String = "0.0.0.0") throws
        -> [(String, String, ClosedRange<UInt16>?)]
    {
        var bindings = record.spec.host.portBindings
        if record.spec.host.publishAllPorts {
            for port in record.exposedPorts where bindings[port] == nil {
                bindings[port] = [PortBinding(hostIP: "", hostPort: "")]
            }
        }
        var result: [(String, String, ClosedRange<UInt16>?)] = []
        for key in bindings.keys.sorted() {
            let containerPort = key.contains("/") ? key : key + "/tcp"
            let parts = containerPort.split(separator: "/")
            guard parts.count == 2, UInt16(parts[0]) != nil, ["tcp", "udp"].contains(parts[1]) else {
                if parts.count == 2, parts[1] == "sctp" {
                    throw ShoalError.invalidArgument("sctp ports are not supported: \(key)")
                }
                throw ShoalError.invalidArgument("invalid port specification: \"\(key)\"")
            }
            for binding in bindings[key] ?? [] {
                let hostIP = binding.hostIP.isEmpty ? defaultHostIP : binding.hostIP
                // No IPv6 publishing yet: an explicit IPv6 host address is skipped, as Docker does without IPv6.
                if hostIP.contains(":") { continue }
                result.append((containerPort, hostIP, try hostRange(binding.hostPort)))
            }
        }
        return result
    }

    /// `""`/`"0"` → ephemeral (nil); `"8080"`; `"8000-8010"`.
    static func hostRange(_ text: String) throws -> ClosedRange<UInt16>? {
        if text.isEmpty || text == "0" { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let low = UInt16(parts[0]), low > 0 else { throw ShoalError.invalidArgument("invalid hostPort: \(text)") }
        guard parts.count == 2 else {
            guard parts.count == 1 else { throw ShoalError.invalidArgument("invalid hostPort: \(text)") }
            return low...low
        }
        guard let high = UInt16(parts[1]), high >= low else { throw ShoalError.invalidArgument("invalid hostPort: \(text)") }
        return low...high
    }
}
