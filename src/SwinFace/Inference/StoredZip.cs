using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace SwinFace.Inference;

/// <summary>
/// A reader of ZIP archives whose entries are stored, not compressed: SwinFace model files, and the
/// checkpoints that <c>torch.save</c> writes. Every offset and length read from the archive is checked
/// against the file before it is used, so a damaged or hostile archive gives a
/// <see cref="SwinFaceModelException"/> that says where and why, never an allocation of its choosing.
/// </summary>
/// <remarks>
/// Only what these two writers produce is accepted: stored entries (method 0), no encryption, no
/// multi-disk archives; ZIP64 records (which PyTorch always writes) are read. Names are unique.
/// </remarks>
internal sealed class StoredZip
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;
    private const int EndSize = 22;
    private const int MaxEntries = 1 << 16;

    private readonly Dictionary<string, Entry> _byName;

    private StoredZip(RandomAccessBytes bytes, string origin, List<Entry> entries)
    {
        Bytes = bytes;
        Origin = origin;
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>Gets the archive's bytes, which the caller that opened the archive owns and disposes.</summary>
    public RandomAccessBytes Bytes { get; }

    /// <summary>Gets the name used in error messages: a path, or "model bytes".</summary>
    public string Origin { get; }

    /// <summary>Gets the entries in central-directory order.</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>Reads and checks an archive's directory.</summary>
    /// <param name="bytes">The archive.</param>
    /// <param name="origin">The name for error messages.</param>
    /// <param name="what">What the archive should be, for the message when it is not a ZIP archive at all.</param>
    /// <exception cref="SwinFaceModelException">The data is not a ZIP archive of stored entries, or is damaged.</exception>
    public static StoredZip Read(RandomAccessBytes bytes, string origin, string what)
    {
        long length = bytes.Length;
        long end = FindEnd(bytes, length) ?? throw new SwinFaceModelException(
            $"{origin}: expected {what} (a ZIP archive), found {length} bytes without a ZIP end-of-central-directory record; the file is not a ZIP archive, or it is truncated.");
        Span<byte> record = stackalloc byte[56];
        bytes.Read(end, record[..EndSize]);
        ushort disk = U16(record, 4), cdDisk = U16(record, 6);
        long count = U16(record, 10);
        long cdSize = U32(record, 12);
        long cdOffset = U32(record, 16);
        if (end >= 20)
        {
            bytes.Read(end - 20, record[..20]);
            if (U32(record, 0) == Zip64LocatorSignature)
            {
                long zip64End = (long)Math.Min(U64(record, 8), long.MaxValue);
                Check(zip64End >= 0 && zip64End <= end - 56, origin, end - 20, "its ZIP64 locator points outside the file");
                bytes.Read(zip64End, record);
                Check(U32(record, 0) == Zip64EndSignature, origin, zip64End, "no ZIP64 end-of-central-directory record where the locator points");
                disk = (ushort)Math.Min(U32(record, 16), ushort.MaxValue);
                cdDisk = (ushort)Math.Min(U32(record, 20), ushort.MaxValue);
                count = (long)Math.Min(U64(record, 32), long.MaxValue);
                cdSize = (long)Math.Min(U64(record, 40), long.MaxValue);
                cdOffset = (long)Math.Min(U64(record, 48), long.MaxValue);
                end = zip64End;
            }
        }

        Check(disk == 0 && cdDisk == 0, origin, end, "it spans several disks");
        Check(count <= MaxEntries, origin, end, $"it claims {count} entries (at most {MaxEntries} are read)");
        Check(cdOffset <= end && cdSize <= end - cdOffset, origin, end, $"its central directory ({cdSize} bytes at {cdOffset}) lies outside the file");

        byte[] directory = new byte[cdSize];
        bytes.Read(cdOffset, directory);
        var entries = new List<Entry>((int)count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        int p = 0;
        Span<byte> local = stackalloc byte[30];
        for (long i = 0; i < count; i++)
        {
            long at = cdOffset + p;
            Check(directory.Length - p >= 46 && U32(directory, p) == CentralSignature, origin, at, $"central directory entry {i} is missing or damaged");
            ushort flags = U16(directory, p + 8), method = U16(directory, p + 10);
            uint crc = U32(directory, p + 16);
            long compressed = U32(directory, p + 20), size = U32(directory, p + 24);
            int nameLength = U16(directory, p + 28), extraLength = U16(directory, p + 30), commentLength = U16(directory, p + 32);
            long localOffset = U32(directory, p + 42);
            int variable = nameLength + extraLength + commentLength;
            Check(directory.Length - p - 46 >= variable, origin, at, $"central directory entry {i} runs past the directory");
            string name = Encoding.UTF8.GetString(directory, p + 46, nameLength);
            ReadOnlySpan<byte> extra = directory.AsSpan(p + 46 + nameLength, extraLength);
            ReadZip64(extra, ref size, ref compressed, ref localOffset);
            p += 46 + variable;

            Check((flags & 1) == 0, origin, at, $"entry '{name}' is encrypted");
            Check(method == 0, origin, at, $"entry '{name}' is compressed (method {method}); SwinFace model files and PyTorch checkpoints store their entries uncompressed");
            Check(compressed == size, origin, at, $"entry '{name}' is stored with {compressed} bytes but says it holds {size}");
            Check(names.Add(name), origin, at, $"entry '{name}' appears twice");
            Check(localOffset <= cdOffset - 30, origin, at, $"entry '{name}' has its header at {localOffset}, outside the file's data");
            bytes.Read(localOffset, local);
            Check(U32(local, 0) == LocalSignature, origin, localOffset, $"entry '{name}' has no local header where the directory points");
            long data = localOffset + 30 + U16(local, 26) + U16(local, 28);
            Check(data <= cdOffset && size <= cdOffset - data, origin, localOffset,
                $"entry '{name}' ({size} bytes at {data}) runs past the end of the file's data at {cdOffset}: the file is truncated or damaged");
            entries.Add(new Entry(name, data, size, crc));
        }

        return new StoredZip(bytes, origin, entries);
    }

    /// <summary>Gets the entry with this exact name, or <see langword="null"/>.</summary>
    public Entry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads a whole entry that is at most <paramref name="maxBytes"/> long, and checks its CRC-32.</summary>
    /// <exception cref="SwinFaceModelException">The entry is larger than allowed, or its bytes do not match its CRC-32.</exception>
    public byte[] ReadAll(Entry entry, long maxBytes)
    {
        if (entry.Length > maxBytes)
        {
            throw new SwinFaceModelException($"{Origin}: entry '{entry.Name}' is {entry.Length} bytes, more than the {maxBytes} it may hold.");
        }

        byte[] data = new byte[entry.Length];
        Bytes.Read(entry.Offset, data);
        VerifyCrc(entry, data);
        return data;
    }

    /// <summary>Reads part of an entry into a caller's buffer.</summary>
    public void Read(Entry entry, long offset, Span<byte> destination)
    {
        if (offset < 0 || offset > entry.Length || destination.Length > entry.Length - offset)
        {
            throw new SwinFaceModelException($"{Origin}: entry '{entry.Name}' holds {entry.Length} bytes; {destination.Length} at {offset} were asked for.");
        }

        Bytes.Read(entry.Offset + offset, destination);
    }

    /// <summary>Copies an entry to a stream, feeding every byte to <paramref name="observe"/> (a hash, say).</summary>
    public void CopyTo(Entry entry, Stream destination, Action<ReadOnlySpan<byte>> observe)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long done = 0; done < entry.Length;)
            {
                int n = (int)Math.Min(buffer.Length, entry.Length - done);
                Bytes.Read(entry.Offset + done, buffer.AsSpan(0, n));
                observe(buffer.AsSpan(0, n));
                destination.Write(buffer, 0, n);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Checks bytes read from an entry against the CRC-32 its directory records.</summary>
    /// <exception cref="SwinFaceModelException">They differ.</exception>
    public void VerifyCrc(Entry entry, ReadOnlySpan<byte> data)
    {
        uint actual = Crc32.HashToUInt32(data);
        if (actual != entry.Crc32)
        {
            throw new SwinFaceModelException($"{Origin}: entry '{entry.Name}' is damaged: its bytes have CRC-32 {actual:x8}, the archive records {entry.Crc32:x8}.");
        }
    }

    private static long? FindEnd(RandomAccessBytes bytes, long length)
    {
        if (length < EndSize)
        {
            return null;
        }

        int window = (int)Math.Min(length, EndSize + ushort.MaxValue);
        byte[] tail = new byte[window];
        bytes.Read(length - window, tail);
        for (int i = window - EndSize; i >= 0; i--)
        {
            if (U32(tail, i) == EndSignature && U16(tail, i + 20) == window - EndSize - i)
            {
                return length - window + i;
            }
        }

        return null;
    }

    private static void ReadZip64(ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long localOffset)
    {
        while (extra.Length >= 4)
        {
            ushort id = U16(extra, 0), n = U16(extra, 2);
            ReadOnlySpan<byte> body = extra.Slice(4, Math.Min(n, extra.Length - 4));
            if (id == 1)
            {
                int q = 0;
                Take(body, ref q, ref size);
                Take(body, ref q, ref compressed);
                Take(body, ref q, ref localOffset);
                return;
            }

            extra = extra[Math.Min(extra.Length, 4 + n)..];
        }
    }

    private static void Take(ReadOnlySpan<byte> body, ref int q, ref long value)
    {
        if (value == uint.MaxValue && body.Length - q >= 8)
        {
            value = (long)Math.Min(U64(body, q), long.MaxValue);
            q += 8;
        }
    }

    private static void Check(bool ok, string origin, long offset, string reason)
    {
        if (!ok)
        {
            throw new SwinFaceModelException($"{origin}: damaged ZIP archive at byte {offset}: {reason}.");
        }
    }

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);

    /// <summary>One stored entry: its name, where its bytes start, how many there are, and their CRC-32.</summary>
    internal sealed record Entry(string Name, long Offset, long Length, uint Crc32);
}
