using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SwinFace.Analysis;
using SwinFace.Recognition;
using SwinFace.Server.Analysis;
using SwinFace.Server.Security;

namespace SwinFace.Server.Galleries;

/// <summary>The body of <c>POST /v1/galleries</c>.</summary>
/// <param name="Name">The new gallery's name: 1 to 64 ASCII letters, digits, '-', '_' and '.', not starting with '.'.</param>
internal sealed record CreateGallery(string Name);

/// <summary>The body of <c>PATCH /v1/galleries/{name}/identities/{id}</c>.</summary>
/// <param name="NewId">The identity's new id.</param>
internal sealed record RenameIdentity(string NewId);

/// <summary>A page of identities, and the <c>after</c> of the next page (<see langword="null"/> on the last).</summary>
internal sealed record IdentityPage(IReadOnlyList<GalleryIdentity> Identities, string? Next);

/// <summary>The answer of an enrolment.</summary>
internal sealed record Enrolment(string Gallery, string Id, int Enrolled, int Faces);

/// <summary>The galleries: create, list, delete; enrol, list, remove and rename identities; identify faces.</summary>
internal static class GalleryEndpoints
{
    public static RouteGroupBuilder MapGalleries(this RouteGroupBuilder v1)
    {
        RouteGroupBuilder galleries = v1.MapGroup("/galleries").WithTags("Galleries");
        galleries.MapGet("/", ListAsync).RequireAuthorization(Policies.ReadAnyGallery)
            .WithSummary("List the galleries this key may read, with their model and size.");
        galleries.MapPost("/", CreateAsync).RequireAuthorization(Policies.Authenticated)
            .WithSummary("Create an empty gallery for this service's model. Needs write on the new gallery.");
        galleries.MapGet("/{name}", GetAsync).RequireAuthorization(Policies.ReadGallery)
            .WithSummary("Describe a gallery.");
        galleries.MapDelete("/{name}", DeleteAsync).RequireAuthorization(Policies.WriteGallery)
            .WithSummary("Delete a gallery and every identity in it.");
        galleries.MapGet("/{name}/identities", ListIdentitiesAsync).RequireAuthorization(Policies.ReadGallery)
            .WithSummary("List identities in ascending order of id, a page at a time (after, limit).");
        galleries.MapPost("/{name}/identities/{id}", EnrollAsync).AcceptsImages().RequireAuthorization(Policies.WriteGallery).DisableAntiforgery()
            .WithSummary("Enrol photos of one person: the largest face of each photo is averaged into the identity's template. A photo without a face enrols nothing.");
        galleries.MapDelete("/{name}/identities/{id}", RemoveAsync).RequireAuthorization(Policies.WriteGallery)
            .WithSummary("Remove an identity.");
        galleries.MapPatch("/{name}/identities/{id}", RenameAsync).RequireAuthorization(Policies.WriteGallery)
            .WithSummary("Rename an identity, keeping its template.");
        galleries.MapPost("/{name}/identify", IdentifyAsync).AcceptsImages().RequireAuthorization(Policies.ReadGallery).DisableAntiforgery()
            .WithSummary("Identify every face of one or more photos: the top k matches, and the identity when the model has a calibrated threshold (k, aligned).");
        return v1;
    }

    private static async Task<Ok<GalleryInfo[]>> ListAsync(IFaceGalleryStore store, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        IReadOnlyList<GalleryInfo> all = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(all.Where(g => Scopes.CanRead(user, g.Name)).ToArray());
    }

    private static async Task<Results<Created<GalleryInfo>, ProblemHttpResult>> CreateAsync(
        CreateGallery body, IFaceGalleryStore store, FaceAnalyzer analyzer, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        try
        {
            GalleryInfo.ValidateName(body.Name, nameof(body.Name));
        }
        catch (ArgumentException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad gallery name", Reason(e));
        }

        if (!Scopes.CanWrite(user, body.Name))
        {
            return Problem(StatusCodes.Status403Forbidden, "Missing scope", $"Creating the gallery '{body.Name}' needs {Scopes.WriteAll} or gallery:{body.Name}:write.");
        }

        if (!await store.TryCreateAsync(body.Name, analyzer.ModelId, cancellationToken).ConfigureAwait(false))
        {
            return Problem(StatusCodes.Status409Conflict, "Gallery exists", $"A gallery named '{body.Name}' exists.");
        }

        return TypedResults.Created($"/v1/galleries/{body.Name}", new GalleryInfo(body.Name, analyzer.ModelId, 0));
    }

