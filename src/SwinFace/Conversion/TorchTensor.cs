using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using SwinFace.Inference;

namespace SwinFace.Conversion;

/// <summary>The element types of PyTorch storages that the checkpoint reader decodes.</summary>
internal enum TorchDType
{
    Float32,
    Float64,
    Float16,
    BFloat16,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
}

/// <summary>PyTorch's legacy storage class names (<c>torch.FloatStorage</c>, ...), which checkpoints pickle, and their element types.</summary>
internal static class TorchDTypes
{
    public static readonly IReadOnlyDictionary<string, TorchDType> StorageTypes = new Dictionary<string, TorchDType>(StringComparer.Ordinal)
    {
        ["FloatStorage"] = TorchDType.Float32,
        ["DoubleStorage"] = TorchDType.Float64,
        ["HalfStorage"] = TorchDType.Float16,
        ["BFloat16Storage"] = TorchDType.BFloat16,
        ["LongStorage"] = TorchDType.Int64,
        ["IntStorage"] = TorchDType.Int32,
        ["ShortStorage"] = TorchDType.Int16,
        ["CharStorage"] = TorchDType.Int8,
        ["ByteStorage"] = TorchDType.UInt8,
        ["BoolStorage"] = TorchDType.Bool,
    };

    public static int Size(this TorchDType type) => type switch
    {
        TorchDType.Float64 or TorchDType.Int64 => 8,
        TorchDType.Float32 or TorchDType.Int32 => 4,
        TorchDType.Float16 or TorchDType.BFloat16 or TorchDType.Int16 => 2,
        _ => 1,
    };

    /// <summary>The name PyTorch prints, such as <c>torch.float32</c>: the Python exporter's messages use it.</summary>
    public static string TorchName(this TorchDType type) => "torch." + type.ShortName();

    /// <summary>The name of the key listing, such as <c>float32</c>.</summary>
    public static string ShortName(this TorchDType type) => type switch
    {
        TorchDType.Float32 => "float32",
        TorchDType.Float64 => "float64",
        TorchDType.Float16 => "float16",
        TorchDType.BFloat16 => "bfloat16",
        TorchDType.Int64 => "int64",
        TorchDType.Int32 => "int32",
        TorchDType.Int16 => "int16",
        TorchDType.Int8 => "int8",
        TorchDType.UInt8 => "uint8",
        _ => "bool",
    };
}

/// <summary>One storage of a checkpoint: an entry <c>data/KEY</c> of the archive, read only when a tensor needs it.</summary>
internal sealed record TorchStorage(string Key, TorchDType DType, long Count, string Location, StoredZip.Entry Entry);

/// <summary>
/// A tensor of a checkpoint, as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view of a
/// storage with an offset, sizes and strides. Creating one checks that the view lies inside its storage;
/// the data is read on demand.
/// </summary>
internal sealed class TorchTensor
{
    private readonly StoredZip _archive;

    private TorchTensor(StoredZip archive, TorchStorage storage, long offset, long[] shape, long[] strides, long count)
    {
        _archive = archive;
        Storage = storage;
        Offset = offset;
        Shape = shape;
        Strides = strides;
        Count = count;
    }

    public TorchStorage Storage { get; }

    public TorchDType DType => Storage.DType;

    /// <summary>Gets the offset of the first element in the storage, in elements.</summary>
    public long Offset { get; }

    public long[] Shape { get; }

    public long[] Strides { get; }

    /// <summary>Gets the number of elements.</summary>
    public long Count { get; }

    /// <summary>Gets the shape as Python prints a list, such as <c>[96, 3, 2, 2]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Checks a view against its storage and creates the tensor.</summary>
    /// <exception cref="SwinFaceModelException">A size or stride is negative, or the view reaches past the storage.</exception>
    public static TorchTensor Create(StoredZip archive, TorchStorage storage, long offset, long[] shape, long[] strides)
    {
        string Where() => $"a tensor of storage '{storage.Key}' (offset {offset}, sizes {FormatShape(shape)}, strides {FormatShape(strides)})";
        if (shape.Length != strides.Length || shape.Length > 16)
        {
            throw new SwinFaceModelException($"{Where()}: expected as many strides as sizes, and at most 16 dimensions.");
        }

        if (offset < 0 || shape.Any(d => d < 0) || strides.Any(s => s < 0))
        {
            throw new SwinFaceModelException($"{Where()}: negative offset, size or stride.");
        }

        long count = 1, last = offset;
        try
        {
            checked
            {
                for (int i = 0; i < shape.Length; i++)
                {
                    count *= shape[i];
                    if (shape[i] > 0)
                    {
                        last += (shape[i] - 1) * strides[i];
                    }
                }
            }
        }
        catch (OverflowException)
        {
            throw new SwinFaceModelException($"{Where()}: sizes and strides overflow.");
        }

        if (count > 0 && last >= storage.Count)
        {
            throw new SwinFaceModelException(
                $"{Where()} reaches element {last}, but the storage holds {storage.Count} elements: the storage is shorter than the tensor's sizes and strides require.");
        }

        return new TorchTensor(archive, storage, offset, shape, strides, count);
    }

