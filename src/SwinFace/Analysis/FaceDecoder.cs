using System.Numerics.Tensors;

namespace SwinFace.Analysis;

/// <summary>Turns the model's raw outputs into <see cref="FaceAnalysis"/> records.</summary>
internal static class FaceDecoder
{
    /// <summary>Decodes face <paramref name="face"/> of a batch.</summary>
    /// <param name="outputs">The raw outputs of the batch.</param>
    /// <param name="face">The face's index in the batch.</param>
    /// <param name="tasks">The tasks to decode; their outputs must be present.</param>
    public static FaceAnalysis Decode(RawOutputs outputs, int face, FaceTasks tasks)
    {
        float[]? embedding = null;
        float? norm = null;
        if ((tasks & FaceTasks.Identity) != 0)
        {
            embedding = new float[ModelHeads.EmbeddingSize];
            norm = Normalize(outputs.Embedding(face), embedding);
        }

        ExpressionPrediction? expression = null;
        if ((tasks & FaceTasks.Expression) != 0)
        {
            float[] p = new float[ModelHeads.Expression.Size];
            Softmax(outputs.Logits(ModelHeads.Expression, face), p);
            expression = new ExpressionPrediction((Expression)TensorPrimitives.IndexOfMax(p), p);
        }

        float? age = (tasks & FaceTasks.Age) != 0 ? outputs.Logits(ModelHeads.Age, face)[0] : null;
        float? male = (tasks & FaceTasks.Gender) != 0 ? PresentProbability(outputs.Logits(ModelHeads.Gender, face)) : null;

        FaceAttributes? attributes = null;
        if ((tasks & FaceTasks.Attributes) != 0)
        {
            float[] p = new float[FaceAttributeNames.Count];
            for (int a = 0; a < p.Length; a++)
            {
                p[a] = PresentProbability(outputs.Logits(ModelHeads.All[ModelHeads.AttributeHead[a]], face));
            }

            attributes = new FaceAttributes(p);
        }

        return new FaceAnalysis(embedding, norm, expression, age, male, attributes);
    }

    /// <summary>The softmax probability of index 1 ("present") of a two-logit head.</summary>
    /// <param name="logits">Two logits: absent, present.</param>
    /// <returns>The probability of "present".</returns>
    /// <exception cref="ArgumentException"><paramref name="logits"/> does not hold exactly two values.</exception>
    public static float PresentProbability(ReadOnlySpan<float> logits)
    {
        if (logits.Length != 2)
        {
            throw new ArgumentException($"A two-class head has 2 logits, got {logits.Length}.", nameof(logits));
        }

        Span<float> p = stackalloc float[2];
        Softmax(logits, p);
        return p[1];
    }

    /// <summary>Writes the softmax of <paramref name="logits"/> to <paramref name="destination"/>, stable for large logits.</summary>
    /// <param name="logits">The logits.</param>
    /// <param name="destination">Receives the probabilities; at least as long as the logits.</param>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty or <paramref name="destination"/> is too short.</exception>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> destination)
    {
        if (destination.Length < logits.Length)
        {
            throw new ArgumentException("Destination is too short.", nameof(destination));
        }

        // TensorPrimitives.SoftMax exponentiates the logits as given, which overflows past about 88;
        // shifting by the maximum changes nothing mathematically and keeps every exponent <= 0.
        Span<float> d = destination[..logits.Length];
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), d);
        TensorPrimitives.SoftMax(d, d);
    }

    /// <summary>Writes the L2-normalised <paramref name="source"/> to <paramref name="destination"/>.</summary>
    /// <param name="source">The raw embedding.</param>
    /// <param name="destination">Receives the unit-length embedding; at least as long as the source.</param>
    /// <returns>The L2 norm of <paramref name="source"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static float Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("Destination is too short.", nameof(destination));
        }

        float norm = TensorPrimitives.Norm(source);
        // A zero vector has no direction; leave it zero rather than produce NaNs.
        if (norm > 0f)
        {
            TensorPrimitives.Divide(source, norm, destination);
        }
        else
        {
            destination[..source.Length].Clear();
        }

        return norm;
    }
}
