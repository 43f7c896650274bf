using Npgsql;
using NpgsqlTypes;
using Pgvector;
using SwinFace.Recognition;

namespace SwinFace.PostgreSql;

/// <summary>
/// Named face galleries in PostgreSQL with pgvector, shared by every process that opens the same database: several
/// replicas of a service enrol and search one gallery, and a gallery may be larger than one machine's memory.
/// </summary>
/// <remarks>
/// <para>
/// <b>The schema.</b> <see cref="CreateAsync(NpgsqlDataSource, PgVectorGalleryStoreOptions?, CancellationToken)"/>
/// creates it when it is missing, in a transaction under an advisory lock, so that processes starting at once
/// create it once: the <c>vector</c> extension (when it is not there yet), and in the schema
/// <see cref="PgVectorGalleryStoreOptions.Schema"/> (<c>swinface</c>): <c>schema_info</c> (the version,
/// <see cref="SchemaVersion"/>), <c>galleries</c> (id, name, model) and <c>templates</c>, one row per identity:
/// the gallery, the model, the id, its ordinal sort key, an enrolment sequence number, the face count, the sum
/// length and the template as <c>vector(512)</c> (<see cref="FaceTemplate"/>). A foreign key on (gallery, model)
/// makes a template of another model than its gallery's impossible, and deleting a gallery deletes its rows.
/// </para>
/// <para>
/// <b>Search.</b> An HNSW index (<c>vector_cosine_ops</c>, pgvector's defaults m = 16 and ef_construction = 64)
/// finds candidates by cosine distance (<c>&lt;=&gt;</c>); the candidates are then re-ranked here with
/// <see cref="FaceTemplate.Similarity(ReadOnlySpan{float})"/>, so every score equals <see cref="FaceGallery"/>'s
/// for the same enrolments to the last bit, and equal scores come in enrolment order. For top-k a search fetches
/// max(<see cref="PgVectorGalleryStoreOptions.MinCandidates"/>, 4k) candidates, with <c>hnsw.ef_search</c> set
/// to that (at most 1,000) and pgvector's iterative scans in strict order, for that transaction only. A gallery
/// of at most that many identities is read whole, so its search is exact; PostgreSQL's planner may also scan a
/// larger gallery's rows exactly, when that costs less than the index.
/// </para>
/// <para>
/// <b>Recall.</b> HNSW is approximate: in a larger gallery an identity that is among the true top k can be
/// missing from the candidates, and then from the result, though its score, when found, is exact. The closer
/// a match is to the probe, the surer it is to be found; an iterative scan also stops after pgvector's
/// <c>hnsw.max_scan_tuples</c> (20,000 by default). Raise <see cref="PgVectorGalleryStoreOptions.MinCandidates"/>
/// for more recall at the cost of time.
/// </para>
/// <para>
/// <b>Changes.</b> Enrolling, removing and renaming are transactions; enrolling and renaming lock the identity's
/// row (<c>SELECT ... FOR UPDATE</c>), so two processes enrolling faces of one identity at once both count.
/// </para>
/// <para>
/// A gallery holds no state but its id and model, so any number of instances see one gallery; one opened before
/// its gallery was deleted finds nothing, and enrolling into it throws <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// PGlite (PostgreSQL in WebAssembly, which the tests use) is one backend that serves its connections' messages
/// in turn, interleaving them outside transaction blocks: against it, use one process and one connection
/// (<c>Maximum Pool Size=1</c>).
/// </para>
/// <para>
/// Needs pgvector 0.8.0 or later. All members are safe to call from many threads at once. Connection failures
/// and server errors surface as Npgsql's exceptions (<see cref="NpgsqlException"/>,
/// <see cref="PostgresException"/>) with the server's message.
/// </para>
/// </remarks>
public sealed class PgVectorGalleryStore : IFaceGalleryStore, IAsyncDisposable, IDisposable
{
    /// <summary>The version of the store's tables that this library reads and writes.</summary>
    public const int SchemaVersion = Schema.Version;

    private static readonly Version MinPgvector = new(0, 8, 0);

    private readonly bool _ownsDataSource;

