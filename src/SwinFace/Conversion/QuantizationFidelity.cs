using System.Globalization;

namespace SwinFace.Conversion;

/// <summary>
/// How close an int8 model's results are to the fp32 model's, measured at conversion on real aligned faces:
/// the faces of the fidelity photos, analysed by both.
/// </summary>
/// <param name="Faces">How many faces were compared.</param>
/// <param name="EmbeddingCosineMin">The lowest cosine similarity between a face's int8 and fp32 identity embeddings.</param>
/// <param name="EmbeddingCosineMedian">The median of those cosines.</param>
/// <param name="ExpressionAgreement">The share of faces whose most likely expression is the same, 0 to 1.</param>
/// <param name="AgeDifferenceMedian">The median absolute difference of the ages, in years.</param>
/// <param name="AgeDifferenceMax">The largest absolute difference of the ages, in years.</param>
/// <param name="AttributeAgreement">The share of the 40 attribute decisions (probability at least 0.5) over all faces that are the same, 0 to 1.</param>
public sealed record QuantizationFidelity(
    int Faces,
    double EmbeddingCosineMin,
    double EmbeddingCosineMedian,
    double ExpressionAgreement,
    double AgeDifferenceMedian,
    double AgeDifferenceMax,
    double AttributeAgreement)
{
    /// <summary>The bar for <see cref="EmbeddingCosineMedian"/>: at least 0.995.</summary>
    public const double MinEmbeddingCosineMedian = 0.995;

    /// <summary>The bar for <see cref="EmbeddingCosineMin"/>: at least 0.98.</summary>
    public const double MinEmbeddingCosine = 0.98;

    /// <summary>The bar for <see cref="ExpressionAgreement"/>: at least 95%.</summary>
    public const double MinExpressionAgreement = 0.95;

    /// <summary>The bar for <see cref="AgeDifferenceMedian"/>: at most 1 year.</summary>
    public const double MaxAgeDifferenceMedian = 1.0;

    /// <summary>The bar for <see cref="AttributeAgreement"/>: at least 97%.</summary>
    public const double MinAttributeAgreement = 0.97;

    /// <summary>Gets every bar the figures miss, described; empty when they meet them all.</summary>
    public IReadOnlyList<string> Shortfalls
    {
        get
        {
            var missed = new List<string>();
            void Bar(bool ok, string text)
            {
                if (!ok)
                {
                    missed.Add(text);
                }
            }

            Bar(EmbeddingCosineMedian >= MinEmbeddingCosineMedian, F($"embedding cosine median {EmbeddingCosineMedian:F4} < {MinEmbeddingCosineMedian}"));
            Bar(EmbeddingCosineMin >= MinEmbeddingCosine, F($"embedding cosine minimum {EmbeddingCosineMin:F4} < {MinEmbeddingCosine}"));
            Bar(ExpressionAgreement >= MinExpressionAgreement, F($"expression agreement {ExpressionAgreement:P1} < {MinExpressionAgreement:P0}"));
            Bar(AgeDifferenceMedian <= MaxAgeDifferenceMedian, F($"age difference median {AgeDifferenceMedian:F2} > {MaxAgeDifferenceMedian} year"));
            Bar(AttributeAgreement >= MinAttributeAgreement, F($"attribute agreement {AttributeAgreement:P1} < {MinAttributeAgreement:P0}"));
            return missed;
        }
    }

    /// <summary>Gets whether the figures meet every bar.</summary>
    public bool MeetsTheBars => Shortfalls.Count == 0;

    /// <summary>Describes the figures on one line.</summary>
    /// <returns>The figures, such as <c>22 faces: embedding cosine min 0.9931, median 0.9987; ...</c>.</returns>
    public override string ToString() => F(
        $"{Faces} faces: embedding cosine min {EmbeddingCosineMin:F4}, median {EmbeddingCosineMedian:F4}; expression agreement {ExpressionAgreement:P1}; age difference median {AgeDifferenceMedian:F2}, max {AgeDifferenceMax:F2} years; attribute agreement {AttributeAgreement:P1}");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
