using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SwinFace.Server;

/// <summary>A request the service refuses, with the status and the reason for its problem details.</summary>
internal sealed class RequestRefusedException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}

/// <summary>RFC 7807 problem details for every error: the one mapping from exceptions to status codes.</summary>
internal static partial class Problems
{
    /// <summary>Writes a problem to the response.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        IProblemDetailsService service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).ConfigureAwait(false);
    }

    /// <summary>The status, title and detail of an exception, with the library's message where it has one.</summary>
    public static (int Status, string Title, string Detail) Describe(Exception e) => e switch
    {
        RequestRefusedException r => (r.Status, r.Title, r.Message),
        SwinFaceImageException => (StatusCodes.Status400BadRequest, "Unreadable image", e.Message),
        SwinFaceBusyException => (StatusCodes.Status503ServiceUnavailable, "Busy", e.Message),
        BadHttpRequestException b => (b.StatusCode, b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request too large" : "Bad request", b.Message),
        _ => (StatusCodes.Status500InternalServerError, "Internal error", "The service failed to handle the request; its log says why."),
    };

    /// <summary>Turns exceptions into problem details; expected ones are not logged as errors.</summary>
    internal sealed partial class ExceptionHandler(ILogger<ExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
            {
                // The client went away, or the request timed out: the timeout middleware answers 504, nobody reads anything else.
                return true;
            }

            (int status, string title, string detail) = Describe(exception);
            if (status >= 500 && exception is not SwinFaceBusyException)
            {
                LogFailure(logger, exception, context.Request.Method, context.Request.Path);
            }

            if (exception is SwinFaceBusyException busy)
            {
                ServerMetrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", "busy"));
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(busy.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            if (context.Response.HasStarted)
            {
                return true;
            }

            await WriteAsync(context, status, title, detail).ConfigureAwait(false);
            return true;
        }

        [LoggerMessage(Level = LogLevel.Error, Message = "Request {Method} {Path} failed")]
        private static partial void LogFailure(ILogger logger, Exception exception, string method, PathString path);
    }
}
