using System.Security.Claims;
using SwinFace.Recognition;

namespace SwinFace.Server.Security;

/// <summary>
/// What a key may do. <c>analyze</c>: analyse and compare photos. <c>galleries:read</c> and <c>galleries:write</c>:
/// every gallery. <c>gallery:NAME:read</c> and <c>gallery:NAME:write</c>: one gallery. <c>*</c>: everything.
/// Reading a gallery is listing it and identifying against it; writing is creating, deleting, enrolling,
/// removing and renaming. Write does not imply read.
/// </summary>
internal static class Scopes
{
    /// <summary>The claim type that carries a scope.</summary>
    public const string Claim = "scope";

    public const string All = "*";
    public const string Analyze = "analyze";
    public const string ReadAll = "galleries:read";
    public const string WriteAll = "galleries:write";

    public const string Describe = "analyze, galleries:read, galleries:write, gallery:NAME:read, gallery:NAME:write or *";

    public static bool IsValid(string scope)
    {
        if (scope is All or Analyze or ReadAll or WriteAll)
        {
            return true;
        }

        string[] parts = scope.Split(':');
        if (parts.Length != 3 || parts[0] != "gallery" || parts[2] is not ("read" or "write"))
        {
            return false;
        }

        try
        {
            GalleryInfo.ValidateName(parts[1], nameof(scope));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static bool CanAnalyze(ClaimsPrincipal user) => Has(user, All) || Has(user, Analyze);

    public static bool CanRead(ClaimsPrincipal user, string gallery) =>
        Has(user, All) || Has(user, ReadAll) || Has(user, $"gallery:{gallery}:read");

    public static bool CanWrite(ClaimsPrincipal user, string gallery) =>
        Has(user, All) || Has(user, WriteAll) || Has(user, $"gallery:{gallery}:write");

    /// <summary>Whether the key may read some gallery, so that listing galleries means something to it.</summary>
    public static bool CanReadAny(ClaimsPrincipal user) =>
        user.FindAll(Claim).Any(c => c.Value is All or ReadAll || c.Value.EndsWith(":read", StringComparison.Ordinal));

    private static bool Has(ClaimsPrincipal user, string scope) => user.HasClaim(Claim, scope);
}
