using System.CommandLine;
using SwinFace.Cli;

var rootCommand = new RootCommand("Runs the SwinFace face model on photos and aligned face crops.");
rootCommand.Subcommands.Add(AnalyzeCommand.Create());
rootCommand.Subcommands.Add(BenchCommand.Create());
rootCommand.Subcommands.Add(CompareCommand.Create());
rootCommand.Subcommands.Add(ConvertCommand.Create());
rootCommand.Subcommands.Add(CalibrateCommand.Create());
rootCommand.Subcommands.Add(GalleryCommands.CreateEnroll());
rootCommand.Subcommands.Add(GalleryCommands.CreateGallery());
rootCommand.Subcommands.Add(IdentifyCommand.Create());
try
{
    return await rootCommand.Parse(args).InvokeAsync();
}
catch (Exception e)
{
    // Last resort: still one line, never a stack trace.
    return Cli.Fail(1, $"unexpected {e.GetType().Name}: {e.Message}");
}
