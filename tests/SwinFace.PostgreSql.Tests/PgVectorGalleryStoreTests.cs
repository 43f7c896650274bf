using System.Net;
using System.Net.Sockets;
using Npgsql;
using SwinFace.PostgreSql;
using SwinFace.Recognition;
using static SwinFace.Tests.Recognition.RecognitionTestData;

namespace SwinFace.Tests.Recognition;

/// <summary>What only the pgvector store does: its schema, the model on every row, and its errors.</summary>
public sealed class PgVectorGalleryStoreTests(PgDatabase database) : IClassFixture<PgDatabase>
{
    private string Templates => $"\"{database.Schema}\".templates";

    private string Galleries => $"\"{database.Schema}\".galleries";

    [GalleryFact]
    public async Task Enroll_RecordsTheGallerysModelOnEveryRow_AndSqlCannotMixModels()
    {
        var random = new Random(1);
        string name = "models-" + Guid.NewGuid().ToString("N")[..8];
        Assert.True(await database.Store.TryCreateAsync(name, "model-1"));
        IFaceGallery gallery = (await database.Store.OpenAsync(name))!;
        await gallery.EnrollAsync("a", [Embedding(random)]);
        await gallery.EnrollAsync("b", [Embedding(random), Embedding(random)]);
        await gallery.EnrollAsync("a", [Embedding(random)]);
        long id = (long)(await PgDatabase.QueryAsync($"SELECT id FROM {Galleries} WHERE name = $1", name))[0]!;
        Assert.Equal(["model-1", "model-1"], await PgDatabase.QueryAsync($"SELECT model FROM {Templates} WHERE gallery_id = $1", id));

        // A row of another model than its gallery's cannot be written, whatever writes it.
        PostgresException insert = await Assert.ThrowsAsync<PostgresException>(() => PgDatabase.QueryAsync(
            $"INSERT INTO {Templates} (gallery_id, model, identity, identity_order, faces, sum_norm, template) SELECT gallery_id, 'model-2', 'c', '\\x0063', faces, sum_norm, template FROM {Templates} WHERE gallery_id = $1 AND identity = 'a' RETURNING 1",
            id));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, insert.SqlState);
        PostgresException update = await Assert.ThrowsAsync<PostgresException>(() => PgDatabase.QueryAsync($"UPDATE {Templates} SET model = 'model-2' WHERE gallery_id = $1 RETURNING 1", id));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, update.SqlState);
        PostgresException retag = await Assert.ThrowsAsync<PostgresException>(() => PgDatabase.QueryAsync($"UPDATE {Galleries} SET model = 'model-2' WHERE id = $1 RETURNING 1", id));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, retag.SqlState);
        Assert.Equal(2, await gallery.CountAsync());

        // A gallery of no model records the empty string, which the foreign key checks too.
        string none = name + ".none";
        Assert.True(await database.Store.TryCreateAsync(none, null));
        await (await database.Store.OpenAsync(none))!.EnrollAsync("x", [Embedding(random)]);
        Assert.Equal([string.Empty], await PgDatabase.QueryAsync($"SELECT t.model FROM {Templates} t JOIN {Galleries} g ON g.id = t.gallery_id WHERE g.name = $1", none));
    }

    [GalleryFact]
    public async Task DeleteAsync_RemovesTheGallerysRows()
    {
        var random = new Random(2);
        string name = "deleted-" + Guid.NewGuid().ToString("N")[..8];
        Assert.True(await database.Store.TryCreateAsync(name, "model-1"));
        IFaceGallery gallery = (await database.Store.OpenAsync(name))!;
        float[] face = Embedding(random);
        foreach (string id in new[] { "a", "b", "c" })
        {
            await gallery.EnrollAsync(id, [Embedding(random), face]);
        }

        long galleryId = (long)(await PgDatabase.QueryAsync($"SELECT id FROM {Galleries} WHERE name = $1", name))[0]!;
        Assert.Equal([3L], await PgDatabase.QueryAsync($"SELECT count(*) FROM {Templates} WHERE gallery_id = $1", galleryId));
        Assert.True(await database.Replica.DeleteAsync(name));
        Assert.Equal([0L], await PgDatabase.QueryAsync($"SELECT count(*) FROM {Templates} WHERE gallery_id = $1", galleryId));

        // An instance opened before the deletion finds nothing and cannot enrol.
        Assert.Equal(0, await gallery.CountAsync());
        Assert.Empty(await gallery.SearchAsync(face, 3));
        InvalidOperationException deleted = await Assert.ThrowsAsync<InvalidOperationException>(() => gallery.EnrollAsync("d", [face]));
        Assert.Contains("deleted", deleted.Message, StringComparison.Ordinal);
    }

    [GalleryFact]
    public async Task CreateAsync_StoresStartingAtOnce_CreateTheSchemaOnce()
    {
        // Against PostgreSQL each store has its pool, as processes would; PGlite gets one pool (PgDatabase).
        string schema = PgDatabase.NewSchema();
        try
        {
            PgVectorGalleryStore[] stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PgDatabase.CreateStoreAsync(PgDatabase.Options(schema))));
            await using (PgVectorGalleryStore again = await PgDatabase.CreateStoreAsync(PgDatabase.Options(schema)))
            {
                Assert.True(await again.TryCreateAsync("one", "m"));
            }

            foreach (PgVectorGalleryStore store in stores)
            {
                Assert.Equal(["one"], (await store.ListAsync()).Select(g => g.Name));
                await store.DisposeAsync();
            }

            Assert.Equal([PgVectorGalleryStore.SchemaVersion], await PgDatabase.QueryAsync($"SELECT version FROM \"{schema}\".schema_info"));
            List<object?> hnsw = await PgDatabase.QueryAsync("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'templates_hnsw'", schema);
            string definition = Assert.IsType<string>(Assert.Single(hnsw));
            Assert.Contains("USING hnsw (template vector_cosine_ops)", definition, StringComparison.Ordinal);
        }
        finally
        {
            await PgDatabase.DropAsync(schema);
        }
    }

    [GalleryFact]
    public async Task CreateAsync_RefusesTablesOfAnotherSchemaVersion()
    {
        string schema = PgDatabase.NewSchema();
        try
        {
            await (await PgDatabase.CreateStoreAsync(PgDatabase.Options(schema))).DisposeAsync();
            await PgDatabase.QueryAsync($"UPDATE \"{schema}\".schema_info SET version = 2 RETURNING 1");
            InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => PgDatabase.CreateStoreAsync(PgDatabase.Options(schema)));
            Assert.Contains("schema version 2", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await PgDatabase.DropAsync(schema);
        }
    }

    [GalleryFact]
    public async Task CreateAsync_WithoutPgvector_SaysToInstallIt()
    {
        string plain = Environment.GetEnvironmentVariable("SWINFACE_PG_NO_VECTOR") is { Length: > 0 } s ? s
            : throw new InvalidOperationException("SWINFACE_PG_NO_VECTOR is not set: the connection string of a PostgreSQL without pgvector (tests/postgres/pglite.sh start serves one).");
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => PgVectorGalleryStore.CreateAsync(plain));
        Assert.Contains("has no pgvector extension. Install pgvector", e.Message, StringComparison.Ordinal);
        Assert.Contains("CREATE EXTENSION vector", e.Message, StringComparison.Ordinal);

        // Nothing was left behind: the schema's transaction rolled back.
        await using NpgsqlDataSource source = NpgsqlDataSource.Create(plain);
        await using NpgsqlCommand command = source.CreateCommand("SELECT to_regnamespace('swinface') IS NULL");
        Assert.True((bool)(await command.ExecuteScalarAsync())!);
    }

    [GalleryFact]
    public async Task CreateAsync_UnreachableServer_ThrowsNpgsqlsException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        NpgsqlException e = await Assert.ThrowsAsync<NpgsqlException>(() => PgVectorGalleryStore.CreateAsync($"Host=127.0.0.1;Port={port};Username=u;Password=p;Timeout=5"));
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [GalleryFact]
    public async Task CreateAsync_RefusesADataSourceThatCannotReadVectors_AndBadOptions()
    {
        await using NpgsqlDataSource plain = NpgsqlDataSource.Create(PgDatabase.ConnectionString);
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => PgVectorGalleryStore.CreateAsync(plain, PgDatabase.Options(database.Schema)));
        Assert.Contains("UseVector()", e.Message, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ArgumentException>(() => PgVectorGalleryStore.CreateAsync("Host=x;Bogus Key=1"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => PgVectorGalleryStore.CreateAsync((string)null!));
        foreach (string schema in new[] { "", "Upper", "1st", "a-b", "a\"b", new string('s', 64) })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => PgVectorGalleryStore.CreateAsync(PgDatabase.ConnectionString, new() { Schema = schema }));
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PgVectorGalleryStore.CreateAsync(PgDatabase.ConnectionString, new() { MinCandidates = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PgVectorGalleryStore.CreateAsync(PgDatabase.ConnectionString, new() { MinCandidates = PgVectorGalleryStoreOptions.MaxMinCandidates + 1 }));
    }

    [GalleryFact]
    public async Task Calls_HonourCancellation()
    {
        IFaceGallery gallery = await NewGalleryAsync();
        await gallery.EnrollAsync("a", [Embedding(new Random(3))]);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        CancellationToken token = cancelled.Token;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PgDatabase.CreateStoreAsync(PgDatabase.Options(database.Schema), token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => database.Store.ListAsync(token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => database.Store.OpenAsync("x", token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gallery.EnrollAsync("b", [Embedding(new Random(4))], token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gallery.SearchAsync(Embedding(new Random(5)), 1, token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gallery.RenameAsync("a", "b", token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gallery.CountAsync(token));
        Assert.Equal(["a"], (await gallery.ListAsync(null, 10)).Select(i => i.Id));
    }

    private async Task<IFaceGallery> NewGalleryAsync()
    {
        string name = "g-" + Guid.NewGuid().ToString("N")[..10];
        Assert.True(await database.Store.TryCreateAsync(name, "model-1"));
        return (await database.Store.OpenAsync(name))!;
    }
}
