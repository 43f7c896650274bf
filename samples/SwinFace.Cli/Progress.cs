using Spectre.Console;

namespace SwinFace.Cli;

/// <summary>A progress bar on the terminal for runs over many photos; silent when it would get in the way.</summary>
internal static class Progress
{
    /// <summary>
    /// Runs <paramref name="work"/>, which calls its argument once per item done. The bar shows on standard
    /// error, only when both standard output and standard error are a terminal, when <paramref name="allowed"/>
    /// (false for JSON output), and for more than one item.
    /// </summary>
    public static T Run<T>(int items, bool allowed, Func<Action, T> work)
    {
        if (!allowed || items < 2 || Console.IsOutputRedirected || Console.IsErrorRedirected)
        {
            return work(() => { });
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("analysing photos", maxValue: items);
                result = work(() => task.Increment(1));
            });
        return result;
    }
}
