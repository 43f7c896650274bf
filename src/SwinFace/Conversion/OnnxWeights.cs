using System.Buffers;

namespace SwinFace.Conversion;

/// <summary>
/// Fills weights into an ONNX graph whose weight initializers were stripped of their data, and writes
/// the result with the bytes that the Python exporter's protobuf serialisation gives the full graph.
/// </summary>
/// <remarks>
/// <para>
/// Only the wire format is needed, not the ONNX schema: a <c>ModelProto</c> holds its graph in field 7,
/// a <c>GraphProto</c> its initializers in field 5, and a <c>TensorProto</c> its dims (1), data type (2),
/// name (8) and raw data (9). Protobuf writes fields in field-number order, so the data goes right after
/// the fields numbered below 9, and every enclosing length grows by what was added. Everything else is
/// copied as it is.
/// </para>
/// <para>The data is computed one initializer at a time while the graph is written, so a conversion holds one tensor in memory, not a graph.</para>
/// </remarks>
internal sealed class OnnxWeights
{
    private const int ModelGraphField = 7;
    private const int GraphInitializerField = 5;
    private const int TensorDimsField = 1;
    private const int TensorTypeField = 2;
    private const int TensorNameField = 8;
    private const int TensorRawDataField = 9;
    private const int FloatType = 1;
    private const int UInt8Type = 2;
    private const int Int8Type = 3;

    private readonly byte[] _model;
    private readonly (int Start, int End) _graph;
    private readonly List<Piece> _pieces;
    private readonly long _graphLength;

    private OnnxWeights(byte[] model, (int Start, int End) graph, List<Piece> pieces)
    {
        _model = model;
        _graph = graph;
        _pieces = pieces;
        _graphLength = pieces.Sum(p => p.Slot is null ? p.Bytes.Length : 1 + VarintLength(p.TensorLength) + p.TensorLength);
    }

    /// <summary>Gets the initializers to fill, in graph order.</summary>
    public IEnumerable<Slot> Slots => _pieces.Where(p => p.Slot is not null).Select(p => p.Slot!);

    /// <summary>Gets the length of the full graph that <see cref="Write"/> writes.</summary>
    public long Length => _graph.Start + 1 + VarintLength(_graphLength) + _graphLength + (_model.Length - _graph.End);

    /// <summary>Parses a stripped graph and finds the initializers named in <paramref name="names"/>.</summary>
    /// <exception cref="SwinFaceModelException">The bytes are not such a graph, or a named initializer is missing, has data, or is not float32.</exception>
    public static OnnxWeights Parse(byte[] model, IReadOnlySet<string> names, string origin)
    {
        (int Start, int End)? graph = null;
        var fields = new Reader(model, 0, model.Length, origin);
        while (fields.Next(out int field, out int wire, out int start, out _, out int end))
        {
            if (field == ModelGraphField && wire == 2)
            {
                if (graph is not null)
                {
                    throw new SwinFaceModelException($"{origin}: two graphs in one model.");
                }

                graph = (start, end);
            }
        }

        if (graph is not { } g)
        {
            throw new SwinFaceModelException($"{origin}: no graph in the model.");
        }

        var header = new Reader(model, g.Start, g.End, origin);
        header.Next(out _, out _, out _, out int graphValue, out _);
        var pieces = new List<Piece>();
        var found = new HashSet<string>(StringComparer.Ordinal);
        int verbatim = graphValue;
        var graphFields = new Reader(model, graphValue, g.End, origin);
        while (graphFields.Next(out int field, out int wire, out int start, out int valueStart, out int end))
        {
            if (field != GraphInitializerField || wire != 2)
            {
                continue;
            }

            Slot? slot = ParseTensor(model, valueStart, end, names, origin);
            if (slot is null)
            {
                continue;
            }

            if (!found.Add(slot.Name))
            {
                throw new SwinFaceModelException($"{origin}: initializer '{slot.Name}' appears twice.");
            }

            pieces.Add(new Piece(model.AsMemory(verbatim, start - verbatim), null, 0));
            pieces.Add(new Piece(default, slot, slot.Prefix.Length + 1 + VarintLength(slot.DataLength) + slot.DataLength + slot.Suffix.Length));
            verbatim = end;
        }

        pieces.Add(new Piece(model.AsMemory(verbatim, g.End - verbatim), null, 0));
        if (names.FirstOrDefault(n => !found.Contains(n)) is { } missing)
        {
            throw new SwinFaceModelException($"{origin}: the graph has no initializer '{missing}'.");
        }

        return new OnnxWeights(model, g, pieces);
    }

    /// <summary>Writes the full graph; <paramref name="fill"/> computes each slot's raw data, little-endian.</summary>
    public void Write(Stream destination, Action<Slot, Span<byte>> fill)
    {
        destination.Write(_model, 0, _graph.Start);
        WriteTag(destination, ModelGraphField);
        WriteVarint(destination, _graphLength);
        foreach (Piece piece in _pieces)
        {
            if (piece.Slot is not { } slot)
            {
                destination.Write(piece.Bytes.Span);
                continue;
            }

            WriteTag(destination, GraphInitializerField);
            WriteVarint(destination, piece.TensorLength);
            destination.Write(slot.Prefix.Span);
            WriteTag(destination, TensorRawDataField);
            WriteVarint(destination, slot.DataLength);
            byte[] data = ArrayPool<byte>.Shared.Rent(checked((int)slot.DataLength));
            try
            {
                Span<byte> span = data.AsSpan(0, (int)slot.DataLength);
                span.Clear();
                fill(slot, span);
                destination.Write(span);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }

            destination.Write(slot.Suffix.Span);
        }

        destination.Write(_model, _graph.End, _model.Length - _graph.End);
    }

