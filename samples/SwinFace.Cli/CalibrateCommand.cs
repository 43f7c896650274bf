using System.CommandLine;
using System.Globalization;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>
/// The <c>calibrate</c> command: measures how well the model separates labelled same-person and different-person
/// pairs, and chooses (and optionally saves) a verification threshold for it.
/// </summary>
internal static class CalibrateCommand
{
    private static readonly Option<string> Model = FaceInputs.ModelOption();
    private static readonly Option<bool> Aligned = FaceInputs.AlignedOption();
    private static readonly Option<bool> Json = new("--json") { Description = "Print the report as one JSON document instead of a summary." };

    private static readonly Option<string> Pairs = new("--pairs")
    {
        Description = "CSV of labelled pairs, one per line: imageA,imageB,same[,group] (same: 1/0 or true/false; optional header line). " +
            "Relative image paths are relative to the CSV's folder. A photo with several faces: its largest face is used.",
        Required = true,
    };

    private static readonly Option<double?> Far = CreateFarOption();
    private static readonly Option<bool> BestAccuracy = new("--best-accuracy") { Description = "Choose the threshold with the best accuracy on the pairs (the default choice)." };
    private static readonly Option<bool> Save = new("--save-threshold") { Description = "Save the chosen threshold next to the model (<model>.threshold.json), where compare and identify find it." };
    private static readonly Option<string?> Roc = new("--roc") { Description = "Write the ROC curves as an SVG file." };
    private static readonly Option<string?> Report = new("--report") { Description = "Write the report as a JSON file." };

    public static Command Create()
    {
        var command = new Command("calibrate", "Measure verification accuracy on labelled pairs (AUC, EER, TAR at FAR, 10-fold accuracy, per-group gaps) and choose a threshold.");
        command.Options.Add(Model);
        command.Options.Add(Pairs);
        command.Options.Add(Aligned);
        command.Options.Add(Far);
        command.Options.Add(BestAccuracy);
        command.Options.Add(Save);
        command.Options.Add(Roc);
        command.Options.Add(Report);
        command.Options.Add(Json);
        command.SetAction(Run);
        return command;
    }

