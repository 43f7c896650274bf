using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace SwinFace.Server;

/// <summary>One uploaded image: its name (the part's file name, or <c>body</c>) and its bytes.</summary>
internal sealed record Upload(string Name, byte[] Data);

/// <summary>Reads the images of a request, as multipart form files or as a raw body, within the service's limits.</summary>
internal sealed class Uploads(IOptions<ServerOptions> options)
{
    private readonly ServerOptions _options = options.Value;

    /// <summary>
    /// Reads every image: the files of a <c>multipart/form-data</c> body (any field names, in order), or the whole
    /// body as one image otherwise, whatever its content type.
    /// </summary>
    /// <exception cref="RequestRefusedException">No image, too many images, or too many bytes.</exception>
    public async Task<List<(string Field, Upload Upload)>> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var uploads = new List<(string, Upload)>();
        if (request.ContentLength > _options.MaxRequestBytes)
        {
            throw TooLarge();
        }

        // Only multipart bodies are forms here: curl --data-binary sends a raw image as application/x-www-form-urlencoded.
        if (request.HasFormContentType && request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                // The form reader's limits (FormOptions) and malformed multipart bodies.
                throw e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase)
                    ? TooLarge()
                    : new RequestRefusedException(StatusCodes.Status400BadRequest, "Bad multipart body", e.Message);
            }
            catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested && !request.HttpContext.RequestAborted.IsCancellationRequested)
            {
                // A whole body whose multipart ends before its closing boundary (found by the request fuzz target: it was a 500).
                // Kestrel's own BadHttpRequestException (a body shorter than its Content-Length, say) keeps its status.
                throw new RequestRefusedException(StatusCodes.Status400BadRequest, "Bad multipart body", "The multipart body ends before its closing boundary.");
            }

            if (form.Files.Count > _options.MaxImagesPerRequest)
            {
                throw TooMany(form.Files.Count);
            }

            foreach (IFormFile file in form.Files)
            {
                await using Stream stream = file.OpenReadStream();
                string name = string.IsNullOrEmpty(file.FileName) ? file.Name : Path.GetFileName(file.FileName);
                uploads.Add((file.Name, new Upload(name, await ReadAllAsync(stream, file.Length, cancellationToken).ConfigureAwait(false))));
            }
        }
        else if (request.ContentLength is not 0)
        {
            uploads.Add((string.Empty, new Upload("body", await ReadAllAsync(request.Body, request.ContentLength, cancellationToken).ConfigureAwait(false))));
        }

        if (uploads.Count == 0)
        {
            throw new RequestRefusedException(StatusCodes.Status400BadRequest, "No image", "Send the image as the request body, or images as files of a multipart/form-data body.");
        }

        return uploads;
    }

    private RequestRefusedException TooMany(int count) => new(
        StatusCodes.Status400BadRequest,
        "Too many images",
        string.Create(CultureInfo.InvariantCulture, $"The request holds {count} images; the most is {_options.MaxImagesPerRequest} (SwinFace:MaxImagesPerRequest)."));

    /// <summary>Reads a body or a part into memory, counting bytes as they come: a body without a length cannot pass the limit either.</summary>
    private async Task<byte[]> ReadAllAsync(Stream stream, long? length, CancellationToken cancellationToken)
    {
        long limit = _options.MaxRequestBytes;
        if (length > limit)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream(length is long n ? (int)n : 64 * 1024);
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private RequestRefusedException TooLarge() => new(
        StatusCodes.Status413PayloadTooLarge,
        "Request too large",
        string.Create(CultureInfo.InvariantCulture, $"The request is over the limit of {_options.MaxRequestBytes:N0} bytes (SwinFace:MaxRequestBytes)."));
}

/// <summary>OpenAPI metadata for endpoints that take images.</summary>
internal static class UploadMetadata
{
    /// <summary>
    /// Documents the request body (images as files of a multipart form, or one image as the raw body) in the OpenAPI
    /// document only: accepts-metadata would make routing refuse other content types, and a raw body may have any.
    /// </summary>
    public static RouteHandlerBuilder AcceptsImages(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "Images as the files of a multipart/form-data body (any field names), or one image as the raw body (any content type). JPEG, PNG, BMP, GIF, TIFF, TGA, WebP or PBM.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["multipart/form-data"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = binary } },
                    ["application/octet-stream"] = new() { Schema = binary },
                },
            };
            return Task.CompletedTask;
        });
}
