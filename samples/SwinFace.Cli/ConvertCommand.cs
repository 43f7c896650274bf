using System.CommandLine;
using System.Globalization;
using SwinFace.Conversion;

namespace SwinFace.Cli;

/// <summary>The <c>convert</c> command: the authors' PyTorch checkpoint in, a SwinFace model file out, without Python.</summary>
internal static class ConvertCommand
{
    private static readonly Option<string> Checkpoint = new("--checkpoint")
    {
        Description = "The authors' checkpoint (checkpoint_step_79999_gpu_0.pt), as torch.save wrote it.",
        Required = true,
    };

    private static readonly Option<string> Out = new("--out")
    {
        Description = "The model file to write (.swinface).",
        Required = true,
    };

    private static readonly Option<string> Precision = new("--precision")
    {
        Description = "fp32 (the authors' model exactly) or int8 (about twice as fast; its fidelity to fp32 is measured and stored).",
        DefaultValueFactory = _ => "fp32",
    };

    private static readonly Option<bool> Force = new("--force")
    {
        Description = "With --precision int8: write the model even if its fidelity to fp32 misses a bar.",
    };

    private static readonly Option<string[]> FidelityPhotos = new("--fidelity-photos")
    {
        Description = "With --precision int8: photos (files or folders) whose faces calibrate and measure the int8 model, instead of the public ones that come with the tool.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Command Create()
    {
        var command = new Command("convert", "Convert the authors' PyTorch checkpoint into a SwinFace model file, in fp32 or int8. No Python needed; the checkpoint's code is never run.");
        Precision.AcceptOnlyFromAmong("fp32", "int8");
        command.Options.Add(Checkpoint);
        command.Options.Add(Out);
        command.Options.Add(Precision);
        command.Options.Add(Force);
        command.Options.Add(FidelityPhotos);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string checkpoint = parse.GetValue(Checkpoint)!;
        string output = parse.GetValue(Out)!;
        bool int8 = parse.GetValue(Precision) == "int8";
        List<string>? photos = parse.GetValue(FidelityPhotos) is { Length: > 0 } given ? AnalyzeCommand.ResolveImages(given) : null;
        try
        {
            if (int8)
            {
                Console.Error.WriteLine("converting to int8: calibrating on the fidelity photos' faces, then measuring against fp32 ...");
            }

            ConversionResult result = CheckpointConverter.Convert(checkpoint, output, new ConversionOptions
            {
                Precision = int8 ? ModelPrecision.Int8 : ModelPrecision.Float32,
                Force = parse.GetValue(Force),
                FidelityPhotos = photos,
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output} ({result.Bytes / 1e6:F1} MB, {(int8 ? "int8" : "fp32")}) in {result.Elapsed.TotalSeconds:F1} s"));
            Console.WriteLine($"source: {result.Source}");
            if (result.Fidelity is { } f)
            {
                WriteFidelity(f);
            }

            return 0;
        }
        catch (Exception e) when (e is SwinFaceModelException or SwinFaceImageException or IOException or UnauthorizedAccessException)
        {
            return Cli.Fail(FaceInputs.InputError, e.Message);
        }
    }

    private static void WriteFidelity(QuantizationFidelity f)
    {
        string Row(string what, string value, string bar, bool ok) => $"  {what,-28} {value,10}   {bar,-10} {(ok ? "ok" : "MISSED")}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fidelity to fp32 on {f.Faces} faces:"));
        Console.WriteLine(Row("embedding cosine, median", f.EmbeddingCosineMedian.ToString("F4", CultureInfo.InvariantCulture), ">= 0.995", f.EmbeddingCosineMedian >= QuantizationFidelity.MinEmbeddingCosineMedian));
        Console.WriteLine(Row("embedding cosine, minimum", f.EmbeddingCosineMin.ToString("F4", CultureInfo.InvariantCulture), ">= 0.98", f.EmbeddingCosineMin >= QuantizationFidelity.MinEmbeddingCosine));
        Console.WriteLine(Row("expression agreement", f.ExpressionAgreement.ToString("P1", CultureInfo.InvariantCulture), ">= 95%", f.ExpressionAgreement >= QuantizationFidelity.MinExpressionAgreement));
        Console.WriteLine(Row("age difference, median", f.AgeDifferenceMedian.ToString("F2", CultureInfo.InvariantCulture) + " y", "<= 1 y", f.AgeDifferenceMedian <= QuantizationFidelity.MaxAgeDifferenceMedian));
        Console.WriteLine(Row("age difference, maximum", f.AgeDifferenceMax.ToString("F2", CultureInfo.InvariantCulture) + " y", string.Empty, true));
        Console.WriteLine(Row("attribute agreement (40)", f.AttributeAgreement.ToString("P1", CultureInfo.InvariantCulture), ">= 97%", f.AttributeAgreement >= QuantizationFidelity.MinAttributeAgreement));
    }
}