    /// <summary>Reads the tensor, converted to <see cref="float"/>, in row-major order.</summary>
    /// <exception cref="SwinFaceModelException">The storage's bytes do not match their CRC-32, or the type is not a number PyTorch stores as floats or integers.</exception>
    public void ReadSingles(Span<float> destination)
    {
        Read<float>(destination, static (ReadOnlySpan<byte> src, int i, TorchDType type) => type switch
        {
            TorchDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]),
            TorchDType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(i * 8)..]),
            TorchDType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(src[(i * 2)..]),
            TorchDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]) << 16),
            _ => (float)Integer(src, i, type),
        });
    }

    /// <summary>Reads an integer tensor, in row-major order.</summary>
    /// <exception cref="SwinFaceModelException">The tensor holds floating-point values, or its storage is damaged.</exception>
    public void ReadInt64s(Span<long> destination)
    {
        if (DType is TorchDType.Float32 or TorchDType.Float64 or TorchDType.Float16 or TorchDType.BFloat16)
        {
            throw new SwinFaceModelException($"storage '{Storage.Key}' holds {DType.TorchName()}, not integers.");
        }

        Read<long>(destination, static (ReadOnlySpan<byte> src, int i, TorchDType type) => (long)Integer(src, i, type));
    }

    private static double Integer(ReadOnlySpan<byte> src, long i, TorchDType type) => type switch
    {
        TorchDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(src[(int)(i * 8)..]),
        TorchDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(src[(int)(i * 4)..]),
        TorchDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(src[(int)(i * 2)..]),
        TorchDType.Int8 => (sbyte)src[(int)i],
        _ => src[(int)i],
    };

    private delegate T Element<T>(ReadOnlySpan<byte> storage, int index, TorchDType type);

    private void Read<T>(Span<T> destination, Element<T> element)
        where T : unmanaged
    {
        if (destination.Length != Count)
        {
            throw new ArgumentException($"Expected a destination of {Count} elements, got {destination.Length}.", nameof(destination));
        }

        // An empty view may have any offset, as in PyTorch: nothing is read, and its offset must not be used.
        if (Count == 0)
        {
            return;
        }

        TorchStorage s = Storage;
        long bytes = s.Entry.Length;
        if (bytes > Array.MaxLength)
        {
            throw new SwinFaceModelException($"{_archive.Origin}: storage '{s.Key}' is {bytes} bytes, more than one tensor of SwinFace needs.");
        }

        byte[] data = ArrayPool<byte>.Shared.Rent((int)bytes);
        try
        {
            Span<byte> span = data.AsSpan(0, (int)bytes);
            _archive.Read(s.Entry, 0, span);
            _archive.VerifyCrc(s.Entry, span);
            if (IsContiguous && ((typeof(T) == typeof(float) && DType == TorchDType.Float32) || (typeof(T) == typeof(long) && DType == TorchDType.Int64)))
            {
                MemoryMarshal.Cast<byte, T>(span.Slice((int)(Offset * DType.Size()), (int)(Count * DType.Size()))).CopyTo(destination);
                return;
            }

            Span<long> index = stackalloc long[Shape.Length];
            for (int n = 0; n < destination.Length; n++)
            {
                long at = Offset;
                for (int d = 0; d < Shape.Length; d++)
                {
                    at += index[d] * Strides[d];
                }

                destination[n] = element(span, (int)at, DType);
                for (int d = Shape.Length - 1; d >= 0 && ++index[d] == Shape[d]; d--)
                {
                    index[d] = 0;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = Shape.Length - 1; d >= 0; d--)
            {
                if (Shape[d] != 1 && Strides[d] != expected)
                {
                    return false;
                }

                expected *= Shape[d];
            }

            return BitConverter.IsLittleEndian;
        }
    }
}
