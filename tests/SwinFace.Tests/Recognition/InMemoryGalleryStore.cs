using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>
/// Named <see cref="FaceGallery"/> instances in memory, behind <see cref="IFaceGalleryStore"/>: what the gallery
/// contract tests run the in-memory gallery through. <see cref="OpenReplica"/> gives a second store over the same
/// galleries, as a second process would see them in a shared store.
/// </summary>
internal sealed class InMemoryGalleryStore : IFaceGalleryStore
{
    private readonly Dictionary<string, FaceGallery> _galleries;

    public InMemoryGalleryStore()
        : this(new Dictionary<string, FaceGallery>(StringComparer.Ordinal))
    {
    }

    private InMemoryGalleryStore(Dictionary<string, FaceGallery> galleries)
    {
        _galleries = galleries;
    }

    public InMemoryGalleryStore OpenReplica() => new(_galleries);

    public Task<IReadOnlyList<GalleryInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_galleries)
        {
            return Task.FromResult<IReadOnlyList<GalleryInfo>>([.. _galleries
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new GalleryInfo(g.Key, g.Value.Model, g.Value.Count))]);
        }
    }

    public Task<bool> TryCreateAsync(string name, string? model, CancellationToken cancellationToken = default)
    {
        GalleryInfo.ValidateName(name, nameof(name));
        if (model is not null)
        {
            FaceGallery.ValidateId(model, nameof(model));
        }

        lock (_galleries)
        {
            return Task.FromResult(_galleries.TryAdd(name, new FaceGallery(model)));
        }
    }

    public Task<IFaceGallery?> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_galleries)
        {
            return Task.FromResult<IFaceGallery?>(_galleries.GetValueOrDefault(name));
        }
    }

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_galleries)
        {
            return Task.FromResult(_galleries.Remove(name));
        }
    }
}
