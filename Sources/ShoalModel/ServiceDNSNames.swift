/// The names a swarm service answers to in the embedded DNS, beyond its containers' own: `NAME` (its VIP, or its
/// tasks with `--endpoint-mode dnsrr`) and `tasks.NAME` (its tasks). A task's endpoint carries them while it is
/// wanted up; one being stopped drops them first, so it leaves DNS and every balancer before its stop signal.
public enum ServiceDNSNames {
    /// `tasks.NAME`: every task of the service.
    public static func tasks(of service: String) -> String { "tasks." + service }

    /// The service names a task's endpoint takes: `tasks.NAME`, and `NAME` too when the service resolves to its
    /// tasks (dnsrr) rather than to a VIP.
    public static func forTask(of service: String, dnsrr: Bool) -> [String] {
        dnsrr ? [tasks(of: service), service] : [tasks(of: service)]
    }

    /// `names` without a task's service names (`tasks.NAME`, and `NAME` beside it): what a task being stopped
    /// keeps (its container's own names).
    public static func withoutServiceNames(_ names: [String]) -> [String] {
        names.filter { name in !name.hasPrefix("tasks.") && !names.contains(tasks(of: name)) }
    }

    /// Whether `names` include a task's service names.
    public static func includeServiceNames(_ names: [String]) -> Bool { names.contains { $0.hasPrefix("tasks.") } }
}
