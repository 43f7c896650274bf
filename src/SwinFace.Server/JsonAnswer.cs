using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace SwinFace.Server;

/// <summary>A JSON response written by hand with a <see cref="Utf8JsonWriter"/>: the library's <see cref="SwinFace.Analysis.AnalysisJson"/> writes into it.</summary>
internal sealed class JsonAnswer(Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK) : IResult, IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(void), ["application/json"]));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using (var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
            await writer.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
