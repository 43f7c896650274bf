namespace SwinFace.PostgreSql;

/// <summary>The store's tables and the SQL that reads and writes them, for one PostgreSQL schema.</summary>
/// <remarks>
/// A gallery of no model records the empty string, so that the foreign key on (gallery, model) is checked on
/// every template row: PostgreSQL does not check a foreign key with a null column.
/// </remarks>
internal sealed class Schema
{
    /// <summary>The version of the tables below; a database of another version is refused.</summary>
    public const int Version = 1;

    public Schema(string name)
    {
        Name = name;
        string s = $"\"{name}\"";
        Create = $"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.schema_info (
                version integer NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {s}.galleries (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_-][A-Za-z0-9_.-]{"{0,63}"}$'),
                model text NOT NULL CHECK (octet_length(model) <= 256),
                created timestamptz NOT NULL DEFAULT now(),
                UNIQUE (id, model)
            );
            CREATE TABLE IF NOT EXISTS {s}.templates (
                gallery_id bigint NOT NULL,
                model text NOT NULL,
                identity text NOT NULL CHECK (identity <> '' AND octet_length(identity) <= 256),
                identity_order bytea NOT NULL,
                seq bigint GENERATED ALWAYS AS IDENTITY,
                faces integer NOT NULL CHECK (faces >= 1),
                sum_norm real NOT NULL CHECK (sum_norm > 0 AND sum_norm <= faces * 1.001),
                template vector(512) NOT NULL,
                PRIMARY KEY (gallery_id, identity),
                FOREIGN KEY (gallery_id, model) REFERENCES {s}.galleries (id, model) ON DELETE CASCADE
            );
            CREATE INDEX IF NOT EXISTS templates_order ON {s}.templates (gallery_id, identity_order);
            CREATE INDEX IF NOT EXISTS templates_hnsw ON {s}.templates USING hnsw (template vector_cosine_ops);
            INSERT INTO {s}.schema_info (version) SELECT {Version} WHERE NOT EXISTS (SELECT 1 FROM {s}.schema_info);
            """;
        Exists = $"SELECT to_regclass('{s}.schema_info') IS NOT NULL";
        ReadVersion = $"SELECT max(version) FROM {s}.schema_info";
        ListGalleries = $"""
            SELECT g.name, g.model, count(t.gallery_id)::integer
            FROM {s}.galleries g LEFT JOIN {s}.templates t ON t.gallery_id = g.id
            GROUP BY g.id, g.name, g.model
            ORDER BY g.name COLLATE "C"
            """;
        CreateGallery = $"INSERT INTO {s}.galleries (name, model) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
        OpenGallery = $"SELECT id, model FROM {s}.galleries WHERE name = $1";
        DeleteGallery = $"DELETE FROM {s}.galleries WHERE name = $1";
        Count = $"SELECT count(*)::integer FROM {s}.templates WHERE gallery_id = $1";
        List = $"""
            SELECT identity, faces FROM {s}.templates
            WHERE gallery_id = $1 AND ($2::bytea IS NULL OR identity_order > $2)
            ORDER BY identity_order LIMIT $3
            """;
        FaceCount = $"SELECT faces FROM {s}.templates WHERE gallery_id = $1 AND identity = $2";
        LockIdentity = $"SELECT template, faces, sum_norm FROM {s}.templates WHERE gallery_id = $1 AND identity = $2 FOR UPDATE";
        Insert = $"""
            INSERT INTO {s}.templates (gallery_id, model, identity, identity_order, faces, sum_norm, template)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (gallery_id, identity) DO NOTHING
            """;
        Update = $"UPDATE {s}.templates SET faces = $3, sum_norm = $4, template = $5 WHERE gallery_id = $1 AND identity = $2";
        Remove = $"DELETE FROM {s}.templates WHERE gallery_id = $1 AND identity = $2";
        Rename = $"UPDATE {s}.templates SET identity = $3, identity_order = $4 WHERE gallery_id = $1 AND identity = $2";
        CountUpTo = $"SELECT count(*)::integer FROM (SELECT 1 FROM {s}.templates WHERE gallery_id = $1 LIMIT $2) AS gallery";
        All = $"SELECT seq, identity, faces, sum_norm, template FROM {s}.templates WHERE gallery_id = $1";
        Nearest = $"SELECT seq, identity, faces, sum_norm, template FROM {s}.templates WHERE gallery_id = $1 ORDER BY template <=> $2 LIMIT $3";
    }

    public string Name { get; }

    public string Create { get; }

    /// <summary>Whether the store's tables exist.</summary>
    public string Exists { get; }

    public string ReadVersion { get; }

    public string ListGalleries { get; }

    public string CreateGallery { get; }

    public string OpenGallery { get; }

    public string DeleteGallery { get; }

    public string Count { get; }

    public string List { get; }

    public string FaceCount { get; }

    public string LockIdentity { get; }

    public string Insert { get; }

    public string Update { get; }

    public string Remove { get; }

    public string Rename { get; }

    /// <summary>The number of the gallery's identities, counted up to a limit.</summary>
    public string CountUpTo { get; }

    public string All { get; }

    /// <summary>The candidates nearest the probe by cosine distance, from the HNSW index.</summary>
    public string Nearest { get; }

    /// <summary>
    /// Sets the HNSW search for this transaction only: the candidate list size, and iterative scans in strict
    /// order, so that the scan goes on past other galleries' rows until it has enough of this gallery's.
    /// </summary>
    public static string SearchSettings => "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'strict_order', true)";

    /// <summary>An identity's place in .NET's ordinal order: its UTF-16 code units, big-endian, compared as bytes.</summary>
    public static byte[] OrderKey(string id)
    {
        byte[] key = new byte[id.Length * 2];
        for (int i = 0; i < id.Length; i++)
        {
            key[2 * i] = (byte)(id[i] >> 8);
            key[(2 * i) + 1] = (byte)id[i];
        }

        return key;
    }
}
