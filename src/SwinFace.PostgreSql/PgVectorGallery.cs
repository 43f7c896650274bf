using System.Globalization;
using Npgsql;
using Pgvector;
using SwinFace.Recognition;

namespace SwinFace.PostgreSql;

/// <summary>One gallery of a <see cref="PgVectorGalleryStore"/>: the rows of <c>templates</c> with its gallery id.</summary>
/// <remarks>
/// Holds no state but the gallery's id and model, so any number of instances, in any number of processes, see
/// one gallery. Once the gallery is deleted, reads find nothing and enrolling throws.
/// </remarks>
internal sealed class PgVectorGallery : IFaceGallery
{
    private const int MaxEfSearch = 1_000;

    /// <summary>A template that checks probes as <see cref="FaceGallery"/> does, naming the probe in its exceptions.</summary>
    private static readonly FaceTemplate ProbeCheck = FaceTemplate.Create([[1f, .. new float[FaceTemplate.Dimension - 1]]]);

    private readonly PgVectorGalleryStore _store;
    private readonly long _galleryId;
    private readonly string _name;

    public PgVectorGallery(PgVectorGalleryStore store, long galleryId, string name, string? model)
    {
        _store = store;
        _galleryId = galleryId;
        _name = name;
        Model = model;
    }

    public string? Model { get; }

    private Schema Sql => _store.Sql;

    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = Command(Sql.Count);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<IReadOnlyList<GalleryIdentity>> ListAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using NpgsqlCommand command = Command(Sql.List);
        command.Parameters.Add(PgVectorGalleryStore.OrderParameter(after));
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var page = new List<GalleryIdentity>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(new GalleryIdentity(reader.GetString(0), reader.GetInt32(1)));
        }

        return page;
    }

    public async Task<int> GetFaceCountAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using NpgsqlCommand command = Command(Sql.FaceCount);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int faces ? faces : 0;
    }

    public async Task<int> EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken = default)
    {
        FaceGallery.ValidateId(id, nameof(id));
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count == 0)
        {
            throw new ArgumentException("Give at least one embedding.", nameof(embeddings));
        }

        // Each face on its own, before the database is asked; only the sum with the stored faces waits for it.
        foreach (float[] embedding in embeddings)
        {
            ArgumentNullException.ThrowIfNull(embedding, nameof(embeddings));
            _ = FaceTemplate.Create([embedding]);
        }

        await using NpgsqlConnection connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            FaceTemplate? stored = await LockAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
            FaceTemplate template = stored is null ? FaceTemplate.Create(embeddings) : stored.Add(embeddings);
            await using NpgsqlCommand write = new(stored is null ? Sql.Insert : Sql.Update, connection, transaction);
            write.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
            if (stored is null)
            {
                write.Parameters.Add(new NpgsqlParameter { Value = Model ?? string.Empty });
                write.Parameters.Add(new NpgsqlParameter { Value = id });
                write.Parameters.Add(PgVectorGalleryStore.OrderParameter(id));
            }
            else
            {
                write.Parameters.Add(new NpgsqlParameter { Value = id });
            }

            write.Parameters.Add(new NpgsqlParameter { Value = template.Faces });
            write.Parameters.Add(new NpgsqlParameter { Value = template.SumNorm });
            write.Parameters.Add(PgVectorGalleryStore.VectorParameter(template.Vector));
            int written;
            try
            {
                written = await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new InvalidOperationException($"The gallery '{_name}' has been deleted.", e);
            }

            // No row was written only when another transaction added the identity after the lock found none; its
            // row is committed now, so the next pass locks and extends it.
            if (written == 1)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return template.Faces;
            }
        }
    }

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using NpgsqlCommand command = Command(Sql.Remove);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task RenameAsync(string id, string newId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        FaceGallery.ValidateId(newId, nameof(newId));
        await using NpgsqlConnection connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (await LockAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new KeyNotFoundException($"The gallery has no identity '{id}'.");
        }

        if (string.Equals(id, newId, StringComparison.Ordinal))
        {
            return;
        }

        await using NpgsqlCommand command = new(Sql.Rename, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = newId });
        command.Parameters.Add(PgVectorGalleryStore.OrderParameter(newId));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ArgumentException($"The gallery already has an identity '{newId}'.", nameof(newId), e);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<GalleryMatch>> SearchAsync(ReadOnlyMemory<float> probe, int k, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);

        _ = ProbeCheck.Similarity(probe.Span);
        int candidates = (int)Math.Min(int.MaxValue - 1, Math.Max(_store.MinCandidates, 4L * k));

        await using NpgsqlConnection connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlCommand read;
        await using (NpgsqlCommand count = new(Sql.CountUpTo, connection, transaction))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
            count.Parameters.Add(new NpgsqlParameter { Value = (long)candidates + 1 });
            if ((int)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! <= candidates)
            {
                read = new NpgsqlCommand(Sql.All, connection, transaction);
                read.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
            }
            else
            {
                await using (NpgsqlCommand settings = new(Schema.SearchSettings, connection, transaction))
                {
                    settings.Parameters.Add(new NpgsqlParameter { Value = Math.Min(MaxEfSearch, candidates).ToString(CultureInfo.InvariantCulture) });
                    await settings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                read = new NpgsqlCommand(Sql.Nearest, connection, transaction);
                read.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
                read.Parameters.Add(PgVectorGalleryStore.VectorParameter(probe));
                read.Parameters.Add(new NpgsqlParameter { Value = candidates });
            }
        }

        var scored = new List<(float Similarity, long Seq, string Id)>();
        await using (read)
        {
            await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                FaceTemplate template = Restore(reader.GetFieldValue<Vector>(4), reader.GetInt32(2), reader.GetFloat(3), reader.GetString(1));
                scored.Add((template.Similarity(probe.Span), reader.GetInt64(0), reader.GetString(1)));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        scored.Sort((a, b) => a.Similarity != b.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Seq.CompareTo(b.Seq));
        return [.. scored.Take(k).Select(m => new GalleryMatch(m.Id, m.Similarity))];
    }

    private static FaceTemplate Restore(Vector vector, int faces, float sumNorm, string id)
    {
        try
        {
            return FaceTemplate.Restore(vector.Memory.Span, faces, sumNorm);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The stored template of '{id}' is not a template: {e.Message}", e);
        }
    }

    /// <summary>Locks an identity's row for the transaction and reads its template; null when it has none.</summary>
    private async Task<FaceTemplate?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new(Sql.LockIdentity, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? Restore(reader.GetFieldValue<Vector>(0), reader.GetInt32(1), reader.GetFloat(2), id)
            : null;
    }

    private NpgsqlCommand Command(string sql)
    {
        NpgsqlCommand command = _store.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = _galleryId });
        return command;
    }
}
