using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SwinFace.Imaging;

/// <summary>
/// Reads images the way <see cref="FaceAnalyzer"/> reads photos: safely, upright, as 8-bit RGB, and for
/// JPEG with the same pixels as OpenCV's <c>cv2.imread</c> where libjpeg-turbo's TurboJPEG library is
/// installed (Debian and Ubuntu: <c>libturbojpeg0</c>).
/// </summary>
/// <remarks>
/// Use it to read aligned face crops for <see cref="FaceAnalyzer.Analyze(Image{Rgb24}, Analysis.FaceTasks)"/>
/// when results must match the SwinFace authors' Python code to the last digit. JPEG decoders differ:
/// without TurboJPEG, ImageSharp decodes the JPEG, and the model's outputs can differ from the authors'
/// by more than 1e-3 for the same file. PNG and other lossless formats decode identically either way.
/// Images over 100,000,000 pixels are refused, and so are damaged files (cut short, or with data the
/// decoder had to skip; see <see cref="FaceAnalyzerOptions.AnalyzeDamagedPhotos"/>).
/// </remarks>
public static class ImageFile
{
    /// <summary>Gets a value indicating whether JPEGs are decoded with libjpeg-turbo (as OpenCV does) rather than ImageSharp.</summary>
    public static bool DecodesJpegLikeOpenCv => TurboJpeg.IsAvailable;

    /// <summary>Reads an image file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>A new image, EXIF orientation applied, that the caller disposes.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SwinFaceImageException">The file is not a readable image, is corrupt or damaged, or is too large.</exception>
    public static Image<Rgb24> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image file not found: {path}", path);
        }

        using FileStream stream = File.OpenRead(path);
        return PhotoLoader.Default.Load(stream, path).Image;
    }

    /// <summary>Reads an encoded image from bytes.</summary>
    /// <param name="data">The encoded image.</param>
    /// <returns>A new image, EXIF orientation applied, that the caller disposes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="SwinFaceImageException">The data is not a readable image, is corrupt or damaged, or is too large.</exception>
    public static Image<Rgb24> Load(byte[] data) => Load(data, PhotoLoader.Default.MaxPixels);

    /// <summary>Reads an encoded image from bytes, refusing one of more than <paramref name="maxPixels"/> pixels before decoding it.</summary>
    /// <param name="data">The encoded image.</param>
    /// <param name="maxPixels">The most pixels (width x height) accepted, as <see cref="FaceAnalyzerOptions.MaxImagePixels"/>.</param>
    /// <returns>A new image, EXIF orientation applied, that the caller disposes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPixels"/> is less than 1.</exception>
    /// <exception cref="SwinFaceImageException">The data is not a readable image, is corrupt or damaged, or is too large.</exception>
    public static Image<Rgb24> Load(byte[] data, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        PhotoLoader loader = maxPixels == PhotoLoader.Default.MaxPixels ? PhotoLoader.Default : new PhotoLoader(maxPixels, acceptDamaged: false);
        using var stream = new MemoryStream(data, writable: false);
        return loader.Load(stream, "image bytes").Image;
    }
}
