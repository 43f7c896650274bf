using Microsoft.Win32.SafeHandles;

namespace SwinFace.Inference;

/// <summary>
/// Bytes read at any offset, from a file, a stream or an array: what the ZIP reader works on. Reads of
/// a file are positional, so several threads may read one file at once.
/// </summary>
internal abstract class RandomAccessBytes : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Opens a file for positional reads.</summary>
    public static RandomAccessBytes Open(string path) => new FileBytes(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));

    /// <summary>Wraps a readable, seekable stream; reads are serialised, the stream stays the caller's.</summary>
    public static RandomAccessBytes Wrap(Stream stream) => new StreamBytes(stream);

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="EndOfStreamException">Fewer bytes remain than asked for.</exception>
    public abstract void Read(long offset, Span<byte> destination);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class FileBytes(SafeFileHandle handle) : RandomAccessBytes
    {
        public override long Length { get; } = RandomAccess.GetLength(handle);

        public override void Read(long offset, Span<byte> destination)
        {
            while (destination.Length > 0)
            {
                int n = RandomAccess.Read(handle, destination, offset);
                if (n <= 0)
                {
                    throw new EndOfStreamException();
                }

                destination = destination[n..];
                offset += n;
            }
        }

        public override void Dispose()
        {
            handle.Dispose();
            base.Dispose();
        }
    }

    private sealed class StreamBytes(Stream stream) : RandomAccessBytes
    {
        private readonly Lock _lock = new();

        public override long Length => stream.Length;

        public override void Read(long offset, Span<byte> destination)
        {
            lock (_lock)
            {
                stream.Position = offset;
                stream.ReadExactly(destination);
            }
        }
    }
}
