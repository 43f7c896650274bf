using System.Diagnostics;
using SwinFace.Analysis;
using SwinFace.Recognition;

namespace SwinFace.Server.Operations;

/// <summary>The readiness answer.</summary>
/// <param name="Status"><c>ready</c>, or <c>not ready</c> with the reasons.</param>
/// <param name="Model">The model's id and precision.</param>
/// <param name="Precision">The model's numeric precision.</param>
/// <param name="Faces">The faces found in the bundled photo (1 when the model works).</param>
/// <param name="Milliseconds">How long the analysis of the bundled photo took, queue included.</param>
/// <param name="Galleries">The number of galleries, or <see langword="null"/> when the store could not be reached.</param>
/// <param name="GalleriesOfOtherModels">Galleries whose embeddings come from another model: identify and enrol refuse them.</param>
/// <param name="Problems">What is wrong, if anything.</param>
internal sealed record Readiness(string Status, string Model, string Precision, int Faces, double Milliseconds, int? Galleries, IReadOnlyList<string> GalleriesOfOtherModels, IReadOnlyList<string> Problems);

/// <summary><c>GET /healthz</c> (the process answers) and <c>GET /readyz</c> (a real analysis of a bundled face, and the gallery store).</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" }))
            .WithTags("Operations")
            .WithSummary("Liveness: the process answers. No key needed.");
        app.MapGet("/readyz", ReadyAsync)
            .WithTags("Operations")
            .WithSummary("Readiness: analyses a bundled face (fails if no face comes back) and lists the galleries (fails if the store cannot be reached); reports galleries of another model. No key needed.");
        return app;
    }

    private static async Task<IResult> ReadyAsync(FaceAnalyzer analyzer, IFaceGalleryStore store, Microsoft.Extensions.Options.IOptions<ServerOptions> options, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        int faces = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            await using FileStream photo = File.OpenRead(options.Value.ReadinessPhoto);
            PhotoAnalysis result = await analyzer.AnalyzePhotoAsync(photo, new PhotoAnalysisOptions { Tasks = FaceTasks.All, Name = "the bundled face" }, cancellationToken).ConfigureAwait(false);
            faces = result.Faces.Count;
            if (faces == 0)
            {
                problems.Add($"The readiness photo {options.Value.ReadinessPhoto} gave no face: the detector or the model is broken.");
            }
            else if (result.Faces[0].Analysis.Embedding is not { } embedding || !embedding.All(float.IsFinite))
            {
                problems.Add("The bundled face's embedding is not finite: the model is broken.");
            }
        }
        catch (SwinFaceBusyException)
        {
            // Saturated is not broken: the replica stays in rotation, and the load balancer's other replicas share the load.
            faces = -1;
        }
        catch (Exception e) when (e is IOException or SwinFaceImageException)
        {
            problems.Add($"The bundled face photo could not be analysed: {e.Message}");
        }

        double ms = clock.Elapsed.TotalMilliseconds;
        int? count = null;
        string[] otherModels = [];
        try
        {
            IReadOnlyList<GalleryInfo> galleries = await store.ListAsync(cancellationToken).ConfigureAwait(false);
            count = galleries.Count;
            otherModels = [.. galleries.Where(g => g.Model is not null && g.Model != analyzer.ModelId).Select(g => g.Name)];
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            problems.Add($"The gallery store cannot be reached: {e.Message}");
        }

        string precision = analyzer.Precision == ModelPrecision.Int8 ? "int8" : "fp32";
        var readiness = new Readiness(problems.Count == 0 ? (faces < 0 ? "ready (busy)" : "ready") : "not ready", analyzer.ModelId, precision, Math.Max(faces, 0), ms, count, otherModels, problems);
        return problems.Count == 0 ? TypedResults.Ok(readiness) : TypedResults.Json(readiness, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
