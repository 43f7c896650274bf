using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace SwinFace.Server.Security;

/// <summary>The configured keys, by the SHA-256 of the key. Keys are compared by hash, in constant time.</summary>
internal sealed class ApiKeyRing
{
    /// <summary>The environment variable (or configuration key) that sets one key with every scope, for a first try.</summary>
    public const string EnvironmentKey = "SWINFACE_API_KEY";

    private readonly (byte[] Hash, string Name, string[] Scopes)[] _keys;

    public ApiKeyRing(IOptions<ServerOptions> options, IConfiguration configuration)
    {
        var keys = options.Value.ApiKeys
            .Select((k, i) => (Convert.FromHexString(k.Sha256!), k.Name ?? $"key {i}", k.Scopes.ToArray()))
            .ToList();
        if (configuration[EnvironmentKey] is { Length: > 0 } key)
        {
            keys.Add((SHA256.HashData(Encoding.UTF8.GetBytes(key)), EnvironmentKey, [Scopes.All]));
        }

        _keys = [.. keys];
    }

    public int Count => _keys.Length;

    /// <summary>Finds the key, comparing its hash with every configured one so the time taken says nothing about which matched.</summary>
    public (string Name, string[] Scopes)? Find(string key)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        (string, string[])? found = null;
        foreach ((byte[] known, string name, string[] scopes) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(known, hash))
            {
                found = (name, scopes);
            }
        }

        return found;
    }
}

/// <summary>Authenticates requests by the <c>X-Api-Key</c> header. No key: <c>401</c>; a key without the scope: <c>403</c>; both as problem details.</summary>
internal sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count > 1 || keys.Find(values[0]!) is not { } key)
        {
            // The key itself is never logged or echoed.
            return Task.FromResult(AuthenticateResult.Fail("The API key is not known."));
        }

        Claim[] claims = [new(ClaimTypes.Name, key.Name), .. key.Scopes.Select(s => new Claim(Scopes.Claim, s))];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{Header}\"";
        bool sent = Request.Headers.ContainsKey(Header);
        return Problems.WriteAsync(
            Context,
            StatusCodes.Status401Unauthorized,
            sent ? "Unknown API key" : "API key required",
            sent ? $"The key in the {Header} header is not known." : $"Send an API key in the {Header} header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Missing scope", $"The API key lacks the scope this call needs ({Context.Items[ScopeRequirement.NeededKey] ?? "see the API documentation"}).");
}

/// <summary>A scope an endpoint needs: to analyse, or to read or write the gallery named by the route's <c>name</c>.</summary>
internal sealed class ScopeRequirement(ScopeRequirement.Kind kind) : AuthorizationHandler<ScopeRequirement, HttpContext>, IAuthorizationRequirement
{
    /// <summary>The <see cref="HttpContext.Items"/> key under which the scope that was missing is named for the 403.</summary>
    public const string NeededKey = "swinface.scope";

    public enum Kind
    {
        Analyze,
        ReadGallery,
        WriteGallery,
        ReadAnyGallery,
    }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement, HttpContext resource)
    {
        string gallery = resource.GetRouteValue("name") as string ?? string.Empty;
        (bool allowed, string needed) = requirement._kind switch
        {
            Kind.Analyze => (Scopes.CanAnalyze(context.User), Scopes.Analyze),
            Kind.ReadGallery => (Scopes.CanRead(context.User, gallery), $"{Scopes.ReadAll} or gallery:{gallery}:read"),
            Kind.WriteGallery => (Scopes.CanWrite(context.User, gallery), $"{Scopes.WriteAll} or gallery:{gallery}:write"),
            _ => (Scopes.CanReadAny(context.User), $"{Scopes.ReadAll} or gallery:NAME:read"),
        };
        if (allowed)
        {
            context.Succeed(requirement);
        }
        else
        {
            resource.Items[NeededKey] = needed;
        }

        return Task.CompletedTask;
    }

    private readonly Kind _kind = kind;
}
