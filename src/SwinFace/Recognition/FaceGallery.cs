using System.Numerics.Tensors;
using System.Text;
using SwinFace.Analysis;

namespace SwinFace.Recognition;

/// <summary>One identity found by <see cref="FaceGallery.Search(ReadOnlySpan{float}, int)"/>.</summary>
/// <param name="Id">The identity's id.</param>
/// <param name="Similarity">The cosine similarity of the probe and the identity's template, -1 to 1.</param>
public readonly record struct GalleryMatch(string Id, float Similarity);

/// <summary>A set of enrolled identities, searched by exact cosine similarity.</summary>
/// <remarks>
/// <para>
/// Each identity has one template: the normalised mean of its enrolled embeddings (each normalised first), so
/// several faces of one person make one template of 512 floats, about 2 KB. The gallery also keeps the face
/// count and the length of the unnormalised sum, so enrolling more faces later updates the mean as if all had
/// been enrolled at once, up to float rounding.
/// </para>
/// <para>
/// All members are safe to call from many threads at once: searches share a read lock and run in parallel;
/// enrolling, removing and renaming take the write lock and wait for searches in progress. A search of more
/// than 20,000 identities is split across the processor's cores.
/// </para>
/// <para>
/// A gallery holds up to 4,194,303 identities (512 floats each, in one array). Dispose it only when no other
/// call is in progress.
/// </para>
/// </remarks>
public sealed class FaceGallery : IFaceGallery, IDisposable
{
    /// <summary>The most UTF-8 bytes in an identity id.</summary>
    internal const int MaxIdBytes = 256;

    internal const int Dimension = ModelHeads.EmbeddingSize;

    private const int ParallelRows = 20_000;
    private const int ChunkRows = 4_096;

    internal static readonly int MaxCount = Array.MaxLength / Dimension;

    internal static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<string, int> _rows;
    private string[] _ids;
    private int[] _faces;
    private float[] _norms;
    private float[] _templates;
    private int _count;

    /// <summary>Initializes a new, empty instance of the <see cref="FaceGallery"/> class, not tied to a model.</summary>
    public FaceGallery()
        : this(null)
    {
    }

    /// <summary>Initializes a new, empty instance of the <see cref="FaceGallery"/> class for the embeddings of one model.</summary>
    /// <param name="model">
    /// An id of the model whose embeddings the gallery will hold, such as the model file's SHA-256, or
    /// <see langword="null"/>. It is saved with the gallery, so that a search with another model's embeddings,
    /// whose scores mean nothing, can be refused by comparing <see cref="Model"/>.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="model"/> is longer than 256 UTF-8 bytes or not valid Unicode.</exception>
    public FaceGallery(string? model)
        : this(model, [], [], [], [], new Dictionary<string, int>(StringComparer.Ordinal))
    {
        if (model is not null)
        {
            ValidateId(model, nameof(model));
        }
    }

    internal FaceGallery(string? model, string[] ids, int[] faces, float[] norms, float[] templates, Dictionary<string, int> rows)
    {
        Model = model;
        _ids = ids;
        _faces = faces;
        _norms = norms;
        _templates = templates;
        _rows = rows;
        _count = ids.Length;
    }

    /// <summary>Gets the id of the model whose embeddings the gallery holds, or <see langword="null"/> when it was not given.</summary>
    /// <remarks>The gallery stores this id but cannot check embeddings against it: compare it with your model's before enrolling or searching.</remarks>
    public string? Model { get; }

    /// <summary>Gets the number of identities.</summary>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public int Count => Read(() => _count);

