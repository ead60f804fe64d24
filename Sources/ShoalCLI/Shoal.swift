/// ShoalCLI: the `shoal` command. It covers only what `docker` cannot: running the daemon (and, with the
/// cluster issue, local multi-host clusters and credentials). One file per subcommand.
import ArgumentParser
import Foundation

@available(macOS 10.15, *)
public struct Shoal: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "Shoal: a container cluster platform driven by the docker CLI.",
        subcommands: [DaemonCommand.self, ClusterCommand.self, CredentialsCommand.self, SimulateCommand.self,
                      SimulateNodesCommand.self])

    public init() {}

    /// This binary's path, for the processes it starts of itself (cluster hosts, simulated nodes).
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

@available(macOS 10.15, *)
extension Shoal {
    /// The executable's entry point: parses the arguments and runs the chosen subcommand asynchronously.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
