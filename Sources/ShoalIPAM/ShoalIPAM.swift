/// ShoalIPAM — pure allocators for container networking (DESIGN.md §3, L1).
///
/// Owns: IPv4/IPv6/MAC value types and their parsing; subnet pools (Docker's default address pools and dockerd's
/// `--default-address-pool`); per-network address allocation (subnet, ip-range, gateway, aux addresses, `--ip`),
/// which also serves service VIPs; VXLAN network identifiers; published host ports. Every type is a `Sendable`
/// value; the ones that are state to persist are `Codable` in a compact, readable form.
///
/// Must never: do I/O of any kind (no files, sockets, netlink, clock or system randomness), hold locks or actors,
/// import Foundation, or know about Docker API types. Callers (the Engine, the network drivers, the swarm
/// allocator) own the state values, pass in what the host knows (routes to avoid, the ephemeral port range) and
/// persist the result.
/// Errors are `ShoalError`s worded as Docker words them, so the API can show them unchanged.
//
// No type is named after the module: `ShoalIPAM.IPv4Address` must keep resolving to the module's type.
