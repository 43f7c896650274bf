using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>The gallery contract, run for the pgvector gallery: two stores over one database, as two replicas.</summary>
public sealed class PgVectorGalleryContractTests(PgDatabase database) : GalleryContractTests, IClassFixture<PgDatabase>
{
    protected override IFaceGalleryStore Store => database.Store;

    protected override IFaceGalleryStore Replica => database.Replica;
}
