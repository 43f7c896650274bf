using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Recognition;
using SwinFace.Server.Security;

namespace SwinFace.Server.Analysis;

/// <summary><c>POST /v1/analyze</c> and <c>POST /v1/compare</c>.</summary>
internal static class AnalysisEndpoints
{
    public static RouteGroupBuilder MapAnalysis(this RouteGroupBuilder v1)
    {
        v1.MapPost("/analyze", AnalyzeAsync)
            .AcceptsImages()
            .RequireAuthorization(Policies.Analyze)
            .WithName("Analyze")
            .WithSummary("Find and analyse every face of one or more photos.")
            .WithDescription(
                "The images come as the request body, or as the files of a multipart/form-data body. The answer is the JSON " +
                "of `swinface analyze --json`, written by the same code: {\"model\": {...}, \"images\": [{\"file\", \"width\", " +
                "\"height\", \"faces\": [{\"box\", \"score\", \"landmarks\", \"sourceSize\", \"embedding\", \"age\", \"male\", " +
                "\"expression\", \"attributes\"}]}]}. Query: tasks (identity, expression, age, gender, attributes, all; " +
                "comma-separated), aligned (the images are aligned 112x112 crops), crops (return each face's aligned crop as a PNG " +
                "data URL), maxFaces, minFaceSize (box width in pixels). Needs the scope `analyze`.");
        v1.MapPost("/compare", CompareAsync)
            .AcceptsImages()
            .RequireAuthorization(Policies.Analyze)
            .WithName("Compare")
            .WithSummary("Compare the largest faces of two images: cosine similarity, and a verdict when the model has a calibrated threshold.")
            .WithDescription("Two files of a multipart/form-data body (fields `a` and `b`, or the first two files). Query: aligned. Needs the scope `analyze`.");
        return v1;
    }

    private static async Task<JsonAnswer> AnalyzeAsync(
        HttpRequest http,
        FaceAnalyzer analyzer,
        Uploads uploads,
        FaceReader reader,
        string? tasks,
        bool? aligned,
        bool? crops,
        int? maxFaces,
        float? minFaceSize,
        CancellationToken cancellationToken)
    {
        FaceRequest request = FaceRequest.Parse(tasks, aligned, crops, maxFaces, minFaceSize);
        List<(string Field, Upload Upload)> files = await uploads.ReadAsync(http, cancellationToken).ConfigureAwait(false);
        ImageFaces[] images = await reader.ReadAsync([.. files.Select(f => f.Upload)], request, cancellationToken).ConfigureAwait(false);
        ServerMetrics.Images.Add(images.Length);
        return new JsonAnswer(writer =>
        {
            AnalysisJson.WriteModel(writer, analyzer);
            writer.WriteStartArray("images");
            foreach (ImageFaces image in images)
            {
                if (image.Photo is { } photo)
                {
                    AnalysisJson.WriteImage(writer, image.Upload.Name, photo, request.Crops ? i => DataUrl(photo.Faces[i]) : null);
                }
                else
                {
                    AnalysisJson.WriteImage(writer, image.Upload.Name, image.Width, image.Height, image.Aligned!);
                }
            }

            writer.WriteEndArray();
        });
    }

    private static async Task<JsonAnswer> CompareAsync(
        HttpRequest http,
        Uploads uploads,
        FaceReader reader,
        ModelThreshold threshold,
        bool? aligned,
        CancellationToken cancellationToken)
    {
        FaceRequest request = FaceRequest.Parse(null, aligned, null, null, null, FaceTasks.Identity);
        List<(string Field, Upload Upload)> files = await uploads.ReadAsync(http, cancellationToken).ConfigureAwait(false);
        Upload[] pair = [.. files.Where(f => f.Field == "a").Concat(files.Where(f => f.Field == "b")).Select(f => f.Upload)];
        if (pair.Length != 2)
        {
            pair = [.. files.Select(f => f.Upload)];
        }

        if (pair.Length != 2)
        {
            throw new RequestRefusedException(StatusCodes.Status400BadRequest, "Two images needed", $"Compare takes exactly two images (multipart fields a and b); got {files.Count}.");
        }

        ImageFaces[] images = await reader.ReadAsync(pair, request, cancellationToken).ConfigureAwait(false);
        float[] a = RequireFace(images[0]), b = RequireFace(images[1]);
        Comparison comparison = FaceSimilarity.Compare(a, b, threshold.Value);
        return new JsonAnswer(writer =>
        {
            writer.WriteString("a", images[0].Upload.Name);
            writer.WriteString("b", images[1].Upload.Name);
            writer.WriteNumber("similarity", comparison.Similarity);
            threshold.Write(writer);
            if (comparison.IsSamePerson is bool same)
            {
                writer.WriteBoolean("samePerson", same);
            }
            else
            {
                writer.WriteNull("samePerson");
            }
        });
    }

    /// <summary>The embedding of an image's largest face; an image without a face refuses the request.</summary>
    internal static float[] RequireFace(ImageFaces image) => image.Largest ?? throw new RequestRefusedException(
        StatusCodes.Status422UnprocessableEntity,
        "No face",
        $"{image.Upload.Name}: no face found{(image.Width == 112 && image.Height == 112 ? "; if it is an aligned 112x112 crop, pass aligned=true" : string.Empty)}.");

    private static string DataUrl(PhotoFace face)
    {
        using Image<Rgb24> crop = face.ToAlignedImage()!;
        return crop.ToBase64String(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance);
    }
}
