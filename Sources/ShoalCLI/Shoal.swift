/// ShoalCLI: the `shoal` command. It covers only what `docker` cannot: running the daemon (and, with the
/// cluster issue, local multi-host clusters and credentials). One file per subcommand.
import ArgumentParser

@available(macOS 10.15, *)
public struct Shoal: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "Shoal: a container cluster platform driven by the docker CLI.",
        subcommands: [DaemonCommand.self, ClusterCommand.self, CredentialsCommand.self, SimulateCommand.self,
                      SimulateNodesCommand.self])

    public init() {}
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
