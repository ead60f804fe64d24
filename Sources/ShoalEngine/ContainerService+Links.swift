import ShoalCore
import ShoalModel

/// Legacy links: `--link TARGET[:ALIAS]` of a container on the default bridge, as Docker 20.10 keeps them. The
/// target must exist at create and run at start; the linking container then finds it in its hosts file (alias,
/// hostname and name) and in Docker's `ALIAS_*` variables. On a user network `--link` is the endpoint's instead
/// (NetworkService resolves its alias through the embedded DNS).
extension ContainerService {
    /// At create: each target resolved to its ID, with Docker's refusals; nil off the default bridge, where Docker
    /// ignores the host config's links.
    func resolvedLinks(_ host: HostSpec) throws -> [ContainerLink]? {
        guard let links = host.links, !links.isEmpty, ["default", "bridge"].contains(host.networkMode) else {
            return nil
        }
        return try links.map { link in
            let target: ContainerRecord
            do {
                target = try resolve(link.target)
            } catch let error as ShoalError where error.code == .notFound {
                // 400, as Docker answers since a 404 made the CLI report a missing image (moby#39823).
                throw ShoalError.invalidArgument("could not get container for \(link.target): \(error.message)")
            }
            if target.spec.host.networkMode == "host" {
                throw ShoalError.invalidArgument("conflicting options: host type networking can't be used with links. "
                                                     + "This would result in undefined behavior")
            }
            return ContainerLink(target: target.id, name: target.name, alias: link.alias)
        }
    }

    /// The record as inspect shows it: links carry their targets' current names, and a removed target's link is
    /// gone (Docker's link graph drops it with the container).
    func withCurrentLinks(_ record: ContainerRecord) -> ContainerRecord {
        guard let links = record.spec.host.links else { return record }
        var shown = record
        shown.spec.host.links = links.compactMap { link in
            records[link.target].map { ContainerLink(target: link.target, name: $0.name, alias: link.alias) }
        }
        return shown
    }

    /// At start: the hosts entries (`ALIASES:ADDRESS`, the `--add-host` form, as Docker adds links as extra hosts)
    /// and the environment the links give; refused, as Docker does, when a target is not running.
    func linkedSetup(_ record: ContainerRecord) throws -> (hosts: [String], env: [String]) {
        var hosts: [String] = [], env: [String] = []
        for link in record.spec.host.links ?? [] {
            guard let target = records[link.target] else { continue }
            let name = "/\(record.name)/\(link.alias)"
            guard target.state.status == .running || target.state.status == .paused else {
                throw ShoalError.internalError("Cannot link to a non running container: /\(target.name) AS \(name)")
            }
            guard let address = target.network.endpoints.first(where: { $0.networkName == "bridge" })?.ipv4Address,
                  !address.isEmpty else {
                throw ShoalError.internalError("container \(target.id) not attached to default bridge network")
            }
            let names = [link.alias, target.hostname] + (link.alias == target.name ? [] : [target.name])
            hosts.append(names.joined(separator: " ") + ":" + address)
            env += LinkEnvironment.variables(alias: link.alias, name: name, address: address,
                                             ports: target.exposedPorts, environment: target.env)
        }
        return (hosts, env)
    }
}
