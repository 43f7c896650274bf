using System.Globalization;
using SwinFace.Conversion;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--int8-sensitivity CHECKPOINT</c>: converts to int8 with and without SmoothQuant smoothing, and with the
/// calibrated ranges narrowed (activations clip), and prints each conversion's fidelity to fp32.
/// </summary>
internal static class QuantizationSensitivity
{
    public const string Option = "--int8-sensitivity";

    public static int Run(string[] args)
    {
        string output = Path.Combine(Path.GetTempPath(), $"swinface-sensitivity-{Environment.ProcessId}.swinface");
        (string Name, ConversionOptions Options)[] variants =
        [
            ("smoothed (the default)", new() { Precision = ModelPrecision.Int8, Force = true }),
            ("not smoothed", new() { Precision = ModelPrecision.Int8, Force = true, NoSmoothing = true }),
            ("ranges x 1.25 (headroom)", new() { Precision = ModelPrecision.Int8, Force = true, RangeFactor = 1.25f }),
            ("ranges x 1.5 (headroom)", new() { Precision = ModelPrecision.Int8, Force = true, RangeFactor = 1.5f }),
            ("ranges x 1/2 (clipping)", new() { Precision = ModelPrecision.Int8, Force = true, RangeFactor = 0.5f }),
            ("ranges x 1/8 (clipping)", new() { Precision = ModelPrecision.Int8, Force = true, RangeFactor = 0.125f }),
        ];
        try
        {
            foreach ((string name, ConversionOptions options) in variants)
            {
                QuantizationFidelity f = CheckpointConverter.Convert(args[1], output, options).Fidelity!;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {f.EmbeddingCosineMedian:F4} | {f.EmbeddingCosineMin:F4} | {f.ExpressionAgreement:P1} | {f.AgeDifferenceMedian:F2} | {f.AttributeAgreement:P1} | {(f.MeetsTheBars ? "yes" : "no")} |"));
            }
        }
        finally
        {
            File.Delete(output);
        }

        return 0;
    }
}
