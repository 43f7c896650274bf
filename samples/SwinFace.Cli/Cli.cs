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
            Console.Error.WriteLine($"""

                *** WARNING: UNTRAINED TEST MODEL ({analyzer.ModelSource}) ***
                Its weights are random: the ages, genders, expressions, attributes and identities it gives mean nothing.
                For real results convert the authors' checkpoint: README.md, "Convert the authors' model".

                """);
        }
    }
}
