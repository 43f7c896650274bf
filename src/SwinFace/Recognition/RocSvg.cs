using System.Globalization;
using System.Xml.Linq;

namespace SwinFace.Recognition;

/// <summary>Draws a report's ROC curves as a standalone SVG document.</summary>
internal static class RocSvg
{
    private const double Width = 720, Height = 540, Left = 80, Right = 24, Top = 48, Bottom = 64;
    private const double PlotWidth = Width - Left - Right, PlotHeight = Height - Top - Bottom;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly string[] Colors = ["#000000", "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

    public static string Draw(CalibrationReport report)
    {
        var curves = new List<(string Label, VerificationMetrics Metrics)> { ("all pairs", report.Overall) };
        curves.AddRange(report.Groups.Select(g => (g.Name, g.Metrics)));

        // The axis starts at 1e-4, or at the decade of the smallest FAR any curve can measure, if that is larger.
        int decades = Math.Clamp((int)Math.Ceiling(Math.Log10(curves.Max(c => c.Metrics.DifferentPersonPairs))), 1, 4);

        var svg = new XElement(
            Svg + "svg",
            new XAttribute("width", Width),
            new XAttribute("height", Height),
            new XAttribute("viewBox", $"0 0 {Width} {Height}"),
            new XAttribute("font-family", "sans-serif"),
            new XAttribute("font-size", 13),
            new XElement(Svg + "rect", new XAttribute("width", Width), new XAttribute("height", Height), new XAttribute("fill", "white")),
            Text(Left + (PlotWidth / 2), 28, report.Dataset is null ? "ROC" : $"ROC: {report.Dataset}", "middle", new XAttribute("font-size", 16)),
            Text(Left + (PlotWidth / 2), Height - 16, "False accept rate (FAR, log scale)", "middle"),
            Text(20, Top + (PlotHeight / 2), "True accept rate (TAR)", "middle", new XAttribute("transform", $"rotate(-90 20 {Num(Top + (PlotHeight / 2))})")));

        for (int d = 0; d <= decades; d++)
        {
            double x = X(Math.Pow(10, -d), decades);
            svg.Add(Line(x, Top, x, Top + PlotHeight, "#dddddd"), Text(x, Top + PlotHeight + 20, d == 0 ? "1" : $"1e-{d}", "middle"));
        }

        for (int t = 0; t <= 10; t++)
        {
            double y = Y(t / 10.0);
            svg.Add(Line(Left, y, Left + PlotWidth, y, "#dddddd"), Text(Left - 8, y + 4, (t / 10.0).ToString("0.0", CultureInfo.InvariantCulture), "end"));
        }

        svg.Add(new XElement(
            Svg + "rect",
            new XAttribute("x", Left),
            new XAttribute("y", Top),
            new XAttribute("width", PlotWidth),
            new XAttribute("height", PlotHeight),
            new XAttribute("fill", "none"),
            new XAttribute("stroke", "#444444")));

        const double legendRow = 20;
        double legendTop = Top + PlotHeight - 12 - (legendRow * curves.Count);
        svg.Add(new XElement(
            Svg + "rect",
            new XAttribute("x", Num(Left + (PlotWidth / 2))),
            new XAttribute("y", Num(legendTop - 6)),
            new XAttribute("width", Num((PlotWidth / 2) - 8)),
            new XAttribute("height", Num((legendRow * curves.Count) + 8)),
            new XAttribute("fill", "white"),
            new XAttribute("fill-opacity", 0.9),
            new XAttribute("stroke", "#999999")));

        for (int c = 0; c < curves.Count; c++)
        {
            string color = Colors[c % Colors.Length];
            VerificationMetrics m = curves[c].Metrics;
            svg.Add(new XElement(
                Svg + "polyline",
                new XAttribute("fill", "none"),
                new XAttribute("stroke", color),
                new XAttribute("stroke-width", c == 0 ? 2.5 : 1.5),
                new XAttribute("points", Points(m.Roc, decades))));

            double y = legendTop + (legendRow * c) + 8;
            double x = Left + (PlotWidth / 2) + 8;
            string label = string.Create(CultureInfo.InvariantCulture, $"{curves[c].Label}: AUC {m.Auc:0.0000}, EER {m.Eer:0.00%}");
            svg.Add(Line(x, y, x + 24, y, color, c == 0 ? 2.5 : 1.5), Text(x + 30, y + 4, label, "start"));
        }

        return svg.ToString();
    }

    /// <summary>Maps a curve to polyline points, from the left edge of the axis, dropping points less than half a pixel apart.</summary>
    private static string Points(IReadOnlyList<RocPoint> roc, int decades)
    {
        double minimum = Math.Pow(10, -decades);
        var points = new List<(double X, double Y)>();
        int first = 0;
        while (first + 1 < roc.Count && roc[first + 1].FalseAcceptRate <= minimum)
        {
            first++;
        }

        // The curve left of the axis is a step at the TAR reached by the axis's smallest FAR.
        points.Add((X(minimum, decades), Y(roc[first].TrueAcceptRate)));
        for (int i = first + 1; i < roc.Count; i++)
        {
            (double x, double y) = (X(roc[i].FalseAcceptRate, decades), Y(roc[i].TrueAcceptRate));
            if (i == roc.Count - 1 || Math.Abs(x - points[^1].X) >= 0.5 || Math.Abs(y - points[^1].Y) >= 0.5)
            {
                points.Add((x, y));
            }
        }

        return string.Join(' ', points.Select(p => $"{Num(p.X)},{Num(p.Y)}"));
    }

    private static double X(double far, int decades) => Left + ((Math.Log10(far) + decades) / decades * PlotWidth);

    private static double Y(double tar) => Top + ((1 - tar) * PlotHeight);

    private static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static XElement Line(double x1, double y1, double x2, double y2, string color, double width = 1) => new(
        Svg + "line",
        new XAttribute("x1", Num(x1)),
        new XAttribute("y1", Num(y1)),
        new XAttribute("x2", Num(x2)),
        new XAttribute("y2", Num(y2)),
        new XAttribute("stroke", color),
        new XAttribute("stroke-width", width));

    private static XElement Text(double x, double y, string text, string anchor, params object[] more) => new(
        Svg + "text",
        new XAttribute("x", Num(x)),
        new XAttribute("y", Num(y)),
        new XAttribute("text-anchor", anchor),
        more,
        text);
}
