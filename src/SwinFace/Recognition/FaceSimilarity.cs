using System.Numerics.Tensors;

namespace SwinFace.Recognition;

/// <summary>Compares two identity embeddings, such as <see cref="Analysis.FaceAnalysis.Embedding"/>.</summary>
/// <remarks>
/// SwinFace publishes no verification threshold, so this library has no default one: a "same person"
/// verdict needs a <see cref="VerificationThreshold"/> measured on your own labelled pairs with
/// <see cref="Calibration.Run(IReadOnlyList{ScoredPair}, string?)"/>, and stored next to the model with
/// <see cref="ThresholdStore"/>.
/// </remarks>
public static class FaceSimilarity
{
    /// <summary>Computes the cosine similarity of two embeddings.</summary>
    /// <param name="a">The first embedding.</param>
    /// <param name="b">The second embedding, as long as <paramref name="a"/>.</param>
    /// <returns>The cosine similarity, -1 to 1; <see cref="float.NaN"/> when either embedding is all zeros.</returns>
    /// <exception cref="ArgumentException">The embeddings differ in length or are empty.</exception>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The embeddings differ in length: {a.Length} and {b.Length}.", nameof(b));
        }

        if (a.IsEmpty)
        {
            throw new ArgumentException("The embeddings are empty.", nameof(a));
        }

        return TensorPrimitives.CosineSimilarity(a, b);
    }

    /// <summary>Compares two embeddings and, when a threshold is given, decides whether they show the same person.</summary>
    /// <param name="a">The first embedding.</param>
    /// <param name="b">The second embedding, as long as <paramref name="a"/>.</param>
    /// <param name="threshold">
    /// A threshold measured by calibration, or <see langword="null"/> for the similarity alone. There is
    /// no default: SwinFace publishes none, and a threshold only holds for data like the data it was measured on.
    /// </param>
    /// <returns>The similarity, and the verdict when <paramref name="threshold"/> is given.</returns>
    /// <exception cref="ArgumentException">The embeddings differ in length or are empty.</exception>
    public static Comparison Compare(ReadOnlySpan<float> a, ReadOnlySpan<float> b, VerificationThreshold? threshold = null)
    {
        float similarity = Cosine(a, b);
        return new Comparison(similarity, threshold?.Accepts(similarity));
    }
}

/// <summary>The result of comparing two embeddings.</summary>
/// <param name="Similarity">The cosine similarity, -1 to 1.</param>
/// <param name="IsSamePerson">
/// Whether the similarity reaches the threshold; <see langword="null"/> when no threshold was given,
/// because SwinFace publishes none and this library does not invent one.
/// </param>
public sealed record Comparison(float Similarity, bool? IsSamePerson);
