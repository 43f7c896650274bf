using System.Globalization;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Imaging;

namespace SwinFace.Server.Analysis;

/// <summary>One uploaded image, analysed: a photo's faces, or an aligned crop's one face.</summary>
internal sealed record ImageFaces(Upload Upload, PhotoAnalysis? Photo, FaceAnalysis? Aligned, int Width, int Height)
{
    /// <summary>Gets the number of faces.</summary>
    public int Count => Photo?.Faces.Count ?? 1;

    /// <summary>Gets the embedding of the largest face (by box area), or <see langword="null"/> when there is none.</summary>
    public float[]? Largest => Aligned?.Embedding ?? Photo!.Faces.MaxBy(f => f.Detection.Box.Width * f.Detection.Box.Height)?.Analysis.Embedding;
}

/// <summary>Runs the analyzer over uploads: every image of a request at once, so their faces share model batches.</summary>
internal sealed class FaceReader(FaceAnalyzer analyzer, IOptions<ServerOptions> options)
{
    /// <summary>The largest aligned crop accepted, in pixels: crops are 112 x 112, and each waits whole for the model.</summary>
    public const long MaxAlignedPixels = 1024 * 1024;

    private readonly ServerOptions _options = options.Value;

    /// <summary>Analyses every upload. One unreadable image refuses the whole request, naming the image, and cancels the others' work.</summary>
    /// <exception cref="RequestRefusedException">An image is unreadable.</exception>
    public async Task<ImageFaces[]> ReadAsync(IReadOnlyList<Upload> uploads, FaceRequest request, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<ImageFaces>[] work = [.. uploads.Select(upload => GuardedAsync(upload))];
        try
        {
            return await Task.WhenAll(work).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The failure that stopped the others, not the cancellations it caused.
            Exception first = work.Select(t => t.Exception?.InnerException).First(e => e is not null and not OperationCanceledException)!;
            if (first is SwinFaceImageException)
            {
                throw new RequestRefusedException(StatusCodes.Status400BadRequest, "Unreadable image", first.Message);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;
        }

        async Task<ImageFaces> GuardedAsync(Upload upload)
        {
            try
            {
                return await ReadOneAsync(upload, request, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One image failing fails the request: the others' faces leave the queue.
                await linked.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task<ImageFaces> ReadOneAsync(Upload upload, FaceRequest request, CancellationToken cancellationToken)
    {
        // Off the request's thread: decoding and detection are CPU work, and the uploads run side by side.
        await Task.Yield();
        if (!request.Aligned)
        {
            var photoOptions = new PhotoAnalysisOptions
            {
                Tasks = request.Tasks,
                IncludeAlignedFaces = request.Crops,
                MaxFaces = Math.Min(request.MaxFaces ?? int.MaxValue, _options.MaxFacesPerImage),
                MinFaceSize = request.MinFaceSize ?? 0,
                Name = upload.Name,
            };
            PhotoAnalysis photo = await analyzer.AnalyzePhotoAsync(new MemoryStream(upload.Data, writable: false), photoOptions, cancellationToken).ConfigureAwait(false);
            return new ImageFaces(upload, photo, null, photo.Width, photo.Height);
        }

        Image<Rgb24> crop;
        try
        {
            crop = ImageFile.Load(upload.Data, Math.Min(MaxAlignedPixels, _options.MaxImagePixels));
        }
        catch (SwinFaceImageException e)
        {
            throw new SwinFaceImageException(e.Message.Replace("image bytes:", $"{upload.Name} (an aligned crop: 112 x 112, at most {MaxAlignedPixels.ToString("N0", CultureInfo.InvariantCulture)} pixels):", StringComparison.Ordinal), e);
        }

        using (crop)
        {
            IReadOnlyList<FaceAnalysis> face = await analyzer.AnalyzeAsync([crop], request.Tasks, cancellationToken).ConfigureAwait(false);
            return new ImageFaces(upload, null, face[0], crop.Width, crop.Height);
        }
    }
}
