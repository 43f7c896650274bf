using System.CommandLine;
using SwinFace.Cli;

var rootCommand = new RootCommand("Runs the SwinFace face model on aligned face crops.");
rootCommand.Subcommands.Add(AnalyzeCommand.Create());
return rootCommand.Parse(args).Invoke();