    /// <summary>Loads a gallery saved by <see cref="Save(string)"/>, checking it completely.</summary>
    /// <param name="path">The gallery file's path.</param>
    /// <returns>The gallery.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a SwinFace gallery, has another format version or embedding size, or is corrupt or
    /// truncated; the message says which.
    /// </exception>
    public static FaceGallery Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Gallery file not found: {path}", path);
        }

        return GalleryFile.Read(path);
    }

    /// <summary>Saves the gallery to one file, replacing it atomically: a crash leaves the old file or the new one.</summary>
    /// <param name="path">The file's path; its folder must exist.</param>
    /// <remarks>
    /// <para>
    /// The file holds every identity's id, face count, sum length and template, and a SHA-256 of its contents.
    /// Searches may run during a save; changes wait for it.
    /// </para>
    /// <para>
    /// The new content is written to a temporary file next to the target, flushed to disk and renamed over
    /// it. A process killed at any moment of a save leaves the old file or the new one, never a mix (tested
    /// by killing savers hundreds of times), and its temporary file is removed by the next save. A full disk
    /// fails the save with an <see cref="IOException"/> and leaves the old file as it was.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written, or the disk is full; the message says which, and the old file is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _lock.EnterReadLock();
        try
        {
            AtomicFile.Write(path, stream => GalleryFile.Write(stream, Model, _ids.AsSpan(0, _count), _faces.AsSpan(0, _count), _norms.AsSpan(0, _count), _templates.AsSpan(0, _count * Dimension)));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // A full disk surfaces here, from a write or the flush, after the temporary file is removed.
            throw new IOException($"Cannot save the gallery to {path}: {e.Message.TrimEnd('.')}. The file there, if any, is unchanged.", e);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Determines whether an identity is enrolled.</summary>
    /// <param name="id">The identity's id.</param>
    /// <returns><see langword="true"/> when it is enrolled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public bool Contains(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Read(() => _rows.ContainsKey(id));
    }

    /// <summary>Gets the number of faces enrolled for an identity.</summary>
    /// <param name="id">The identity's id.</param>
    /// <returns>The number of embeddings averaged into its template.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">No identity has this id.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public int GetFaceCount(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Read(() => _faces[RowOf(id)]);
    }

    /// <summary>Gets the ids of all identities.</summary>
    /// <returns>A copy, in no particular order.</returns>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public IReadOnlyList<string> GetIds() => Read(() => _ids[.._count]);

    /// <summary>Enrolls one face of an identity, adding the identity if it is new.</summary>
    /// <param name="id">The identity's id: not empty, at most 256 UTF-8 bytes, compared ordinally.</param>
    /// <param name="embedding">The face's 512-value embedding; normalised again here, so any length but zero will do.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="id"/> is empty, too long or not valid Unicode; or <paramref name="embedding"/> is not 512
    /// finite values, not all zero; or it cancels the identity's enrolled faces out.
    /// </exception>
    /// <exception cref="InvalidOperationException">The gallery is full.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public void Enroll(string id, ReadOnlySpan<float> embedding)
    {
        ValidateId(id, nameof(id));
        Span<float> sum = stackalloc float[Dimension];
        FaceTemplate.ToUnit(embedding, sum, nameof(embedding));
        Add(id, sum, 1, nameof(embedding));
    }

    /// <summary>Enrolls several faces of one identity at once, adding the identity if it is new.</summary>
    /// <param name="id">The identity's id: not empty, at most 256 UTF-8 bytes, compared ordinally.</param>
    /// <param name="embeddings">The faces' 512-value embeddings; each is normalised again here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/>, <paramref name="embeddings"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="id"/> is empty, too long or not valid Unicode; or <paramref name="embeddings"/> is empty,
    /// or one is not 512 finite values, not all zero; or they cancel each other out.
    /// </exception>
    /// <exception cref="InvalidOperationException">The gallery is full.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public void Enroll(string id, IReadOnlyList<float[]> embeddings)
    {
        ValidateId(id, nameof(id));
        Span<float> sum = stackalloc float[Dimension];
        FaceTemplate.SumOfUnits(embeddings, sum, nameof(embeddings));
        Add(id, sum, embeddings.Count, nameof(embeddings));
    }

    /// <summary>Removes an identity.</summary>
    /// <param name="id">The identity's id.</param>
    /// <returns><see langword="true"/> when it was enrolled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        _lock.EnterWriteLock();
        try
        {
            if (!_rows.Remove(id, out int row))
            {
                return false;
            }

            // The last row moves into the hole, so removal costs one template copy.
            int last = --_count;
            if (row != last)
            {
                Template(last).CopyTo(Template(row));
                _norms[row] = _norms[last];
                _faces[row] = _faces[last];
                _ids[row] = _ids[last];
                _rows[_ids[row]] = row;
            }

            Array.Clear(_ids, last, 1);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Renames an identity, keeping its template and face count.</summary>
    /// <param name="id">The identity's id.</param>
    /// <param name="newId">The new id: not empty, at most 256 UTF-8 bytes, not used by another identity.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> or <paramref name="newId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="newId"/> is empty, too long, not valid Unicode, or already used.</exception>
    /// <exception cref="KeyNotFoundException">No identity has the id <paramref name="id"/>.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public void Rename(string id, string newId)
    {
        ArgumentNullException.ThrowIfNull(id);
        ValidateId(newId, nameof(newId));
        _lock.EnterWriteLock();
        try
        {
            int row = RowOf(id);
            if (string.Equals(id, newId, StringComparison.Ordinal))
            {
                return;
            }

            if (!_rows.TryAdd(newId, row))
            {
                throw new ArgumentException($"The gallery already has an identity '{newId}'.", nameof(newId));
            }

            _rows.Remove(id);
            _ids[row] = newId;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Finds the identities most similar to a probe face.</summary>
    /// <param name="probe">The probe's 512-value embedding; normalised again here.</param>
    /// <param name="k">The most matches to return, at least 1.</param>
    /// <returns>
    /// Up to <paramref name="k"/> matches, most similar first; on equal similarity, in enrollment order, except that
    /// <see cref="Remove(string)"/> moves the last identity into the freed place.
    /// </returns>
    /// <remarks>The search is exact: the probe is compared with every template.</remarks>
    /// <exception cref="ArgumentException"><paramref name="probe"/> is not 512 finite values, not all zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    /// <exception cref="ObjectDisposedException">The gallery has been disposed.</exception>
    public IReadOnlyList<GalleryMatch> Search(ReadOnlySpan<float> probe, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        float[] unit = new float[Dimension];
        FaceTemplate.ToUnit(probe, unit, nameof(probe));
        _lock.EnterReadLock();
        try
        {
            int count = _count;
            float[] templates = _templates;
            var best = new TopK(Math.Min(k, count));
            if (count <= ParallelRows)
            {
                Scan(templates, unit, 0, count, best);
            }
            else
            {
                var merge = new Lock();
                Parallel.For(
                    0,
                    (count + ChunkRows - 1) / ChunkRows,
                    () => new TopK(Math.Min(k, count)),
                    (chunk, _, local) =>
                    {
                        Scan(templates, unit, chunk * ChunkRows, Math.Min(count, (chunk + 1) * ChunkRows), local);
                        return local;
                    },
                    local =>
                    {
                        lock (merge)
                        {
                            best.Merge(local);
                        }
                    });
            }

            return Array.ConvertAll(best.ToSorted(), m => new GalleryMatch(_ids[m.Row], m.Score));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    Task<int> IFaceGallery.CountAsync(CancellationToken cancellationToken) => Task.FromResult(Count);

    /// <inheritdoc/>
    Task<IReadOnlyList<GalleryIdentity>> IFaceGallery.ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        GalleryIdentity[] page = Read(() => _ids.Take(_count)
            .Select((id, row) => (Id: id, Row: row))
            .Where(x => after is null || string.CompareOrdinal(x.Id, after) > 0)
            .OrderBy(x => x.Id, StringComparer.Ordinal)
            .Take(limit)
            .Select(x => new GalleryIdentity(x.Id, _faces[x.Row]))
            .ToArray());
        return Task.FromResult<IReadOnlyList<GalleryIdentity>>(page);
    }

    /// <inheritdoc/>
    Task<int> IFaceGallery.GetFaceCountAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Task.FromResult(Read(() => _rows.TryGetValue(id, out int row) ? _faces[row] : 0));
    }

    /// <inheritdoc/>
    Task<int> IFaceGallery.EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken)
    {
        ValidateId(id, nameof(id));
        Span<float> sum = stackalloc float[Dimension];
        FaceTemplate.SumOfUnits(embeddings, sum, nameof(embeddings));
        return Task.FromResult(Add(id, sum, embeddings.Count, nameof(embeddings)));
    }

    /// <inheritdoc/>
    Task<bool> IFaceGallery.RemoveAsync(string id, CancellationToken cancellationToken) => Task.FromResult(Remove(id));

    /// <inheritdoc/>
    Task IFaceGallery.RenameAsync(string id, string newId, CancellationToken cancellationToken)
    {
        Rename(id, newId);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    Task<IReadOnlyList<GalleryMatch>> IFaceGallery.SearchAsync(ReadOnlyMemory<float> probe, int k, CancellationToken cancellationToken) =>
        Task.FromResult(Search(probe.Span, k));

    /// <summary>Frees the lock. Calls in progress on other threads must have returned.</summary>
    public void Dispose() => _lock.Dispose();

    private static void Scan(float[] templates, float[] unit, int start, int end, TopK best)
    {
        for (int row = start; row < end; row++)
        {
            best.Add(FaceTemplate.Similarity(templates.AsSpan(row * Dimension, Dimension), unit), row);
        }
    }

    /// <summary>
    /// Checks an identity id, by the rules of every <see cref="IFaceGallery"/>: not empty, valid Unicode (no unpaired
    /// surrogate), no U+0000 (which a database's text cannot hold), at most 256 UTF-8 bytes. Ids are compared ordinally.
    /// </summary>
    /// <param name="id">The id.</param>
    /// <param name="paramName">The parameter to name in the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="id"/> is empty, not valid Unicode, holds U+0000, or is too long.</exception>
    public static void ValidateId(string id, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(id, paramName);
        if (id.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The id holds U+0000 (NUL), which a database's text cannot hold.", paramName);
        }

        int bytes;
        try
        {
            bytes = Utf8.GetByteCount(id);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The id is not valid Unicode: it holds an unpaired surrogate.", paramName, e);
        }

        if (bytes > MaxIdBytes)
        {
            throw new ArgumentException($"The id is {bytes} UTF-8 bytes long; the most is {MaxIdBytes}.", paramName);
        }
    }

    /// <summary>Adds faces (their sum of unit embeddings) to an identity; returns its face count after.</summary>
    private int Add(string id, Span<float> sum, int faces, string paramName)
    {
        _lock.EnterWriteLock();
        try
        {
            bool known = _rows.TryGetValue(id, out int row);
            Span<float> template = stackalloc float[Dimension];
            float norm = FaceTemplate.Merge(known ? Template(row) : default, known ? _norms[row] : 0, sum, template, id, paramName);
            if (known)
            {
                faces += _faces[row];
            }
            else
            {
                row = NewRow(id);
            }

            template.CopyTo(Template(row));
            _norms[row] = norm;
            _faces[row] = faces;
            return faces;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private int NewRow(string id)
    {
        if (_count == _ids.Length)
        {
            if (_count == MaxCount)
            {
                throw new InvalidOperationException($"The gallery is full: it holds at most {MaxCount} identities.");
            }

            int capacity = (int)Math.Clamp(2L * _count, 16, MaxCount);
            Array.Resize(ref _ids, capacity);
            Array.Resize(ref _faces, capacity);
            Array.Resize(ref _norms, capacity);
            Array.Resize(ref _templates, capacity * Dimension);
        }

        _ids[_count] = id;
        _rows.Add(id, _count);
        return _count++;
    }

    private int RowOf(string id) =>
        _rows.TryGetValue(id, out int row) ? row : throw new KeyNotFoundException($"The gallery has no identity '{id}'.");

    private Span<float> Template(int row) => _templates.AsSpan(row * Dimension, Dimension);

    private T Read<T>(Func<T> read)
    {
        _lock.EnterReadLock();
        try
        {
            return read();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