    private static Option<double?> CreateFarOption()
    {
        var option = new Option<double?>("--far")
        {
            Description = "Choose the lowest threshold whose false accept rate on the pairs is at most this, such as 1e-3. Needs at least 1/FAR different-person pairs.",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is double far && !(far > 0 && far < 1))
            {
                result.AddError("--far must be greater than 0 and less than 1.");
            }
        });
        return option;
    }

    private static int Run(ParseResult parse)
    {
        double? far = parse.GetValue(Far);
        if (far is not null && parse.GetValue(BestAccuracy))
        {
            return Cli.Fail(FaceInputs.InputError, "give --far or --best-accuracy, not both.");
        }

        foreach ((string name, string? output) in new[] { ("--roc", parse.GetValue(Roc)), ("--report", parse.GetValue(Report)) })
        {
            // Checked before the images are analysed, which can take long.
            if (output is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(output))))
            {
                return Cli.Fail(FaceInputs.InputError, $"{name} {output}: the folder does not exist.");
            }
        }

        bool choose = far is not null || parse.GetValue(BestAccuracy) || parse.GetValue(Save);
        bool json = parse.GetValue(Json);
        try
        {
            string csv = parse.GetValue(Pairs)!;
            List<(string A, string B, ImagePair Pair)> pairs = ReadPairs(csv);
            string modelPath = parse.GetValue(Model)!;
            using FaceAnalyzer analyzer = FaceAnalyzer.Create(modelPath);
            Cli.WarnIfUntrained(analyzer);

            // Each distinct image is analysed once, however many pairs it is in.
            var embeddings = new Dictionary<string, float[]>(StringComparer.Ordinal);
            bool aligned = parse.GetValue(Aligned);
            float[] Embed(string file) => embeddings.TryGetValue(file, out float[]? e) ? e : embeddings[file] = FaceInputs.ReadLargest(analyzer, file, aligned).Embedding;
            ScoredPair[] scored = [.. pairs.Select(p => new ScoredPair(FaceSimilarity.Cosine(Embed(p.A), Embed(p.B)), p.Pair.Same, p.Pair.Group))];

            CalibrationReport report;
            try
            {
                report = Calibration.Run(scored, Path.GetFileName(csv));
            }
            catch (ArgumentException e)
            {
                return Cli.Fail(FaceInputs.InputError, $"{csv}: {FaceInputs.Reason(e)}");
            }

            if (parse.GetValue(Roc) is { } rocPath)
            {
                File.WriteAllText(rocPath, report.ToRocSvg());
            }

            if (parse.GetValue(Report) is { } reportPath)
            {
                File.WriteAllText(reportPath, report.ToJson());
            }

            if (json)
            {
                Console.Out.WriteLine(report.ToJson());
            }
            else
            {
                WriteSummary(report);
            }

            if (!choose)
            {
                return 0;
            }

            VerificationThreshold threshold;
            try
            {
                threshold = far is double target ? report.ThresholdAtFalseAcceptRate(target) : report.ThresholdAtBestAccuracy();
            }
            catch (ArgumentException e)
            {
                return Cli.Fail(FaceInputs.InputError, $"{FaceInputs.Reason(e)} Add pairs or choose a larger --far.");
            }

            // With --json, stdout holds only the report.
            TextWriter notes = json ? Console.Error : Console.Out;
            notes.WriteLine($"chosen threshold    {ThresholdChoice.Describe(threshold)}");
            if (parse.GetValue(Save))
            {
                ThresholdStore.Save(modelPath, threshold);
                notes.WriteLine($"saved to            {ThresholdStore.GetPath(modelPath)}");
            }

            return 0;
        }
        catch (Exception e) when (FaceInputs.IsInputError(e))
        {
            return Cli.Fail(FaceInputs.InputError, e.Message);
        }
    }

    /// <summary>Reads the pairs and resolves their image paths, checking every image exists before any is analysed.</summary>
    private static List<(string A, string B, ImagePair Pair)> ReadPairs(string csv)
    {
        if (!File.Exists(csv))
        {
            throw new FileNotFoundException($"Pairs file not found: {csv}", csv);
        }

        IReadOnlyList<ImagePair> pairs;
        try
        {
            using var reader = new StreamReader(csv);
            pairs = PairsCsv.Read(reader);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{csv}: {e.Message}", e);
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(csv))!;
        var resolved = pairs.Select(p => (Path.GetFullPath(p.ImageA, folder), Path.GetFullPath(p.ImageB, folder), p)).ToList();
        foreach ((string a, string b, ImagePair pair) in resolved)
        {
            foreach ((string path, string written) in new[] { (a, pair.ImageA), (b, pair.ImageB) })
            {
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"{csv}: image file not found: {written} (looked for {path})", path);
                }
            }
        }

        return resolved;
    }

    private static void WriteSummary(CalibrationReport report)
    {
        VerificationMetrics m = report.Overall;
        Line("pairs", Invariant($"{report.PairCount} ({m.SamePersonPairs} same person, {m.DifferentPersonPairs} different people) from {report.Dataset}"));
        WriteMetrics(m, string.Empty);
        Line("best accuracy", Invariant($"{m.BestAccuracy:F4} at threshold {m.BestAccuracyThreshold:F4}"));
        Line("10-fold acc.", m.TenFold is { } ten ? Invariant($"{ten.Mean:F4} +- {ten.StandardDeviation:F4}") : "not available: needs at least 10 pairs");

        foreach (GroupMetrics group in report.Groups)
        {
            Console.WriteLine();
            Line($"group {group.Name}", Invariant($"{group.Metrics.SamePersonPairs + group.Metrics.DifferentPersonPairs} pairs ({group.Metrics.SamePersonPairs} same, {group.Metrics.DifferentPersonPairs} different), accuracy {group.AccuracyAtGlobalThreshold:F4} at the overall threshold"));
            WriteMetrics(group.Metrics, "  ");
        }

        if (report.Gaps is { } gaps)
        {
            Console.WriteLine();
            string tarGaps = string.Join(", ", gaps.TarAtFar.Where(g => g.Gap is not null).Select(g => Invariant($"{g.Gap:F4} at FAR {g.TargetFalseAcceptRate:0.######}")));
            Line("group gaps", Invariant($"accuracy {gaps.AccuracyAtGlobalThreshold:F4}, EER {gaps.Eer:F4}{(tarGaps.Length > 0 ? ", TAR " + tarGaps : string.Empty)}"));
        }
    }

    private static void WriteMetrics(VerificationMetrics m, string indent)
    {
        Line(indent + "AUC", Invariant($"{m.Auc:F4}"));
        Line(indent + "EER", Invariant($"{m.Eer:F4} at threshold {m.EerThreshold:F4}"));
        OperatingPoint? unreportable = null;
        foreach (OperatingPoint p in m.TarAtFar)
        {
            if (p.TrueAcceptRate is double tar)
            {
                Line(Invariant($"{indent}TAR @ FAR {p.TargetFalseAcceptRate:0.######}"), Invariant($"{tar:F4} at threshold {p.Threshold:F4} (FAR {p.FalseAcceptRate:F4})"));
            }
            else
            {
                unreportable ??= p;
            }
        }

        if (unreportable is not null)
        {
            Line(
                indent + (unreportable == m.TarAtFar[0] ? "TAR @ FAR" : "TAR @ lower FARs"),
                Invariant($"not reportable: FAR {unreportable.TargetFalseAcceptRate:0.######} needs at least {Math.Ceiling(1 / unreportable.TargetFalseAcceptRate):F0} different-person pairs, there are {m.DifferentPersonPairs}"));
        }
    }

    private static void Line(string label, string value) => Console.WriteLine($"{label,-20}{value}");

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
