import ShoalCLI

await Shoal.runFromCommandLine()
