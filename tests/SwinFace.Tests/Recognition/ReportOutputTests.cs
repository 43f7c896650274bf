using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>The calibration report's JSON and SVG forms.</summary>
public sealed class ReportOutputTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static CalibrationReport Grouped(int differentPerGroup, params string[] groups)
    {
        var random = new Random(7);
        var pairs = new List<ScoredPair>();
        foreach (string group in groups)
        {
            for (int i = 0; i < differentPerGroup; i++)
            {
                pairs.Add(new ScoredPair((float)RecognitionTestData.Gaussian(random, 0.1, 0.1), false, group));
                pairs.Add(new ScoredPair((float)RecognitionTestData.Gaussian(random, 0.5, 0.15), true, group));
            }
        }

        return Calibration.Run(pairs, "synthetic");
    }

    [Fact]
    public void ToJson_WritesEveryMetricInCamelCase()
    {
        ScoredPair[] pairs =
        [
            new(0.9f, true, "A"), new(0.8f, true, "A"), new(0.7f, false, "A"), new(0.2f, false, "A"),
            new(0.6f, true, "B"), new(0.4f, true, "B"), new(0.5f, false, "B"), new(0.3f, false, "B"),
        ];
        CalibrationReport report = Calibration.Run(pairs, "tiny");

        using JsonDocument json = JsonDocument.Parse(report.ToJson());
        JsonElement root = json.RootElement;
        Assert.Equal("tiny", root.GetProperty("dataset").GetString());
        Assert.Equal(8, root.GetProperty("pairCount").GetInt32());
        Assert.Equal("similarity >= threshold", root.GetProperty("acceptRule").GetString());

        JsonElement overall = root.GetProperty("overall");
        Assert.Equal(report.Overall.Auc, overall.GetProperty("auc").GetDouble());
        Assert.Equal(report.Overall.Eer, overall.GetProperty("eer").GetDouble());
        Assert.Equal(report.Overall.EerThreshold, overall.GetProperty("eerThreshold").GetSingle());
        Assert.Equal(report.Overall.BestAccuracyThreshold, overall.GetProperty("bestAccuracyThreshold").GetSingle());
        Assert.Equal(4, overall.GetProperty("samePersonPairs").GetInt32());
        Assert.Equal(JsonValueKind.Null, overall.GetProperty("tenFold").ValueKind);
        JsonElement tar = overall.GetProperty("tarAtFar")[0];
        Assert.Equal(0.1, tar.GetProperty("targetFalseAcceptRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, tar.GetProperty("trueAcceptRate").ValueKind);
        Assert.Equal(report.Overall.Roc.Count, overall.GetProperty("roc").GetArrayLength());
        Assert.Equal(1.0, overall.GetProperty("roc")[report.Overall.Roc.Count - 1].GetProperty("falseAcceptRate").GetDouble());

        Assert.Equal(["A", "B"], root.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(report.Groups[1].Metrics.Auc, root.GetProperty("groups")[1].GetProperty("metrics").GetProperty("auc").GetDouble());
        Assert.Equal(report.Gaps!.Eer, root.GetProperty("gaps").GetProperty("eer").GetDouble());
        Assert.Equal(report.Gaps.AccuracyAtGlobalThreshold, root.GetProperty("gaps").GetProperty("accuracyAtGlobalThreshold").GetDouble());
    }

    [Fact]
    public void ToJson_WritesTenFoldAndMeasurableTarAtFar()
    {
        CalibrationReport report = Grouped(1000, "all");
        using JsonDocument json = JsonDocument.Parse(report.ToJson());
        JsonElement overall = json.RootElement.GetProperty("overall");
        Assert.Equal(report.Overall.TenFold!.Mean, overall.GetProperty("tenFold").GetProperty("mean").GetDouble());
        Assert.Equal(10, overall.GetProperty("tenFold").GetProperty("folds").GetArrayLength());
        Assert.Equal(report.Overall.TarAtFar[2].TrueAcceptRate, overall.GetProperty("tarAtFar")[2].GetProperty("trueAcceptRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, overall.GetProperty("tarAtFar")[3].GetProperty("threshold").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("gaps").ValueKind);
    }

    [Fact]
    public void ToRocSvg_IsWellFormedWithOnePolylinePerCurve()
    {
        CalibrationReport report = Grouped(300, "a < b & \"c\"", "plain");
        XDocument svg = XDocument.Parse(report.ToRocSvg());

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        XElement[] lines = [.. svg.Descendants(Svg + "polyline")];
        Assert.Equal(3, lines.Length);
        string[] texts = [.. svg.Descendants(Svg + "text").Select(t => t.Value)];
        Assert.Contains(texts, t => t.StartsWith("a < b & \"c\":", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("all pairs: AUC", StringComparison.Ordinal));
        Assert.Contains("False accept rate (FAR, log scale)", texts);
        Assert.Contains("True accept rate (TAR)", texts);
        Assert.Contains("ROC: synthetic", texts);
        // 600 different-person pairs overall: the axis starts at the decade of 1/600, 1e-3, not at 1e-4.
        Assert.Contains("1e-3", texts);
        Assert.DoesNotContain("1e-4", texts);

        foreach (XElement line in lines)
        {
            (double X, double Y)[] points = [.. line.Attribute("points")!.Value.Split(' ').Select(p => p.Split(',')).Select(p => (Parse(p[0]), Parse(p[1])))];
            Assert.True(points.Length >= 2);
            Assert.All(points, p => Assert.InRange(p.X, 80, 720 - 24));
            Assert.All(points, p => Assert.InRange(p.Y, 48, 540 - 64));
            // The curve ends at FAR 1, TAR 1: the top right corner of the plot.
            Assert.Equal((720.0 - 24, 48.0), points[^1]);
            // TAR never falls as FAR grows: y (downwards) never rises.
            Assert.All(points.Zip(points.Skip(1)), s => Assert.True(s.Second.Y <= s.First.Y && s.Second.X >= s.First.X));
        }
    }

    [Fact]
    public void ToRocSvg_StartsTheAxisAt1e4WithEnoughPairs()
    {
        string[] texts = [.. XDocument.Parse(Grouped(10_000, "all").ToRocSvg()).Descendants(Svg + "text").Select(t => t.Value)];
        Assert.Contains("1e-4", texts);
        Assert.DoesNotContain("1e-5", texts);
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
