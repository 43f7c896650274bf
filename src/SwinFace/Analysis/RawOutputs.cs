using System.Buffers;

namespace SwinFace.Analysis;

/// <summary>
/// The raw outputs of one batch: embeddings and head logits, in pooled arrays that ONNX Runtime wrote
/// into. Disposing returns the arrays to the pool.
/// </summary>
internal sealed class RawOutputs : IDisposable
{
    private readonly float[]?[] _logits = new float[ModelHeads.All.Length][];
    private float[]? _embeddings;

    public RawOutputs(int count) => Count = count;

    /// <summary>Gets the number of faces in the batch.</summary>
    public int Count { get; }

    /// <summary>Rents the embedding buffer, <see cref="Count"/> x 512 floats (the array may be longer).</summary>
    public float[] RentEmbeddings() => _embeddings ??= ArrayPool<float>.Shared.Rent(Count * ModelHeads.EmbeddingSize);

    /// <summary>Rents the logit buffer of head <paramref name="head"/>, <see cref="Count"/> x size floats.</summary>
    public float[] RentLogits(int head) => _logits[head] ??= ArrayPool<float>.Shared.Rent(Count * ModelHeads.All[head].Size);

    /// <summary>The raw (not normalised) embedding of one face.</summary>
    public ReadOnlySpan<float> Embedding(int face)
    {
        float[] all = _embeddings ?? throw new InvalidOperationException("Identity was not computed.");
        return all.AsSpan(face * ModelHeads.EmbeddingSize, ModelHeads.EmbeddingSize);
    }

    /// <summary>The logits of one head for one face.</summary>
    public ReadOnlySpan<float> Logits(HeadSpec head, int face)
    {
        float[] all = _logits[head.Index] ?? throw new InvalidOperationException($"Head '{head.Name}' was not computed.");
        return all.AsSpan(face * head.Size, head.Size);
    }

    public void Dispose()
    {
        if (_embeddings is not null)
        {
            ArrayPool<float>.Shared.Return(_embeddings);
            _embeddings = null;
        }

        for (int i = 0; i < _logits.Length; i++)
        {
            if (_logits[i] is { } a)
            {
                ArrayPool<float>.Shared.Return(a);
                _logits[i] = null;
            }
        }
    }
}
