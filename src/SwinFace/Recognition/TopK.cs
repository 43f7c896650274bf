namespace SwinFace.Recognition;

/// <summary>Keeps the best (similarity, row) entries seen so far, in a min-heap whose root is the worst kept.</summary>
/// <remarks>
/// Higher similarity is better; on equal similarity the lower row is, so the result does not depend on how a
/// scan was split across threads.
/// </remarks>
internal sealed class TopK
{
    private readonly float[] _scores;
    private readonly int[] _rows;
    private int _count;

    public TopK(int capacity)
    {
        _scores = new float[capacity];
        _rows = new int[capacity];
    }

    public void Add(float score, int row)
    {
        if (_count < _scores.Length)
        {
            SiftUp(_count++, score, row);
        }
        else if (Better(score, row, _scores[0], _rows[0]))
        {
            SiftDown(score, row);
        }
    }

    public void Merge(TopK other)
    {
        for (int i = 0; i < other._count; i++)
        {
            Add(other._scores[i], other._rows[i]);
        }
    }

    /// <summary>Gets the kept entries, best first.</summary>
    public (float Score, int Row)[] ToSorted()
    {
        var entries = new (float Score, int Row)[_count];
        for (int i = 0; i < _count; i++)
        {
            entries[i] = (_scores[i], _rows[i]);
        }

        Array.Sort(entries, (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return entries;
    }

    private static bool Better(float score, int row, float otherScore, int otherRow) =>
        score > otherScore || (score == otherScore && row < otherRow);

    private void SiftUp(int i, float score, int row)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(_scores[parent], _rows[parent], score, row))
            {
                break;
            }

            _scores[i] = _scores[parent];
            _rows[i] = _rows[parent];
            i = parent;
        }

        _scores[i] = score;
        _rows[i] = row;
    }

    private void SiftDown(float score, int row)
    {
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && Better(_scores[child], _rows[child], _scores[child + 1], _rows[child + 1]))
            {
                child++;
            }

            if (!Better(score, row, _scores[child], _rows[child]))
            {
                break;
            }

            _scores[i] = _scores[child];
            _rows[i] = _rows[child];
            i = child;
        }

        _scores[i] = score;
        _rows[i] = row;
    }
}
