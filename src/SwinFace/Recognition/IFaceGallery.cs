namespace SwinFace.Recognition;

/// <summary>
/// A gallery of enrolled identities, searched by cosine similarity: <see cref="FaceGallery"/> in memory (saved
/// to a file), or a gallery in a database shared by several processes.
/// </summary>
/// <remarks>
/// <para>
/// Every implementation follows <see cref="FaceGallery"/>'s rules, so that one gallery can replace another
/// and give the same answers: ids are checked by <see cref="FaceGallery.ValidateId(string, string)"/>; an
/// identity's template is a <see cref="FaceTemplate"/>, the normalised mean of its faces' unit embeddings;
/// a search returns the exact cosine similarities of <see cref="FaceTemplate.Similarity(ReadOnlySpan{float})"/>,
/// most similar first, and on equal similarity in enrollment order (for <see cref="FaceGallery"/>, until a removal
/// moves its last identity into the freed place).
/// </para>
/// <para>
/// A gallery holds the embeddings of one model, named by <see cref="Model"/>. Similarities between
/// embeddings of different models mean nothing: compare <see cref="Model"/> with
/// <see cref="FaceAnalyzer.ModelId"/> before enrolling or searching, and refuse a mismatch.
/// </para>
/// <para>Implementations are safe to call from many threads at once.</para>
/// </remarks>
public interface IFaceGallery
{
    /// <summary>Gets the id of the model whose embeddings the gallery holds, or <see langword="null"/> when it was not given.</summary>
    string? Model { get; }

    /// <summary>Counts the identities.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of identities.</returns>
    Task<int> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists identities in ascending order of id, a page at a time.</summary>
    /// <param name="after">Only ids after this one (ordinal order), or <see langword="null"/> for the first page.</param>
    /// <param name="limit">The most identities to return, at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Up to <paramref name="limit"/> identities; fewer when the list ends.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    Task<IReadOnlyList<GalleryIdentity>> ListAsync(string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Gets the number of faces enrolled for an identity.</summary>
    /// <param name="id">The identity's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of faces averaged into its template; 0 when the identity is not enrolled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    Task<int> GetFaceCountAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Enrolls faces of one identity, adding the identity if it is new. All or nothing.</summary>
    /// <param name="id">The identity's id (see <see cref="FaceGallery.ValidateId(string, string)"/>).</param>
    /// <param name="embeddings">The faces' 512-value embeddings; each is normalised here.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The identity's face count after the enrollment.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/>, <paramref name="embeddings"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="id"/> is not a valid id; or <paramref name="embeddings"/> is empty, or one is not 512 finite
    /// values, not all zero; or they cancel the identity's faces out.
    /// </exception>
    Task<int> EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken = default);

    /// <summary>Removes an identity.</summary>
    /// <param name="id">The identity's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when it was enrolled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Renames an identity, keeping its template and face count.</summary>
    /// <param name="id">The identity's id.</param>
    /// <param name="newId">The new id: valid, and not used by another identity.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the identity is renamed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> or <paramref name="newId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="newId"/> is not a valid id, or is already used.</exception>
    /// <exception cref="KeyNotFoundException">No identity has the id <paramref name="id"/>.</exception>
    Task RenameAsync(string id, string newId, CancellationToken cancellationToken = default);

    /// <summary>Finds the identities most similar to a probe face.</summary>
    /// <param name="probe">The probe's 512-value embedding; normalised here.</param>
    /// <param name="k">The most matches to return, at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Up to <paramref name="k"/> matches, most similar first, with exact similarities.</returns>
    /// <exception cref="ArgumentException"><paramref name="probe"/> is not 512 finite values, not all zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    Task<IReadOnlyList<GalleryMatch>> SearchAsync(ReadOnlyMemory<float> probe, int k, CancellationToken cancellationToken = default);
}

/// <summary>Named galleries in one place: a folder of gallery files, or a database.</summary>
/// <remarks>Implementations are safe to call from many threads at once, and from several processes when they share a database.</remarks>
public interface IFaceGalleryStore
{
    /// <summary>Lists the galleries.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Every gallery, in ascending order of name.</returns>
    Task<IReadOnlyList<GalleryInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates an empty gallery for the embeddings of one model.</summary>
    /// <param name="name">The gallery's name (see <see cref="GalleryInfo.ValidateName(string, string)"/>).</param>
    /// <param name="model">The id of the model whose embeddings it will hold (<see cref="FaceAnalyzer.ModelId"/>), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when it was created; <see langword="false"/> when a gallery of that name exists.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is not a valid gallery name, or <paramref name="model"/> is not a valid id (see
    /// <see cref="FaceGallery.ValidateId(string, string)"/>).
    /// </exception>
    Task<bool> TryCreateAsync(string name, string? model, CancellationToken cancellationToken = default);

    /// <summary>Opens a gallery.</summary>
    /// <param name="name">The gallery's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The gallery, or <see langword="null"/> when there is none of that name. It stays usable until the gallery is deleted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    Task<IFaceGallery?> OpenAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Deletes a gallery and all its identities.</summary>
    /// <param name="name">The gallery's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when it existed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>One identity of a gallery listing.</summary>
/// <param name="Id">The identity's id.</param>
/// <param name="Faces">The number of faces averaged into its template.</param>
public sealed record GalleryIdentity(string Id, int Faces);

/// <summary>One gallery of a store.</summary>
/// <param name="Name">The gallery's name.</param>
/// <param name="Model">The id of the model whose embeddings it holds, or <see langword="null"/>.</param>
/// <param name="Identities">The number of identities.</param>
public sealed record GalleryInfo(string Name, string? Model, int Identities)
{
    /// <summary>The longest gallery name, in characters.</summary>
    public const int MaxNameLength = 64;

    /// <summary>
    /// Checks a gallery name: 1 to 64 ASCII letters, digits, <c>-</c>, <c>_</c> and <c>.</c>, not starting with
    /// <c>.</c>, so that a name is safe in a URL, a file name and SQL alike.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="paramName">The parameter to name in the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, too long, or holds another character.</exception>
    public static void ValidateName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"A gallery name has at most {MaxNameLength} characters; '{name[..16]}...' has {name.Length}.", paramName);
        }

        if (name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"A gallery name holds only ASCII letters, digits, '-', '_' and '.', and does not start with '.'; got '{name}'.", paramName);
        }
    }
}
