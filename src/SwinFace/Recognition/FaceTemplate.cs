using System.Numerics.Tensors;
using SwinFace.Analysis;

namespace SwinFace.Recognition;

/// <summary>
/// An identity's template: the normalised mean of its faces' unit embeddings, with what it takes to add more
/// faces later as if all had been enrolled at once. Every <see cref="IFaceGallery"/> computes templates and
/// similarities with it, so galleries of every kind give the same scores to the last bit.
/// </summary>
/// <remarks>
/// Immutable. Each embedding is normalised to unit length, the unit embeddings are summed, and the template is
/// the sum divided by its length. The template keeps the face count and that length
/// (<see cref="SumNorm"/>): template x length is the sum again, so <see cref="Add(IReadOnlyList{float[]})"/>
/// updates the mean exactly, up to float rounding.
/// </remarks>
public sealed class FaceTemplate
{
    /// <summary>The number of values in an embedding and a template: 512.</summary>
    public const int Dimension = ModelHeads.EmbeddingSize;

    private readonly float[] _vector;

    private FaceTemplate(float[] vector, int faces, float sumNorm)
    {
        _vector = vector;
        Faces = faces;
        SumNorm = sumNorm;
    }

    /// <summary>Gets the template: 512 values of unit length.</summary>
    public ReadOnlyMemory<float> Vector => _vector;

    /// <summary>Gets the number of faces averaged into the template.</summary>
    public int Faces { get; }

    /// <summary>Gets the length of the sum of the faces' unit embeddings, 0 to <see cref="Faces"/>.</summary>
    public float SumNorm { get; }

    /// <summary>Makes the template of one or more faces.</summary>
    /// <param name="embeddings">The faces' 512-value embeddings; each is normalised here.</param>
    /// <returns>The template.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="embeddings"/> is empty, or one is not 512 finite values, not all zero, or they add up to zero.</exception>
    public static FaceTemplate Create(IReadOnlyList<float[]> embeddings) => Combine(null, embeddings);

    /// <summary>Restores a stored template, checking it.</summary>
    /// <param name="vector">The stored <see cref="Vector"/>.</param>
    /// <param name="faces">The stored <see cref="Faces"/>.</param>
    /// <param name="sumNorm">The stored <see cref="SumNorm"/>.</param>
    /// <returns>The template.</returns>
    /// <exception cref="ArgumentException">
    /// The values do not make a template: not 512 finite values of unit length (within 1e-3), a face count below 1,
    /// or a length that is not above 0 and at most the face count (within 1e-3).
    /// </exception>
    public static FaceTemplate Restore(ReadOnlySpan<float> vector, int faces, float sumNorm)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"Expected a template of {Dimension} values, got {vector.Length}.", nameof(vector));
        }

        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || Math.Abs(norm - 1f) > 1e-3f)
        {
            throw new ArgumentException($"A template has unit length; this one has {norm}.", nameof(vector));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(faces, 1);
        if (!(sumNorm > 0f) || sumNorm > faces * (1 + 1e-3f))
        {
            throw new ArgumentException($"The length of a sum of {faces} unit embeddings is above 0 and at most {faces}; got {sumNorm}.", nameof(sumNorm));
        }

        return new FaceTemplate(vector.ToArray(), faces, sumNorm);
    }

    /// <summary>Adds faces to the template.</summary>
    /// <param name="embeddings">The new faces' 512-value embeddings; each is normalised here.</param>
    /// <returns>A new template, of <see cref="Faces"/> plus the new faces.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="embeddings"/> is empty, or one is not 512 finite values, not all zero, or they cancel the template out.</exception>
    public FaceTemplate Add(IReadOnlyList<float[]> embeddings) => Combine(this, embeddings);

    /// <summary>Computes the cosine similarity of a probe face and the template.</summary>
    /// <param name="probe">The probe's 512-value embedding; normalised here.</param>
    /// <returns>The cosine similarity, -1 to 1.</returns>
    /// <exception cref="ArgumentException"><paramref name="probe"/> is not 512 finite values, not all zero.</exception>
    public float Similarity(ReadOnlySpan<float> probe)
    {
        Span<float> unit = stackalloc float[Dimension];
        ToUnit(probe, unit, nameof(probe));
        return Similarity(_vector, unit);
    }

    /// <summary>The similarity of a unit template and a unit probe: their dot product. The one formula of every gallery.</summary>
    internal static float Similarity(ReadOnlySpan<float> template, ReadOnlySpan<float> unitProbe) => TensorPrimitives.Dot(template, unitProbe);

    /// <summary>Normalises an embedding to unit length, refusing one without a direction.</summary>
    internal static void ToUnit(ReadOnlySpan<float> embedding, Span<float> unit, string paramName)
    {
        if (embedding.Length != Dimension)
        {
            throw new ArgumentException($"Expected an embedding of {Dimension} values, got {embedding.Length}.", paramName);
        }

        float norm = FaceDecoder.Normalize(embedding, unit);
        if (!(norm > 0) || !float.IsFinite(norm))
        {
            throw new ArgumentException("An embedding must hold finite values, not all zero.", paramName);
        }
    }

    /// <summary>Sums the unit embeddings of <paramref name="embeddings"/> into <paramref name="sum"/>, in order.</summary>
    internal static void SumOfUnits(IReadOnlyList<float[]> embeddings, Span<float> sum, string paramName)
    {
        ArgumentNullException.ThrowIfNull(embeddings, paramName);
        if (embeddings.Count == 0)
        {
            throw new ArgumentException("Give at least one embedding.", paramName);
        }

        Span<float> unit = stackalloc float[Dimension];
        sum.Clear();
        for (int i = 0; i < embeddings.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(embeddings[i], paramName);
            ToUnit(embeddings[i], unit, paramName);
            TensorPrimitives.Add(sum, unit, sum);
        }
    }

    /// <summary>
    /// Adds a stored template's sum (template x length) to the new faces' <paramref name="sum"/>, then writes the
    /// normalised result to <paramref name="template"/> and returns its length.
    /// </summary>
    internal static float Merge(ReadOnlySpan<float> stored, float storedNorm, Span<float> sum, Span<float> template, string id, string paramName)
    {
        if (storedNorm > 0)
        {
            TensorPrimitives.MultiplyAdd(stored, storedNorm, sum, sum);
        }

        float norm = TensorPrimitives.Norm(sum);
        if (!(norm > 0))
        {
            throw new ArgumentException($"The embeddings of '{id}' add up to zero, which has no direction.", paramName);
        }

        TensorPrimitives.Divide(sum, norm, template);
        return norm;
    }

    private static FaceTemplate Combine(FaceTemplate? stored, IReadOnlyList<float[]> embeddings)
    {
        float[] sum = new float[Dimension];
        SumOfUnits(embeddings, sum, nameof(embeddings));
        float[] vector = new float[Dimension];
        float norm = Merge(stored is null ? default : stored._vector, stored?.SumNorm ?? 0, sum, vector, "the template", nameof(embeddings));
        return new FaceTemplate(vector, embeddings.Count + (stored?.Faces ?? 0), norm);
    }
}
