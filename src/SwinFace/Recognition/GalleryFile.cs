using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace SwinFace.Recognition;

/// <summary>The gallery file format, version 1. All numbers are little-endian.</summary>
/// <remarks>
/// <code>
/// "SWFGAL"                  6 bytes   magic
/// version                   uint16    1
/// dimension                 int32     512
/// count                     int32     n identities
/// model                     uint16 byte length 0..256, UTF-8 bytes: the model the embeddings come from
/// faces                     n int32   faces enrolled per identity
/// norms                     n float32 length of each identity's sum of unit embeddings
/// templates                 n x 512 float32, row-major: unit-length templates (sum = template x norm)
/// ids                       n x (uint16 byte length 1..256, UTF-8 bytes)
/// SHA-256                   32 bytes  of everything before it
/// </code>
/// The fixed-size blocks come first and match the in-memory arrays, so they are read straight into them.
/// </remarks>
internal static class GalleryFile
{
    private const ushort Version = 1;
    private const int HeaderSize = 16;
    private const int HashSize = 32;
    private const int BlockRows = 2_048;

    private static ReadOnlySpan<byte> Magic => "SWFGAL"u8;

    public static void Write(Stream stream, string? model, ReadOnlySpan<string> ids, ReadOnlySpan<int> faces, ReadOnlySpan<float> norms, ReadOnlySpan<float> templates)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FaceGallery.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], ids.Length);
        Put(header);
        byte[] modelBytes = FaceGallery.Utf8.GetBytes(model ?? string.Empty);
        Span<byte> modelLength = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(modelLength, (ushort)modelBytes.Length);
        Put(modelLength);
        Put(modelBytes);
        Put(MemoryMarshal.AsBytes(faces));
        Put(MemoryMarshal.AsBytes(norms));
        for (int row = 0; row < ids.Length; row += BlockRows)
        {
            // Blocks keep each span under 2 GB, which the templates of a million identities exceed.
            int rows = Math.Min(BlockRows, ids.Length - row);
            Put(MemoryMarshal.AsBytes(templates.Slice(row * FaceGallery.Dimension, rows * FaceGallery.Dimension)));
        }

        var names = new ArrayBufferWriter<byte>();
        foreach (string id in ids)
        {
            Span<byte> entry = names.GetSpan(2 + FaceGallery.MaxIdBytes);
            int length = FaceGallery.Utf8.GetBytes(id, entry[2..]);
            BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)length);
            names.Advance(2 + length);
        }

        Put(names.WrittenSpan);
        stream.Write(hash.GetHashAndReset());

        void Put(ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(bytes);
            stream.Write(bytes);
        }
    }

    public static FaceGallery Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path);
    }

    /// <summary>Reads a gallery from a seekable stream, from its current position to its end.</summary>
    /// <param name="stream">The gallery file's bytes.</param>
    /// <param name="path">How to name the file in error messages.</param>
    /// <exception cref="InvalidDataException">The data is not a valid gallery file; the message says why.</exception>
    public static FaceGallery Read(Stream stream, string path)
    {
        long length = stream.Length - stream.Position;
        Span<byte> header = stackalloc byte[HeaderSize];
        int got = stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        if (got < Magic.Length || !header[..Magic.Length].SequenceEqual(Magic))
        {
            throw Bad(path, $"not a SwinFace gallery file (magic bytes {Convert.ToHexString(header[..Math.Min(got, Magic.Length)])}, expected {Convert.ToHexString(Magic)} \"SWFGAL\")");
        }

        if (got < HeaderSize)
        {
            throw Bad(path, $"truncated: the header needs {HeaderSize} bytes, the file has {length}");
        }

        int version = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        if (version != Version)
        {
            throw Bad(path, $"format version {version}, but this library reads version {Version}");
        }

        if (dimension != FaceGallery.Dimension)
        {
            throw Bad(path, $"embedding dimension {dimension}, expected {FaceGallery.Dimension}");
        }

        if (count < 0 || count > FaceGallery.MaxCount)
        {
            throw Bad(path, $"identity count {count} is out of range (0 to {FaceGallery.MaxCount})");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header);
        Span<byte> modelLength = stackalloc byte[2];
        if (stream.ReadAtLeast(modelLength, 2, throwOnEndOfStream: false) < 2)
        {
            throw Bad(path, $"truncated: the file ends after {length} bytes, inside the header");
        }

        hash.AppendData(modelLength);
        int modelSize = BinaryPrimitives.ReadUInt16LittleEndian(modelLength);
        if (modelSize > FaceGallery.MaxIdBytes || HeaderSize + 2 + modelSize > length)
        {
            throw Bad(path, $"the model id is {modelSize} bytes long, more than {FaceGallery.MaxIdBytes} or the file holds");
        }

        byte[] modelBytes = new byte[modelSize];
        Get(modelBytes);
        string? model;
        try
        {
            model = modelSize == 0 ? null : FaceGallery.Utf8.GetString(modelBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"Cannot load gallery {path}: the model id is not valid UTF-8.", e);
        }

        long fixedSize = HeaderSize + 2 + modelSize + ((long)count * (4 + 4 + (4 * FaceGallery.Dimension)));
        long idsSize = length - fixedSize - HashSize;
        if (idsSize < 3L * count)
        {
            throw Bad(path, $"truncated: {count} identities need at least {fixedSize + (3L * count) + HashSize} bytes, the file has {length}");
        }

        if (idsSize > (2L + FaceGallery.MaxIdBytes) * count)
        {
            throw Bad(path, $"{length} bytes is more than {count} identities can fill");
        }

        int[] faces = new int[count];
        float[] norms = new float[count];
        float[] templates = GC.AllocateUninitializedArray<float>(count * FaceGallery.Dimension);
        byte[] names = new byte[idsSize];
        Get(MemoryMarshal.AsBytes(faces.AsSpan()));
        Get(MemoryMarshal.AsBytes(norms.AsSpan()));
        Task hashing = Task.CompletedTask;
        try
        {
            for (int row = 0; row < count; row += BlockRows)
            {
                int start = row * FaceGallery.Dimension;
                int size = Math.Min(BlockRows, count - row) * FaceGallery.Dimension;
                stream.ReadExactly(MemoryMarshal.AsBytes(templates.AsSpan(start, size)));
                // Hash each block on another core while the next one is read: a million identities are 2 GB.
                hashing.GetAwaiter().GetResult();
                hashing = Task.Run(() => hash.AppendData(MemoryMarshal.AsBytes(templates.AsSpan(start, size))));
            }
        }
        finally
        {
            hashing.GetAwaiter().GetResult();
        }

        Get(names);
        Span<byte> stored = stackalloc byte[HashSize];
        stream.ReadExactly(stored);
        if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored))
        {
            throw Bad(path, "checksum mismatch: the file is corrupt or truncated");
        }

        string[] ids = new string[count];
        var rowsById = new Dictionary<string, int>(count, StringComparer.Ordinal);
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            int size = at + 2 <= names.Length ? BinaryPrimitives.ReadUInt16LittleEndian(names.AsSpan(at)) : 0;
            if (size is < 1 or > FaceGallery.MaxIdBytes || at + 2 + size > names.Length)
            {
                throw Bad(path, $"identity {i} has a malformed id");
            }

            try
            {
                ids[i] = FaceGallery.Utf8.GetString(names, at + 2, size);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"Cannot load gallery {path}: identity {i}'s id is not valid UTF-8.", e);
            }

            at += 2 + size;
            if (!rowsById.TryAdd(ids[i], i))
            {
                throw Bad(path, $"the id '{ids[i]}' appears twice");
            }

            if (faces[i] < 1 || !(norms[i] > 0) || !float.IsFinite(norms[i]))
            {
                throw Bad(path, $"identity '{ids[i]}' has {faces[i]} faces and sum length {norms[i]}");
            }
        }

        if (at != names.Length)
        {
            throw Bad(path, $"{names.Length - at} bytes follow the last id");
        }

        return new FaceGallery(model, ids, faces, norms, templates, rowsById);

        void Get(Span<byte> bytes)
        {
            stream.ReadExactly(bytes);
            hash.AppendData(bytes);
        }
    }

    private static InvalidDataException Bad(string path, string what) => new($"Cannot load gallery {path}: {what}.");
}
