using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Scalar.AspNetCore;
using SwinFace.PostgreSql;
using SwinFace.Recognition;
using SwinFace.Server.Analysis;
using SwinFace.Server.Galleries;
using SwinFace.Server.Operations;
using SwinFace.Server.Security;

namespace SwinFace.Server;

/// <summary>Builds the service: settings, the model and gallery singletons, security, limits, metrics and endpoints.</summary>
internal static class ServerApp
{
    private const string RequestLimit = "requests";

    /// <summary>The multipart form reader's limits: a form holds at most the request's bytes, and few fields.</summary>
    internal static FormOptions FormLimits(ServerOptions server, FormOptions form)
    {
        form.MultipartBodyLengthLimit = server.MaxRequestBytes;
        form.ValueCountLimit = 64;
        return form;
    }

    public static WebApplication Build(string[] args)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--model"] = $"{ServerOptions.Section}:{nameof(ServerOptions.Model)}" });
        AddServices(builder);
        WebApplication app = builder.Build();
        Configure(app);
        return app;
    }

    private static void AddServices(WebApplicationBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<ServerOptions>()
            .Bind(builder.Configuration.GetSection(ServerOptions.Section))
            .PostConfigure(o => o.Galleries.ConnectionString ??= builder.Configuration.GetConnectionString("Galleries"))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();

        // The model and the galleries live as long as the service; the container disposes them after the last request.
        services.AddSingleton(sp =>
        {
            ServerOptions o = sp.GetRequiredService<IOptions<ServerOptions>>().Value;
            return FaceAnalyzer.Create(o.Model!, o.ToAnalyzerOptions());
        });
        services.AddSingleton(sp => ModelThreshold.Load(sp.GetRequiredService<IOptions<ServerOptions>>().Value.Model!));
        services.AddSingleton(CreateGalleryStore);
        services.AddSingleton<Uploads>();
        services.AddSingleton<FaceReader>();
        services.AddSingleton<ApiKeyRing>();

        services.AddProblemDetails();
        services.AddExceptionHandler<Problems.ExceptionHandler>();
        services.AddAuthentication(ApiKeyHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null);
        services.AddAuthorization(Policies.Add);

        // Limits: requests in progress (503 at once past the limit), time per request (504, faces leave the queue), body size (413).
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            limiter.AddPolicy(RequestLimit, context => RateLimitPartition.GetConcurrencyLimiter("all", _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = context.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.MaxConcurrentRequests,
                QueueLimit = 0,
            }));
            limiter.OnRejected = (context, _) =>
            {
                ServerMetrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", "concurrency"));
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(Problems.WriteAsync(context.HttpContext, StatusCodes.Status503ServiceUnavailable, "Busy", "Too many requests are in progress (SwinFace:MaxConcurrentRequests). Try again later."));
            };
        });
        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<ServerOptions>>((timeouts, server) => timeouts.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = server.Value.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = context =>
            {
                ServerMetrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", "timeout"));
                return Problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Timed out", string.Create(CultureInfo.InvariantCulture, $"The request took over {server.Value.RequestTimeout.TotalSeconds:0.#} s (SwinFace:RequestTimeout); its faces left the queue."));
            },
        });
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>((kestrel, server) => kestrel.Limits.MaxRequestBodySize = server.Value.MaxRequestBytes);
        services.AddOptions<FormOptions>().Configure<IOptions<ServerOptions>>((form, server) => FormLimits(server.Value, form));

        // Graceful shutdown: requests in flight finish (up to their own timeout) before the model is disposed.
        services.AddOptions<HostOptions>().Configure<IOptions<ServerOptions>>((host, server) => host.ShutdownTimeout = server.Value.RequestTimeout + TimeSpan.FromSeconds(5));

        services.AddOpenApi();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FaceAnalyzer.MeterName, ServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting")
            .AddPrometheusExporter());
    }

    private static void Configure(WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseRequestTimeouts();

        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapPrometheusScrapingEndpoint();
        app.MapHealth();
        RouteGroupBuilder v1 = app.MapGroup("/v1").RequireRateLimiting(RequestLimit);
        v1.MapAnalysis();
        v1.MapGalleries();

        // Load the model now: a bad model stops the service at start-up, and the first request does not wait for it.
        app.Services.GetRequiredService<FaceAnalyzer>();
        app.Services.GetRequiredService<ModelThreshold>();
        app.Services.GetRequiredService<IFaceGalleryStore>();
    }

    private static IFaceGalleryStore CreateGalleryStore(IServiceProvider services)
    {
        ServerOptions options = services.GetRequiredService<IOptions<ServerOptions>>().Value;
        string root = services.GetRequiredService<IWebHostEnvironment>().ContentRootPath;
        return options.Galleries.Store switch
        {
            GalleryStoreKind.Memory => new FolderGalleryStore(null),
            GalleryStoreKind.Folder => new FolderGalleryStore(Path.Combine(root, options.Galleries.Folder)),
            // Created at start-up: the schema is made if missing, and an unreachable database stops the service with Npgsql's message.
            _ => PgVectorGalleryStore.CreateAsync(options.Galleries.ConnectionString!, new PgVectorGalleryStoreOptions { MinCandidates = options.Galleries.MinCandidates })
                .GetAwaiter().GetResult(),
        };
    }
}