    private static Slot? ParseTensor(byte[] model, int start, int end, IReadOnlySet<string> names, string origin)
    {
        var dims = new List<long>();
        string? name = null;
        int type = 0, split = end;
        bool hasData = false;
        var fields = new Reader(model, start, end, origin);
        while (fields.Next(out int field, out int wire, out int fieldStart, out int valueStart, out int fieldEnd))
        {
            if (field > TensorRawDataField && split == end)
            {
                split = fieldStart;
            }

            switch (field)
            {
                case TensorDimsField when wire == 0:
                    dims.Add(Reader.Varint(model, valueStart, fieldEnd));
                    break;
                case TensorDimsField when wire == 2:
                    for (int p = valueStart; p < fieldEnd;)
                    {
                        dims.Add(Reader.ReadVarint(model, ref p, fieldEnd, origin));
                    }

                    break;
                case TensorTypeField:
                    type = (int)Reader.Varint(model, valueStart, fieldEnd);
                    break;
                case TensorNameField:
                    name = System.Text.Encoding.UTF8.GetString(model, valueStart, fieldEnd - valueStart);
                    break;
                case TensorRawDataField or 4 or 5 or 7 or 10 or 11 or 13:
                    hasData = true;
                    break;
            }
        }

        if (name is null || !names.Contains(name))
        {
            return null;
        }

        int size = type switch
        {
            FloatType => sizeof(float),
            UInt8Type or Int8Type => 1,
            _ => 0,
        };
        if (hasData || size == 0)
        {
            throw new SwinFaceModelException($"{origin}: initializer '{name}' should be float32, uint8 or int8 without data, to be filled in; it has {(hasData ? "data" : $"data type {type}")}.");
        }

        long count = 1;
        foreach (long d in dims)
        {
            count = d >= 0 && d <= int.MaxValue ? checked(count * d) : -1;
        }

        if (count < 0 || count * size > Array.MaxLength)
        {
            throw new SwinFaceModelException($"{origin}: initializer '{name}' has dims [{string.Join(", ", dims)}].");
        }

        return new Slot(name, [.. dims], type == FloatType ? SlotType.Float32 : type == Int8Type ? SlotType.Int8 : SlotType.UInt8, count * size, model.AsMemory(start, split - start), model.AsMemory(split, end - split));
    }

    private static int VarintLength(long value)
    {
        int n = 1;
        for (ulong v = (ulong)value; v >= 0x80; v >>= 7)
        {
            n++;
        }

        return n;
    }

    private static void WriteTag(Stream s, int field) => s.WriteByte((byte)((field << 3) | 2));

    private static void WriteVarint(Stream s, long value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        ulong v = (ulong)value;
        while (v >= 0x80)
        {
            buffer[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        buffer[n++] = (byte)v;
        s.Write(buffer[..n]);
    }

    /// <summary>The element types a slot may have.</summary>
    internal enum SlotType
    {
        Float32,
        Int8,
        UInt8,
    }

    /// <summary>An initializer to fill: its name, dims and element type, and its serialised fields before and after the raw data.</summary>
    internal sealed record Slot(string Name, long[] Dims, SlotType Type, long DataLength, ReadOnlyMemory<byte> Prefix, ReadOnlyMemory<byte> Suffix)
    {
        /// <summary>Gets the number of elements.</summary>
        public long Count => Dims.Aggregate(1L, (a, d) => a * d);
    }

    private sealed record Piece(ReadOnlyMemory<byte> Bytes, Slot? Slot, long TensorLength);

    /// <summary>Walks the fields of one protobuf message.</summary>
    private struct Reader(byte[] data, int position, int end, string origin)
    {
        private int _position = position;

        public static long Varint(byte[] data, int start, int end)
        {
            int p = start;
            return ReadVarint(data, ref p, end, "graph");
        }

        public static long ReadVarint(byte[] data, ref int p, int end, string origin)
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (p >= end)
                {
                    break;
                }

                byte b = data[p++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return (long)value;
                }
            }

            throw new SwinFaceModelException($"{origin}: a malformed protobuf varint.");
        }

        public bool Next(out int field, out int wire, out int start, out int valueStart, out int fieldEnd)
        {
            start = _position;
            if (_position >= end)
            {
                field = wire = valueStart = fieldEnd = 0;
                return false;
            }

            long tag = ReadVarint(data, ref _position, end, origin);
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            valueStart = _position;
            long length = wire switch
            {
                0 => SkipVarint(),
                1 => 8,
                2 => ReadVarint(data, ref _position, end, origin),
                5 => 4,
                _ => throw new SwinFaceModelException($"{origin}: protobuf wire type {wire} is not used by ONNX graphs."),
            };
            if (wire == 2)
            {
                valueStart = _position;
            }

            if (length < 0 || length > end - _position)
            {
                throw new SwinFaceModelException($"{origin}: a protobuf field runs past its message.");
            }

            _position += (int)length;
            fieldEnd = _position;
            return true;
        }

        private long SkipVarint()
        {
            ReadVarint(data, ref _position, end, origin);
            return 0;
        }
    }
}
