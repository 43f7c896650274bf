using Microsoft.AspNetCore.Authorization;

namespace SwinFace.Server.Security;

/// <summary>The authorization policies of the endpoints.</summary>
internal static class Policies
{
    public const string Analyze = "analyze";
    public const string ReadGallery = "gallery-read";
    public const string WriteGallery = "gallery-write";
    public const string ReadAnyGallery = "gallery-read-any";

    /// <summary>Any known key; the handler checks the scope itself (creating a gallery names it in the body).</summary>
    public const string Authenticated = "api-key";

    public static void Add(AuthorizationOptions options)
    {
        Add(options, Analyze, ScopeRequirement.Kind.Analyze);
        Add(options, ReadGallery, ScopeRequirement.Kind.ReadGallery);
        Add(options, WriteGallery, ScopeRequirement.Kind.WriteGallery);
        Add(options, ReadAnyGallery, ScopeRequirement.Kind.ReadAnyGallery);
        options.AddPolicy(Authenticated, policy => policy.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser());
    }

    private static void Add(AuthorizationOptions options, string name, ScopeRequirement.Kind kind) =>
        options.AddPolicy(name, policy => policy
            .AddAuthenticationSchemes(ApiKeyHandler.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(kind)));
}
