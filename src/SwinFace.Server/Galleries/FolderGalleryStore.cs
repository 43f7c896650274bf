using System.Collections.Concurrent;
using SwinFace.Recognition;

namespace SwinFace.Server.Galleries;

/// <summary>
/// Galleries as <see cref="FaceGallery"/> instances in memory, each saved to <c>NAME.gallery</c> in a folder after
/// every change (atomically: a crash leaves the old file or the new one), or kept in memory only when there is no
/// folder. For one replica: several processes must not share the folder.
/// </summary>
internal sealed class FolderGalleryStore : IFaceGalleryStore, IDisposable
{
    private const string Extension = ".gallery";
    private readonly string? _folder;
    private readonly ConcurrentDictionary<string, Entry> _open = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _catalog = new(1, 1);

    /// <summary>Initializes a new instance of the <see cref="FolderGalleryStore"/> class.</summary>
    /// <param name="folder">The folder of gallery files, created when missing; <see langword="null"/> keeps galleries in memory only.</param>
    public FolderGalleryStore(string? folder)
    {
        _folder = folder;
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
    }

    public async Task<IReadOnlyList<GalleryInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        IEnumerable<string> names = _open.Keys;
        if (_folder is not null)
        {
            names = names.Concat(Directory.EnumerateFiles(_folder, "*" + Extension).Select(Path.GetFileNameWithoutExtension).OfType<string>());
        }

        var galleries = new List<GalleryInfo>();
        foreach (string name in names.Where(IsName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (await FindAsync(name, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                galleries.Add(new GalleryInfo(name, entry.Gallery.Model, entry.Gallery.Count));
            }
        }

        return galleries;
    }

    public async Task<bool> TryCreateAsync(string name, string? model, CancellationToken cancellationToken = default)
    {
        GalleryInfo.ValidateName(name, nameof(name));
        await _catalog.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_open.ContainsKey(name) || (PathOf(name) is { } existing && File.Exists(existing)))
            {
                return false;
            }

            var entry = new Entry(name, new FaceGallery(model));
            if (PathOf(name) is { } path)
            {
                entry.Gallery.Save(path);
            }

            _open[name] = entry;
            return true;
        }
        finally
        {
            _catalog.Release();
        }
    }

    public async Task<IFaceGallery?> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return IsName(name) && await FindAsync(name, cancellationToken).ConfigureAwait(false) is { } entry ? new SavedGallery(this, entry) : null;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsName(name))
        {
            return false;
        }

        await _catalog.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Entry? entry = FindLocked(name);
            if (entry is null)
            {
                return false;
            }

            await entry.Writes.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                entry.Deleted = true;
                _open.TryRemove(name, out _);
                if (PathOf(name) is { } path)
                {
                    File.Delete(path);
                }
            }
            finally
            {
                entry.Writes.Release();
            }

            return true;
        }
        finally
        {
            _catalog.Release();
        }
    }

    public void Dispose()
    {
        foreach (Entry entry in _open.Values)
        {
            entry.Gallery.Dispose();
        }

        _catalog.Dispose();
    }

    private static bool IsName(string name)
    {
        try
        {
            GalleryInfo.ValidateName(name, nameof(name));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private string? PathOf(string name) => _folder is null ? null : Path.Combine(_folder, name + Extension);

    private async Task<Entry?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (_open.TryGetValue(name, out Entry? entry))
        {
            return entry;
        }

        await _catalog.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return FindLocked(name);
        }
        finally
        {
            _catalog.Release();
        }
    }

    /// <summary>Finds an open gallery, or loads its file; called under the catalog lock.</summary>
    private Entry? FindLocked(string name)
    {
        if (_open.TryGetValue(name, out Entry? entry))
        {
            return entry;
        }

        if (PathOf(name) is not { } path || !File.Exists(path))
        {
            return null;
        }

        // A damaged file surfaces as InvalidDataException naming the file, which the service answers with a problem.
        entry = new Entry(name, FaceGallery.Load(path));
        _open[name] = entry;
        return entry;
    }

    /// <summary>Runs a change under the gallery's write lock and saves it; a failed save reloads the file, which the save left as it was.</summary>
    private async Task<T> ChangeAsync<T>(Entry entry, Func<IFaceGallery, Task<T>> change, CancellationToken cancellationToken)
    {
        await entry.Writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (entry.Deleted)
            {
                throw new KeyNotFoundException($"The gallery '{entry.Name}' was deleted.");
            }

            T result = await change(entry.Gallery).ConfigureAwait(false);
            if (PathOf(entry.Name) is { } path)
            {
                try
                {
                    entry.Gallery.Save(path);
                }
                catch (IOException)
                {
                    FaceGallery old = entry.Gallery;
                    entry.Gallery = FaceGallery.Load(path);
                    old.Dispose();
                    throw;
                }
            }

            return result;
        }
        finally
        {
            entry.Writes.Release();
        }
    }

    private sealed class Entry(string name, FaceGallery gallery)
    {
        public string Name { get; } = name;

        public FaceGallery Gallery { get; set; } = gallery;

        public SemaphoreSlim Writes { get; } = new(1, 1);

        public bool Deleted { get; set; }
    }

    /// <summary>A gallery of the store: reads go straight to the <see cref="FaceGallery"/>, changes are saved.</summary>
    private sealed class SavedGallery(FolderGalleryStore store, Entry entry) : IFaceGallery
    {
        public string? Model => entry.Gallery.Model;

        private IFaceGallery Gallery => entry.Gallery;

        public Task<int> CountAsync(CancellationToken cancellationToken = default) => Gallery.CountAsync(cancellationToken);

        public Task<IReadOnlyList<GalleryIdentity>> ListAsync(string? after, int limit, CancellationToken cancellationToken = default) =>
            Gallery.ListAsync(after, limit, cancellationToken);

        public Task<int> GetFaceCountAsync(string id, CancellationToken cancellationToken = default) => Gallery.GetFaceCountAsync(id, cancellationToken);

        public Task<IReadOnlyList<GalleryMatch>> SearchAsync(ReadOnlyMemory<float> probe, int k, CancellationToken cancellationToken = default) =>
            Gallery.SearchAsync(probe, k, cancellationToken);

        public Task<int> EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken = default) =>
            store.ChangeAsync(entry, g => g.EnrollAsync(id, embeddings, cancellationToken), cancellationToken);

        public Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default) =>
            store.ChangeAsync(entry, g => g.RemoveAsync(id, cancellationToken), cancellationToken);

        public Task RenameAsync(string id, string newId, CancellationToken cancellationToken = default) =>
            store.ChangeAsync(entry, async g =>
            {
                await g.RenameAsync(id, newId, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken);
    }
}
