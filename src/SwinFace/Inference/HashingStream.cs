using System.IO.Hashing;
using System.Security.Cryptography;

namespace SwinFace.Inference;

/// <summary>Passes writes through to another stream while counting them, and feeding them to a CRC-32 and a SHA-256.</summary>
internal sealed class HashingStream(Stream inner, IncrementalHash sha) : Stream
{
    private readonly Crc32 _crc = new();
    private long _length;

    public uint Crc => _crc.GetCurrentHashAsUInt32();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _crc.Append(buffer);
        sha.AppendData(buffer);
        inner.Write(buffer);
        _length += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
