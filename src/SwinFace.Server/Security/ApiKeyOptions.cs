using System.Security.Cryptography;
using System.Text;

namespace SwinFace.Server.Security;

/// <summary>
/// One API key, configured by its SHA-256 (never the key itself): <c>SwinFace:ApiKeys:0:Name</c>, <c>...:Sha256</c>,
/// <c>...:Scopes:0</c>. Make the hash with <c>printf %s "$KEY" | sha256sum</c>.
/// </summary>
internal sealed class ApiKeyOptions
{
    /// <summary>Gets or sets a name for the key, shown in logs instead of the key.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the SHA-256 of the key's UTF-8 bytes, as 64 hexadecimal digits.</summary>
    public string? Sha256 { get; set; }

    /// <summary>Gets the key's scopes (see <see cref="Scopes"/>).</summary>
    public List<string> Scopes { get; } = [];

    /// <summary>The SHA-256 of a key, as the configuration holds it.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>What is wrong with the configured keys; empty when nothing is.</summary>
    public static IEnumerable<string> Check(IReadOnlyList<ApiKeyOptions> keys)
    {
        for (int i = 0; i < keys.Count; i++)
        {
            ApiKeyOptions key = keys[i];
            string where = $"SwinFace:ApiKeys:{i}{(key.Name is null ? string.Empty : $" ({key.Name})")}";
            if (key.Sha256 is not { Length: 64 } hash || !hash.All(char.IsAsciiHexDigit))
            {
                yield return $"{where}: Sha256 must be the key's SHA-256 as 64 hexadecimal digits (printf %s \"$KEY\" | sha256sum), never the key itself.";
            }

            if (key.Scopes.Count == 0)
            {
                yield return $"{where}: give the key at least one scope ({Security.Scopes.Describe}).";
            }

            foreach (string scope in key.Scopes.Where(s => !Security.Scopes.IsValid(s)))
            {
                yield return $"{where}: unknown scope '{scope}' ({Security.Scopes.Describe}).";
            }
        }
    }
}
