using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace SwinFace.Inference;

/// <summary>
/// Writes a ZIP archive of stored entries with the same bytes as the Python exporter's
/// <c>zipfile.ZipFile(..., ZIP_STORED)</c> with <c>ZipInfo(name, date_time=(2023, 8, 22, 0, 0, 0))</c>:
/// the same headers, the same fixed date, no data descriptors and no extra fields. That is what lets
/// a test compare a converted model file with the exporter's byte for byte.
/// </summary>
/// <remarks>Entries are streamed: the CRC-32 and size are patched into each local header afterwards, so the stream must be seekable.</remarks>
internal sealed class StoredZipWriter
{
    // 2023-08-22 00:00:00 in MS-DOS form, as zipfile writes ZipInfo.date_time.
    private const ushort DosDate = ((2023 - 1980) << 9) | (8 << 5) | 22;
    private const ushort DosTime = 0;
    private const ushort Version = 20;
    private const ushort MadeBy = (3 << 8) | Version; // Unix, as zipfile records on Linux and macOS
    private const uint ExternalAttributes = 0x180u << 16; // -rw------- (0o600 << 16)

    private readonly Stream _stream;
    private readonly List<(byte[] Name, long Offset, uint Crc, long Size)> _written = [];

    public StoredZipWriter(Stream stream)
    {
        if (!stream.CanSeek || !stream.CanWrite)
        {
            throw new ArgumentException("The ZIP writer needs a writable, seekable stream.", nameof(stream));
        }

        _stream = stream;
    }

    /// <summary>Writes one entry whose bytes <paramref name="write"/> produces, and returns their SHA-256 in lower-case hex.</summary>
    public string Add(string name, Action<Stream> write)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        long offset = _stream.Position;
        Span<byte> header = stackalloc byte[30];
        LocalHeader(header, nameBytes.Length, 0, 0);
        _stream.Write(header);
        _stream.Write(nameBytes);

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var entry = new HashingStream(_stream, sha);
        write(entry);
        long size = entry.Length;
        if (size >= uint.MaxValue)
        {
            throw new IOException($"Entry '{name}' is {size} bytes; this writer makes no ZIP64 archives.");
        }

        uint crc = entry.Crc;
        long end = _stream.Position;
        _stream.Position = offset;
        LocalHeader(header, nameBytes.Length, crc, (uint)size);
        _stream.Write(header);
        _stream.Position = end;
        _written.Add((nameBytes, offset, crc, size));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Writes the central directory and the end record.</summary>
    public void Finish()
    {
        long start = _stream.Position;
        Span<byte> record = stackalloc byte[46];
        foreach ((byte[] name, long offset, uint crc, long size) in _written)
        {
            record.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(record[4..], MadeBy);
            BinaryPrimitives.WriteUInt16LittleEndian(record[6..], Version);
            BinaryPrimitives.WriteUInt16LittleEndian(record[12..], DosTime);
            BinaryPrimitives.WriteUInt16LittleEndian(record[14..], DosDate);
            BinaryPrimitives.WriteUInt32LittleEndian(record[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(record[20..], (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(record[24..], (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(record[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[38..], ExternalAttributes);
            BinaryPrimitives.WriteUInt32LittleEndian(record[42..], checked((uint)offset));
            _stream.Write(record);
            _stream.Write(name);
        }

        long size2 = _stream.Position - start;
        Span<byte> end = stackalloc byte[22];
        end.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)_written.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)_written.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], checked((uint)size2));
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], checked((uint)start));
        _stream.Write(end);
    }

    private static void LocalHeader(Span<byte> header, int nameLength, uint crc, uint size)
    {
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(header[10..], DosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], DosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], size);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], size);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameLength);
    }
}
