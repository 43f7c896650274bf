using SwinFace.Recognition;
using SwinFace.Server.Galleries;

namespace SwinFace.Tests.Recognition;

/// <summary>
/// The gallery contract, run for the service's folder store: with gallery files, and in memory. It serves one
/// replica, so the "replica" is the store itself.
/// </summary>
public sealed class FolderGalleryStoreContractTests : GalleryContractTests, IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FolderGalleryStore _store;

    public FolderGalleryStoreContractTests()
    {
        _store = new FolderGalleryStore(_folder.Path);
    }

    protected override IFaceGalleryStore Store => _store;

    protected override IFaceGalleryStore Replica => _store;

    public void Dispose()
    {
        _store.Dispose();
        _folder.Dispose();
    }
}

/// <summary>The gallery contract, run for the service's store in memory only.</summary>
public sealed class MemoryGalleryStoreContractTests : GalleryContractTests, IDisposable
{
    private readonly FolderGalleryStore _store = new(null);

    protected override IFaceGalleryStore Store => _store;

    protected override IFaceGalleryStore Replica => _store;

    public void Dispose() => _store.Dispose();
}
