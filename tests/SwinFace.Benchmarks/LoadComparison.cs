using System.Globalization;
using SwinFace.Conversion;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--load CHECKPOINT MODEL [ROUNDS]</c>: how long <see cref="FaceAnalyzer"/>.Create takes from a model
/// file and from the authors' checkpoint (converted while it loads), and how long writing the model file
/// with <see cref="CheckpointConverter"/> takes. Measured in turns in one process; medians.
/// </summary>
internal static class LoadComparison
{
    public const string Option = "--load";

    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: --load CHECKPOINT MODEL [ROUNDS]");
            return 2;
        }

        string checkpoint = args[1], model = args[2];
        int rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 7;
        string output = Path.Combine(Path.GetTempPath(), $"swinface-load-{Environment.ProcessId}.swinface");
        var fromModel = new List<double>();
        var fromCheckpoint = new List<double>();
        var convert = new List<double>();
        try
        {
            FaceAnalyzer.Create(model).Dispose(); // warm-up: JIT, ONNX Runtime's first session
            for (int i = 0; i < rounds; i++)
            {
                fromModel.Add(1000 * Timing.Seconds(() => FaceAnalyzer.Create(model).Dispose()));
                fromCheckpoint.Add(1000 * Timing.Seconds(() => FaceAnalyzer.Create(checkpoint).Dispose()));
                convert.Add(1000 * Timing.Seconds(() => CheckpointConverter.Convert(checkpoint, output)));
            }
        }
        finally
        {
            File.Delete(output);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rounds: {rounds}, in turns"));
        Report("FaceAnalyzer.Create(model file)", fromModel);
        Report("FaceAnalyzer.Create(checkpoint)", fromCheckpoint);
        Report("CheckpointConverter.Convert", convert);
        return 0;
    }

    private static void Report(string what, List<double> ms)
    {
        double[] sorted = [.. ms.Order()];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-34} median {sorted[sorted.Length / 2],7:F0} ms  (min {sorted[0]:F0}, max {sorted[^1]:F0})"));
    }
}
