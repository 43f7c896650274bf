using Npgsql;
using SwinFace.PostgreSql;

// PGlite's socket server runs the messages of all its connections on one backend, interleaving them outside
// transaction blocks, so two connections with queries in flight at once can get each other's results. The
// tests therefore run one at a time (a CLI test's process then has the server to itself), and against PGlite
// every store shares one pool of one connection (PgDatabase.CreateStoreAsync).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SwinFace.Tests.Recognition;

/// <summary>
/// The PostgreSQL + pgvector database the tests use, named by the environment variable <c>SWINFACE_PG</c> (an
/// Npgsql connection string; <c>tests/postgres/pglite.sh start</c> serves one and writes it to
/// <c>artifacts/pglite/env</c>, and <c>./test.sh</c> does both). Each fixture works in a schema of its own,
/// dropped at the end, with two stores: two replicas of a service.
/// </summary>
/// <remarks>
/// <para>
/// When <c>SWINFACE_PG</c> is not set, the tests fail: a skipped test that should run hides a defect. A developer
/// without a database sets <c>SWINFACE_PG=skip</c> to skip them with that reason, except in CI (<c>CI=true</c>).
/// </para>
/// <para>
/// Against PostgreSQL each store opens its own connection pool, as separate processes would, so the two replicas'
/// transactions really overlap and lock rows. Against PGlite (one backend that serves its connections' messages
/// in turn) every store shares one pool of one connection, and transactions run one after another.
/// </para>
/// </remarks>
public sealed class PgDatabase : IAsyncLifetime
{
    /// <summary>The candidate floor of these tests' stores: low, so that small galleries take the index's path.</summary>
    public const int MinCandidates = 8;

    public static readonly string? Setting = Environment.GetEnvironmentVariable("SWINFACE_PG");

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static NpgsqlDataSource? shared;
    private static bool isPglite;

    private PgVectorGalleryStore? _store;
    private PgVectorGalleryStore? _replica;

    public static string? SkipReason =>
        Setting == "skip" && Environment.GetEnvironmentVariable("CI") != "true"
            ? "SWINFACE_PG=skip: the pgvector gallery tests need PostgreSQL with pgvector (tests/postgres/pglite.sh start, then source artifacts/pglite/env)."
            : null;

    /// <summary>Gets the connection string, or fails the test with what to do.</summary>
    public static string ConnectionString => Setting switch
    {
        null or "" => throw new InvalidOperationException(
            "SWINFACE_PG is not set, so the pgvector gallery tests cannot run. Start PGlite with tests/postgres/pglite.sh start and "
            + "source artifacts/pglite/env (./test.sh does both), or set it to the connection string of a PostgreSQL with pgvector; "
            + "a developer may set SWINFACE_PG=skip to skip these tests outside CI."),
        "skip" => throw new InvalidOperationException("SWINFACE_PG=skip is not honoured in CI (CI=true): the pgvector gallery tests must run there."),
        _ => Setting,
    };

    /// <summary>Gets this fixture's schema.</summary>
    public string Schema { get; } = NewSchema();

    public PgVectorGalleryStore Store => _store ?? throw new InvalidOperationException("Not initialized.");

    public PgVectorGalleryStore Replica => _replica ?? throw new InvalidOperationException("Not initialized.");

    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..12];

    public static PgVectorGalleryStoreOptions Options(string schema) => new() { Schema = schema, MinCandidates = MinCandidates };

    /// <summary>Opens a store as another process would: its own pool against PostgreSQL, the one shared pool against PGlite.</summary>
    public static async Task<PgVectorGalleryStore> CreateStoreAsync(PgVectorGalleryStoreOptions options, CancellationToken cancellationToken = default)
    {
        NpgsqlDataSource source = await SharedAsync();
        return isPglite
            ? await PgVectorGalleryStore.CreateAsync(source, options, cancellationToken)
            : await PgVectorGalleryStore.CreateAsync(ConnectionString, options, cancellationToken);
    }

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _store = await CreateStoreAsync(Options(Schema));
        _replica = await CreateStoreAsync(Options(Schema));
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
            await DropAsync(Schema);
        }

        if (_replica is not null)
        {
            await _replica.DisposeAsync();
        }
    }

    public static async Task DropAsync(string schema) => await QueryAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");

    /// <summary>Runs SQL of the test's own and returns the first column of every row.</summary>
    public static async Task<List<object?>> QueryAsync(string sql, params object[] parameters)
    {
        await using NpgsqlCommand command = (await SharedAsync()).CreateCommand(sql);
        foreach (object value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        var rows = new List<object?>();
        while (reader.FieldCount > 0 && await reader.ReadAsync())
        {
            rows.Add(reader.IsDBNull(0) ? null : reader.GetValue(0));
        }

        return rows;
    }

    /// <summary>The tests' own pool (with pgvector's types), made once; also the stores' pool against PGlite.</summary>
    private static async Task<NpgsqlDataSource> SharedAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (shared is null)
            {
                var builder = new NpgsqlDataSourceBuilder(ConnectionString);
                builder.UseVector();
                NpgsqlDataSource source = builder.Build();
                await using NpgsqlCommand version = source.CreateCommand("SELECT version()");
                isPglite = ((string)(await version.ExecuteScalarAsync())!).Contains("PGlite", StringComparison.Ordinal);
                shared = source;
            }

            return shared;
        }
        finally
        {
            Gate.Release();
        }
    }
}

/// <summary>A test that needs the database of <see cref="PgDatabase"/>: skipped only when a developer set <c>SWINFACE_PG=skip</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GalleryFactAttribute : FactAttribute
{
    public GalleryFactAttribute()
    {
        Skip = PgDatabase.SkipReason;
    }
}
