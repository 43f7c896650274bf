namespace SwinFace.Analysis;

/// <summary>What SwinFace says about one aligned face. Tasks that were not requested are <see langword="null"/>.</summary>
/// <param name="Embedding">
/// The identity embedding, 512 values with an L2 norm of 1. Compare two faces by the dot product of
/// their embeddings (their cosine similarity).
/// </param>
/// <param name="EmbeddingNorm">
/// The L2 norm of the model's raw embedding before normalisation. For ArcFace-style models it tends
/// to be lower for blurred, occluded or badly aligned faces.
/// </param>
/// <param name="Expression">The facial expression with the probabilities of all seven classes.</param>
/// <param name="Age">The estimated age in years: the model's regression output, not clamped.</param>
/// <param name="MaleProbability">The probability, 0 to 1, that the face is male (CelebA <c>Male</c>).</param>
/// <param name="Attributes">The 40 CelebA attributes with their probabilities.</param>
public sealed record FaceAnalysis(
    float[]? Embedding,
    float? EmbeddingNorm,
    ExpressionPrediction? Expression,
    float? Age,
    float? MaleProbability,
    FaceAttributes? Attributes);

/// <summary>The expression head's decision and its probabilities.</summary>
/// <param name="Label">The most probable expression.</param>
/// <param name="Probabilities">Seven probabilities that sum to 1, indexed by <see cref="Analysis.Expression"/>.</param>
public sealed record ExpressionPrediction(Expression Label, float[] Probabilities)
{
    /// <summary>Gets the probability of <see cref="Label"/>.</summary>
    public float Confidence => Probabilities[(int)Label];

    /// <summary>Gets the probability of one expression.</summary>
    /// <param name="expression">The expression.</param>
    /// <returns>Its probability, 0 to 1.</returns>
    public float this[Expression expression] => Probabilities[(int)expression];
}

/// <summary>One attribute and the probability that it is present.</summary>
/// <param name="Attribute">The attribute.</param>
/// <param name="Probability">The probability, 0 to 1, that the attribute is present.</param>
public readonly record struct AttributePrediction(FaceAttribute Attribute, float Probability)
{
    /// <summary>Gets CelebA's name of the attribute, such as <c>5_o_Clock_Shadow</c>.</summary>
    public string Name => Attribute.CelebAName();

    /// <summary>Gets a value indicating whether the attribute is more likely present than not (probability of at least 0.5).</summary>
    public bool IsPresent => Probability >= 0.5f;
}

/// <summary>The 40 CelebA attribute probabilities of one face, in <see cref="FaceAttribute"/> order.</summary>
public sealed class FaceAttributes : IReadOnlyList<AttributePrediction>
{
    private readonly float[] _probabilities;

    internal FaceAttributes(float[] probabilities)
    {
        if (probabilities.Length != FaceAttributeNames.Count)
        {
            throw new ArgumentException($"Expected {FaceAttributeNames.Count} probabilities, got {probabilities.Length}.", nameof(probabilities));
        }

        _probabilities = probabilities;
    }

    /// <summary>Gets the number of attributes: always 40.</summary>
    public int Count => _probabilities.Length;

    /// <summary>Gets the prediction at an index, which is the <see cref="FaceAttribute"/> value.</summary>
    /// <param name="index">0 to 39.</param>
    /// <returns>The attribute and its probability.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0 to 39.</exception>
    public AttributePrediction this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return new AttributePrediction((FaceAttribute)index, _probabilities[index]);
        }
    }

    /// <summary>Gets the probability that an attribute is present.</summary>
    /// <param name="attribute">The attribute.</param>
    /// <returns>The probability, 0 to 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attribute"/> is not a defined value.</exception>
    public float this[FaceAttribute attribute] => this[(int)attribute].Probability;

    /// <summary>Copies the 40 probabilities, in <see cref="FaceAttribute"/> order.</summary>
    /// <returns>A new array the caller owns.</returns>
    public float[] ToArray() => (float[])_probabilities.Clone();

    /// <inheritdoc />
    public IEnumerator<AttributePrediction> GetEnumerator()
    {
        for (int i = 0; i < _probabilities.Length; i++)
        {
            yield return new AttributePrediction((FaceAttribute)i, _probabilities[i]);
        }
    }

    /// <inheritdoc />
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
