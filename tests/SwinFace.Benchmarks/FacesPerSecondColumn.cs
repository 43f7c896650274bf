using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SwinFace.Benchmarks;

/// <summary>
/// A column of faces per second: 10^9 / the median in nanoseconds. Only meaningful for benchmarks whose
/// <c>OperationsPerInvoke</c> is the number of faces one invocation analyses, so that one operation is one face.
/// </summary>
internal sealed class FacesPerSecondColumn : IColumn
{
    public string Id => nameof(FacesPerSecondColumn);

    public string ColumnName => "Faces/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Faces analysed per second: 1 s / Median, as one operation is one face";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        // ResultStatistics are per operation, already divided by OperationsPerInvoke.
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        return nanoseconds is > 0 ? (1e9 / nanoseconds.Value).ToString("N2", CultureInfo.InvariantCulture) : "NA";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Adds the <see cref="FacesPerSecondColumn"/> to a benchmark class whose operations are single faces.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class FacesPerSecondColumnAttribute : ColumnConfigBaseAttribute
{
    public FacesPerSecondColumnAttribute()
        : base(new FacesPerSecondColumn())
    {
    }
}
