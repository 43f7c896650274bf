namespace SwinFace.PostgreSql;

/// <summary>Settings of a <see cref="PgVectorGalleryStore"/>.</summary>
public sealed class PgVectorGalleryStoreOptions
{
    /// <summary>The most candidates a search may ask the index for as its floor: 100,000.</summary>
    public const int MaxMinCandidates = 100_000;

    /// <summary>
    /// Gets the PostgreSQL schema that holds the store's tables: 1 to 63 lowercase ASCII letters, digits and
    /// <c>_</c>, not starting with a digit. Default: <c>swinface</c>. Stores of different schemas in one
    /// database are independent.
    /// </summary>
    public string Schema { get; init; } = "swinface";

    /// <summary>
    /// Gets the fewest candidates a search fetches from the HNSW index before re-ranking them exactly: for
    /// top-k it fetches max(<see cref="MinCandidates"/>, 4k). Default: 100; 1 to 100,000. A gallery of at most
    /// that many identities is searched exactly, without the index.
    /// </summary>
    public int MinCandidates { get; init; } = 100;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException"><see cref="Schema"/> is not a plain lowercase identifier.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MinCandidates"/> is out of range.</exception>
    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Schema, nameof(Schema));
        if (Schema.Length > 63 || char.IsAsciiDigit(Schema[0]) || !Schema.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            throw new ArgumentException($"A schema name has 1 to 63 lowercase ASCII letters, digits and '_', and does not start with a digit; got '{Schema}'.", nameof(Schema));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinCandidates, 1, nameof(MinCandidates));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinCandidates, MaxMinCandidates, nameof(MinCandidates));
    }
}
