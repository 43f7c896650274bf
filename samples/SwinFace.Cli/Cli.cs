namespace SwinFace.Cli;

/// <summary>What every command shares: one-line errors and the untrained-model warning.</summary>
internal static class Cli
{
    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }

    /// <summary>The model's precision as the reports show it: <c>fp32</c>, or <c>int8</c> with its measured fidelity.</summary>
    public static string Precision(FaceAnalyzer analyzer) => analyzer.Fidelity is { } f
        ? FormattableString.Invariant($"int8 (fidelity to fp32 at conversion: embedding cosine median {f.EmbeddingCosineMedian:F4}, attributes {f.AttributeAgreement:P1} agree{(f.MeetsTheBars ? string.Empty : "; BELOW THE BARS, forced")})")
        : analyzer.Precision == ModelPrecision.Int8 ? "int8" : "fp32";

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
