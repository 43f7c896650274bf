using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>The gallery contract, run for the in-memory <see cref="FaceGallery"/> through <see cref="InMemoryGalleryStore"/>.</summary>
public sealed class FaceGalleryContractTests : GalleryContractTests
{
    private readonly InMemoryGalleryStore _store = new();

    public FaceGalleryContractTests()
    {
        Replica = _store.OpenReplica();
    }

    protected override IFaceGalleryStore Store => _store;

    protected override IFaceGalleryStore Replica { get; }
}
