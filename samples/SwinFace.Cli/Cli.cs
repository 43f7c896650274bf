namespace SwinFace.Cli;

/// <summary>What every command shares: one-line errors and the untrained-model warning.</summary>
internal static class Cli
{
    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }

    public static void WarnIfUntrained(FaceAnalyzer analyzer)
    {
        if (analyzer.ModelSource.StartsWith("random-init", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"warning: this model has untrained random weights ({analyzer.ModelSource}); its outputs mean nothing. Convert the authors' checkpoint for real results (see README).");
        }
    }
}