    private PgVectorGalleryStore(NpgsqlDataSource dataSource, bool ownsDataSource, PgVectorGalleryStoreOptions options)
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Sql = new Schema(options.Schema);
        MinCandidates = options.MinCandidates;
    }

    internal NpgsqlDataSource DataSource { get; }

    internal Schema Sql { get; }

    internal int MinCandidates { get; }

    /// <summary>Opens a store in the database of a connection string, creating its schema if it is missing.</summary>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=db;Database=faces;Username=app</c>.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The store, which owns its connection pool: dispose it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="connectionString"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is not a valid connection string, or <paramref name="options"/> are not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PgVectorGalleryStoreOptions.MinCandidates"/> is out of range.</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached, or refused a statement; the message is the server's.</exception>
    /// <exception cref="InvalidOperationException">
    /// pgvector is not installed on the server, not enabled in the database and may not be enabled by this user, or
    /// older than 0.8.0; or the store's tables are of another <see cref="SchemaVersion"/>. The message says which
    /// and what to do.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<PgVectorGalleryStore> CreateAsync(string connectionString, PgVectorGalleryStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        options ??= new PgVectorGalleryStoreOptions();
        options.Validate();
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        NpgsqlDataSource dataSource = builder.Build();
        try
        {
            var store = new PgVectorGalleryStore(dataSource, ownsDataSource: true, options);
            if (!await store.InitializeAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("Npgsql cannot read pgvector's vector type in this database, though UseVector() was called.");
            }

            return store;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a store in the database of a data source, creating its schema if it is missing.</summary>
    /// <param name="dataSource">
    /// A data source built with <c>NpgsqlDataSourceBuilder.UseVector()</c> (package Pgvector), so that it reads and
    /// writes <c>vector</c> values. It stays the caller's: the store does not dispose it.
    /// </param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="dataSource"/> was built without <c>UseVector()</c>, or <paramref name="options"/> are not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PgVectorGalleryStoreOptions.MinCandidates"/> is out of range.</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached, or refused a statement; the message is the server's.</exception>
    /// <exception cref="InvalidOperationException">
    /// pgvector is not installed on the server, not enabled in the database and may not be enabled by this user, or
    /// older than 0.8.0; or the store's tables are of another <see cref="SchemaVersion"/>. The message says which
    /// and what to do.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<PgVectorGalleryStore> CreateAsync(NpgsqlDataSource dataSource, PgVectorGalleryStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new PgVectorGalleryStoreOptions();
        options.Validate();
        var store = new PgVectorGalleryStore(dataSource, ownsDataSource: false, options);
        if (!await store.InitializeAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new ArgumentException("The data source cannot read pgvector's vector type: build it with NpgsqlDataSourceBuilder.UseVector() (package Pgvector).", nameof(dataSource));
        }

        return store;
    }

    /// <inheritdoc/>
    /// <exception cref="NpgsqlException">The database cannot be reached, or refused the query.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async Task<IReadOnlyList<GalleryInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(Sql.ListGalleries);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var galleries = new List<GalleryInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            galleries.Add(new GalleryInfo(reader.GetString(0), ModelOf(reader.GetString(1)), reader.GetInt32(2)));
        }

        return galleries;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="model"/> is empty, longer than 256 UTF-8 bytes, or not valid Unicode.</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached, or refused the statement.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async Task<bool> TryCreateAsync(string name, string? model, CancellationToken cancellationToken = default)
    {
        GalleryInfo.ValidateName(name, nameof(name));
        if (model is not null)
        {
            FaceGallery.ValidateId(model, nameof(model));
        }

        await using NpgsqlCommand command = DataSource.CreateCommand(Sql.CreateGallery);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = model ?? string.Empty });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc/>
    /// <exception cref="NpgsqlException">The database cannot be reached, or refused the query.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async Task<IFaceGallery?> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using NpgsqlCommand command = DataSource.CreateCommand(Sql.OpenGallery);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new PgVectorGallery(this, reader.GetInt64(0), name, ModelOf(reader.GetString(1)))
            : null;
    }

    /// <inheritdoc/>
    /// <exception cref="NpgsqlException">The database cannot be reached, or refused the statement.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using NpgsqlCommand command = DataSource.CreateCommand(Sql.DeleteGallery);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Closes the connection pool when the store created it from a connection string; a caller's data source stays open.</summary>
    /// <returns>A task that completes when the pool is closed.</returns>
    public ValueTask DisposeAsync() => _ownsDataSource ? DataSource.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>Closes the connection pool when the store created it from a connection string; a caller's data source stays open.</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            DataSource.Dispose();
        }
    }

    private static string? ModelOf(string stored) => stored.Length == 0 ? null : stored;

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (object value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        object? result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result is DBNull ? null : result;
    }

    /// <summary>Checks pgvector and the schema, creating what is missing; returns whether the data source reads vectors.</summary>
    private async Task<bool> InitializeAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        const string VectorVersion = "SELECT extversion FROM pg_extension WHERE extname = 'vector'";
        string? pgvector = (string?)await ScalarAsync(connection, VectorVersion, null, cancellationToken).ConfigureAwait(false);
        int? version = (bool)(await ScalarAsync(connection, Sql.Exists, null, cancellationToken).ConfigureAwait(false))!
            ? (int?)await ScalarAsync(connection, Sql.ReadVersion, null, cancellationToken).ConfigureAwait(false)
            : null;
        if (pgvector is null || version is null)
        {
            bool created = false;
            await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                // Processes starting at once: one creates, the others wait here and then find it all there.
                await ScalarAsync(connection, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", transaction, cancellationToken, "SwinFace.PostgreSql schema " + Sql.Name).ConfigureAwait(false);
                pgvector = (string?)await ScalarAsync(connection, VectorVersion, transaction, cancellationToken).ConfigureAwait(false);
                if (pgvector is null)
                {
                    await CreateExtensionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    pgvector = (string?)await ScalarAsync(connection, VectorVersion, transaction, cancellationToken).ConfigureAwait(false);
                    created = true;
                }

                await using (var command = new NpgsqlCommand(Sql.Create, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                version = (int?)await ScalarAsync(connection, Sql.ReadVersion, transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (created)
            {
                // The pool loaded the database's types before the vector type existed.
                await connection.ReloadTypesAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (!System.Version.TryParse(pgvector, out Version? found) || found < MinPgvector)
        {
            throw new InvalidOperationException(
                $"SwinFace.PostgreSql needs pgvector {MinPgvector} or later (for filtered HNSW searches); the database has {pgvector}. Update it on the server, then run ALTER EXTENSION vector UPDATE; in the database.");
        }

        if (version != SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The tables in schema \"{Sql.Name}\" are of SwinFace.PostgreSql schema version {version}; this library reads and writes version {SchemaVersion}. Use a matching SwinFace.PostgreSql, or another schema.");
        }

        return await ReadsVectorsAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CreateExtensionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        const string Available = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'";
        if (await ScalarAsync(connection, Available, transaction, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL server at {connection.Host}:{connection.Port} has no pgvector extension. Install pgvector 0.8.0 or later on the server "
                + "(https://github.com/pgvector/pgvector#installation), then run CREATE EXTENSION vector; in the database, or let this store do it.");
        }

        try
        {
            await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                $"pgvector is installed on the server but not enabled in the database {connection.Database}, and this user may not enable it ({e.MessageText}). "
                + "Run CREATE EXTENSION vector; in that database as its owner or a superuser.",
                e);
        }
    }

    /// <summary>Whether the data source reads pgvector's <c>vector</c> type, reloading its types once if it does not.</summary>
    private static async Task<bool> ReadsVectorsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT '[1]'::vector", connection);
                await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                _ = reader.GetFieldValue<Vector>(0);
                return true;
            }
            catch (InvalidCastException) when (attempt == 0)
            {
                // Another process may have created the extension after this pool loaded the database's types.
                await connection.ReloadTypesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidCastException)
            {
                return false;
            }
        }
    }

    internal static NpgsqlParameter VectorParameter(ReadOnlyMemory<float> vector) => new() { Value = new Vector(vector) };

    internal static NpgsqlParameter OrderParameter(string? id) => new() { Value = id is null ? DBNull.Value : Schema.OrderKey(id), NpgsqlDbType = NpgsqlDbType.Bytea };
}
