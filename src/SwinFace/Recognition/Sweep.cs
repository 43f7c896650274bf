namespace SwinFace.Recognition;

/// <summary>
/// The accept counts at every distinct similarity, from the highest threshold down: the exact ROC curve,
/// with tied similarities as one step.
/// </summary>
internal sealed class Sweep
{
    private Sweep(float[] thresholds, int[] sameAccepted, int[] differentAccepted)
    {
        Thresholds = thresholds;
        SameAccepted = sameAccepted;
        DifferentAccepted = differentAccepted;
        SameTotal = sameAccepted[^1];
        DifferentTotal = differentAccepted[^1];
    }

    /// <summary>Gets the thresholds, descending. The first lies just above every similarity and accepts nothing; the others are the distinct similarities.</summary>
    public float[] Thresholds { get; }

    /// <summary>Gets the number of same-person pairs with a similarity at least each threshold.</summary>
    public int[] SameAccepted { get; }

    /// <summary>Gets the number of different-person pairs with a similarity at least each threshold.</summary>
    public int[] DifferentAccepted { get; }

    public int SameTotal { get; }

    public int DifferentTotal { get; }

    /// <summary>Sweeps a non-empty set of pairs.</summary>
    public static Sweep Build(ReadOnlySpan<float> scores, ReadOnlySpan<bool> same)
    {
        float[] keys = scores.ToArray();
        bool[] labels = same.ToArray();
        Array.Sort(keys, labels);

        int distinct = 1;
        for (int i = 1; i < keys.Length; i++)
        {
            if (keys[i] != keys[i - 1])
            {
                distinct++;
            }
        }

        var thresholds = new float[distinct + 1];
        var sameAccepted = new int[distinct + 1];
        var differentAccepted = new int[distinct + 1];
        thresholds[0] = MathF.BitIncrement(keys[^1]);
        int s = 0, d = 0, j = 0;
        for (int i = keys.Length - 1; i >= 0;)
        {
            float t = keys[i];
            for (; i >= 0 && keys[i] == t; i--)
            {
                if (labels[i])
                {
                    s++;
                }
                else
                {
                    d++;
                }
            }

            j++;
            thresholds[j] = t;
            sameAccepted[j] = s;
            differentAccepted[j] = d;
        }

        return new Sweep(thresholds, sameAccepted, differentAccepted);
    }

    /// <summary>Gets the area under the ROC curve by the trapezoidal rule: P(same &gt; different) + P(same = different) / 2.</summary>
    public double Auc()
    {
        double area = 0;
        for (int j = 1; j < Thresholds.Length; j++)
        {
            area += (double)(DifferentAccepted[j] - DifferentAccepted[j - 1]) * (SameAccepted[j] + SameAccepted[j - 1]);
        }

        return area / (2.0 * SameTotal * DifferentTotal);
    }

    /// <summary>Gets the equal error rate and its threshold, both interpolated linearly on the ROC step where FAR first reaches FRR.</summary>
    public (double Rate, float Threshold) EqualErrorRate()
    {
        double previous = -1; // FAR - FRR at the first threshold, which accepts nothing.
        for (int j = 1; ; j++)
        {
            double far = (double)DifferentAccepted[j] / DifferentTotal;
            double difference = far - (1 - ((double)SameAccepted[j] / SameTotal));
            if (difference >= 0)
            {
                double lambda = -previous / (difference - previous);
                double previousFar = (double)DifferentAccepted[j - 1] / DifferentTotal;
                double rate = previousFar + (lambda * (far - previousFar));
                return (rate, (float)(Thresholds[j - 1] + (lambda * ((double)Thresholds[j] - Thresholds[j - 1]))));
            }

            previous = difference;
        }
    }

    /// <summary>Gets the highest threshold with the highest accuracy, and that accuracy.</summary>
    public (float Threshold, double Accuracy) BestAccuracy()
    {
        int best = 0;
        for (int j = 1; j < Thresholds.Length; j++)
        {
            if (SameAccepted[j] - DifferentAccepted[j] > SameAccepted[best] - DifferentAccepted[best])
            {
                best = j;
            }
        }

        int correct = SameAccepted[best] + DifferentTotal - DifferentAccepted[best];
        return (Thresholds[best], (double)correct / (SameTotal + DifferentTotal));
    }

    /// <summary>
    /// Gets the TAR at the lowest threshold whose FAR is at most <paramref name="target"/>; not reportable when
    /// the different-person pairs are fewer than 1 / <paramref name="target"/>.
    /// </summary>
    public OperatingPoint AtFalseAcceptRate(double target)
    {
        // The tolerance keeps 1e-4 x 10,000 at one allowed false accept despite rounding.
        long allowed = (long)Math.Floor(target * DifferentTotal * (1 + 1e-9));
        if (allowed < 1)
        {
            return new OperatingPoint(target, null, null, null);
        }

        // DifferentAccepted never decreases: find the last threshold that accepts at most `allowed`.
        int lo = 0, hi = Thresholds.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (DifferentAccepted[mid] <= allowed)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return new OperatingPoint(target, (double)SameAccepted[lo] / SameTotal, (double)DifferentAccepted[lo] / DifferentTotal, Thresholds[lo]);
    }

    /// <summary>
    /// Gets the ROC curve's points. A point inside a straight horizontal or vertical run is left out: an end of
    /// its run dominates it, and the curve's shape and area do not change.
    /// </summary>
    public RocPoint[] Roc()
    {
        var points = new List<RocPoint>();
        int last = Thresholds.Length - 1;
        for (int j = 0; j <= last; j++)
        {
            bool interior = j > 0 && j < last
                && ((DifferentAccepted[j - 1] == DifferentAccepted[j] && DifferentAccepted[j] == DifferentAccepted[j + 1])
                    || (SameAccepted[j - 1] == SameAccepted[j] && SameAccepted[j] == SameAccepted[j + 1]));
            if (!interior)
            {
                points.Add(new RocPoint((double)DifferentAccepted[j] / DifferentTotal, (double)SameAccepted[j] / SameTotal, Thresholds[j]));
            }
        }

        return [.. points];
    }
}
