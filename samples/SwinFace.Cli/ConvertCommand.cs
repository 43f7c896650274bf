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

    public static Command Create()
    {
        var command = new Command("convert", "Convert the authors' PyTorch checkpoint into a SwinFace model file. No Python needed; the checkpoint's code is never run.");
        command.Options.Add(Checkpoint);
        command.Options.Add(Out);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string checkpoint = parse.GetValue(Checkpoint)!;
        string output = parse.GetValue(Out)!;
        try
        {
            ConversionResult result = CheckpointConverter.Convert(checkpoint, output);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output} ({result.Bytes / 1e6:F1} MB) in {result.Elapsed.TotalSeconds:F1} s"));
            Console.WriteLine($"source: {result.Source}");
            return 0;
        }
        catch (Exception e) when (e is SwinFaceModelException or IOException or UnauthorizedAccessException)
        {
            return Cli.Fail(FaceInputs.InputError, e.Message);
        }
    }
}