    private static async Task<Results<Ok<GalleryInfo>, ProblemHttpResult>> GetAsync(string name, IFaceGalleryStore store, CancellationToken cancellationToken)
    {
        if (await store.OpenAsync(name, cancellationToken).ConfigureAwait(false) is not { } gallery)
        {
            return NoGallery(name);
        }

        return TypedResults.Ok(new GalleryInfo(name, gallery.Model, await gallery.CountAsync(cancellationToken).ConfigureAwait(false)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, IFaceGalleryStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(name, cancellationToken).ConfigureAwait(false) ? TypedResults.NoContent() : NoGallery(name);

    private static async Task<Results<Ok<IdentityPage>, ProblemHttpResult>> ListIdentitiesAsync(
        string name, string? after, int? limit, IFaceGalleryStore store, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 1000)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad query", $"limit must be 1 to 1000; got {limit}.");
        }

        if (await store.OpenAsync(name, cancellationToken).ConfigureAwait(false) is not { } gallery)
        {
            return NoGallery(name);
        }

        int take = limit ?? 100;
        IReadOnlyList<GalleryIdentity> page = await gallery.ListAsync(after, take, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new IdentityPage(page, page.Count == take ? page[^1].Id : null));
    }

    private static async Task<Results<Ok<Enrolment>, ProblemHttpResult>> EnrollAsync(
        string name,
        string id,
        bool? aligned,
        HttpRequest http,
        IFaceGalleryStore store,
        FaceAnalyzer analyzer,
        Uploads uploads,
        FaceReader reader,
        CancellationToken cancellationToken)
    {
        try
        {
            FaceGallery.ValidateId(id, nameof(id));
        }
        catch (ArgumentException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad identity id", Reason(e));
        }

        (IFaceGallery? gallery, ProblemHttpResult? problem) = await OpenForModelAsync(name, store, analyzer, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        List<(string Field, Upload Upload)> files = await uploads.ReadAsync(http, cancellationToken).ConfigureAwait(false);
        ImageFaces[] images = await reader.ReadAsync([.. files.Select(f => f.Upload)], FaceRequest.Parse(null, aligned, null, null, null, FaceTasks.Identity), cancellationToken).ConfigureAwait(false);
        float[][] embeddings = [.. images.Select(AnalysisEndpoints.RequireFace)];
        try
        {
            int faces = await gallery!.EnrollAsync(id, embeddings, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new Enrolment(name, id, embeddings.Length, faces));
        }
        catch (ArgumentException e)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "Cannot enrol", Reason(e));
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string name, string id, IFaceGalleryStore store, CancellationToken cancellationToken)
    {
        if (await store.OpenAsync(name, cancellationToken).ConfigureAwait(false) is not { } gallery)
        {
            return NoGallery(name);
        }

        return await gallery.RemoveAsync(id, cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : Problem(StatusCodes.Status404NotFound, "No such identity", $"The gallery '{name}' has no identity '{id}'.");
    }

    private static async Task<Results<Ok<GalleryIdentity>, ProblemHttpResult>> RenameAsync(
        string name, string id, RenameIdentity body, IFaceGalleryStore store, CancellationToken cancellationToken)
    {
        try
        {
            FaceGallery.ValidateId(body.NewId, nameof(body.NewId));
        }
        catch (ArgumentException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad identity id", Reason(e));
        }

        if (await store.OpenAsync(name, cancellationToken).ConfigureAwait(false) is not { } gallery)
        {
            return NoGallery(name);
        }

        try
        {
            await gallery.RenameAsync(id, body.NewId, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new GalleryIdentity(body.NewId, await gallery.GetFaceCountAsync(body.NewId, cancellationToken).ConfigureAwait(false)));
        }
        catch (KeyNotFoundException)
        {
            return Problem(StatusCodes.Status404NotFound, "No such identity", $"The gallery '{name}' has no identity '{id}'.");
        }
        catch (ArgumentException e)
        {
            // The new id is valid (checked above), so the gallery refused it as taken.
            return Problem(StatusCodes.Status409Conflict, "Identity exists", Reason(e));
        }
    }

    private static async Task<IResult> IdentifyAsync(
        string name,
        int? k,
        bool? aligned,
        HttpRequest http,
        IFaceGalleryStore store,
        FaceAnalyzer analyzer,
        ModelThreshold threshold,
        Uploads uploads,
        FaceReader reader,
        Microsoft.Extensions.Options.IOptions<ServerOptions> options,
        CancellationToken cancellationToken)
    {
        int top = k ?? 5;
        if (top < 1 || top > options.Value.MaxTopK)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad query", $"k must be 1 to {options.Value.MaxTopK}; got {top}.");
        }

        (IFaceGallery? gallery, ProblemHttpResult? problem) = await OpenForModelAsync(name, store, analyzer, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        List<(string Field, Upload Upload)> files = await uploads.ReadAsync(http, cancellationToken).ConfigureAwait(false);
        ImageFaces[] images = await reader.ReadAsync([.. files.Select(f => f.Upload)], FaceRequest.Parse(null, aligned, null, null, null, FaceTasks.Identity), cancellationToken).ConfigureAwait(false);
        var results = new List<(ImageFaces Image, List<(SwinFace.Detection.FaceDetection? Where, IReadOnlyList<GalleryMatch> Matches)> Faces)>();
        foreach (ImageFaces image in images)
        {
            var faces = new List<(SwinFace.Detection.FaceDetection?, IReadOnlyList<GalleryMatch>)>();
            if (image.Aligned is { } crop)
            {
                faces.Add((null, await gallery!.SearchAsync(crop.Embedding!, top, cancellationToken).ConfigureAwait(false)));
            }
            else
            {
                foreach (PhotoFace face in image.Photo!.Faces)
                {
                    faces.Add((face.Detection, await gallery!.SearchAsync(face.Analysis.Embedding!, top, cancellationToken).ConfigureAwait(false)));
                }
            }

            results.Add((image, faces));
        }

        return new JsonAnswer(writer =>
        {
            writer.WriteString("gallery", name);
            threshold.Write(writer);
            writer.WriteStartArray("images");
            foreach ((ImageFaces image, var faces) in results)
            {
                writer.WriteStartObject();
                writer.WriteString("file", image.Upload.Name);
                writer.WriteStartArray("faces");
                foreach ((SwinFace.Detection.FaceDetection? where, IReadOnlyList<GalleryMatch> matches) in faces)
                {
                    AnalysisJson.WriteMatches(writer, where, matches, threshold.Identity(matches));
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });
    }

    /// <summary>Opens a gallery for this service's embeddings: a gallery of another model is refused, as the CLI refuses its file.</summary>
    private static async Task<(IFaceGallery? Gallery, ProblemHttpResult? Problem)> OpenForModelAsync(string name, IFaceGalleryStore store, FaceAnalyzer analyzer, CancellationToken cancellationToken)
    {
        if (await store.OpenAsync(name, cancellationToken).ConfigureAwait(false) is not { } gallery)
        {
            return (null, NoGallery(name));
        }

        if (gallery.Model is { } model && model != analyzer.ModelId)
        {
            return (null, Problem(
                StatusCodes.Status409Conflict,
                "Gallery of another model",
                $"The gallery '{name}' holds embeddings of the model {model}; this service runs {analyzer.ModelId}. Similarities across models mean nothing: re-enrol the gallery with this model."));
        }

        return (gallery, null);
    }

    private static ProblemHttpResult NoGallery(string name) =>
        Problem(StatusCodes.Status404NotFound, "No such gallery", $"There is no gallery named '{name}'.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);

    private static string Reason(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
}
