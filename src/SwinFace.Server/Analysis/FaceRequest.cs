using System.Globalization;
using SwinFace.Analysis;

namespace SwinFace.Server.Analysis;

/// <summary>
/// What a request asks of each image, from its query string: <c>tasks</c> (comma-separated: identity, expression,
/// age, gender, attributes, all), <c>aligned</c> (the images are aligned 112 x 112 crops), <c>crops</c> (return each
/// face's aligned crop), <c>maxFaces</c> and <c>minFaceSize</c>.
/// </summary>
internal sealed record FaceRequest(FaceTasks Tasks, bool Aligned, bool Crops, int? MaxFaces, float? MinFaceSize)
{
    /// <summary>Reads and checks the query.</summary>
    /// <exception cref="RequestRefusedException">A value is not valid.</exception>
    public static FaceRequest Parse(string? tasks, bool? aligned, bool? crops, int? maxFaces, float? minFaceSize, FaceTasks defaultTasks = FaceTasks.All)
    {
        FaceTasks parsed = defaultTasks;
        if (!string.IsNullOrWhiteSpace(tasks))
        {
            parsed = FaceTasks.None;
            foreach (string name in tasks.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Enum.TryParse(name, ignoreCase: true, out FaceTasks task) || !Enum.IsDefined(task) || task == FaceTasks.None || int.TryParse(name, out _))
                {
                    throw Bad($"tasks: unknown task '{name}'; use identity, expression, age, gender, attributes or all, comma-separated.");
                }

                parsed |= task;
            }
        }

        if (maxFaces is < 1)
        {
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"maxFaces must be at least 1; got {maxFaces}."));
        }

        if (minFaceSize is float size && (!(size >= 0) || float.IsInfinity(size)))
        {
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"minFaceSize must be 0 or more pixels; got {size}."));
        }

        if (aligned == true && (crops == true || maxFaces is not null || minFaceSize is not null))
        {
            throw Bad("crops, maxFaces and minFaceSize apply to photos; with aligned=true each image is one aligned face.");
        }

        return new FaceRequest(parsed, aligned ?? false, crops ?? false, maxFaces, minFaceSize);
    }

    private static RequestRefusedException Bad(string detail) => new(StatusCodes.Status400BadRequest, "Bad query", detail);
}
