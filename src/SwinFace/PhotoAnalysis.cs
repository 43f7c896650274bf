using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace;

/// <summary>Every face found in a photo, analysed.</summary>
/// <param name="Width">The photo's width in pixels, after EXIF orientation.</param>
/// <param name="Height">The photo's height in pixels, after EXIF orientation.</param>
/// <param name="Faces">The faces, strongest detection first; empty when the photo has none.</param>
public sealed record PhotoAnalysis(int Width, int Height, IReadOnlyList<PhotoFace> Faces)
{
    /// <summary>
    /// Gets what was wrong with the photo's file, when it was damaged but decodable and
    /// <see cref="FaceAnalyzerOptions.AnalyzeDamagedPhotos"/> let it be analysed; otherwise <see langword="null"/>.
    /// </summary>
    /// <remarks>
    /// The faces were found in the rows that hold image data (<see cref="ImageDamage.DecodedRows"/>); a face
    /// that reaches into the rows the decoder filled in was analysed with those pixels.
    /// </remarks>
    public ImageDamage? Damage { get; init; }

    /// <summary>
    /// Gets the number of faces the detector found but the call's <see cref="PhotoAnalysisOptions"/> left out:
    /// smaller than <see cref="PhotoAnalysisOptions.MinFaceSize"/>, or beyond <see cref="PhotoAnalysisOptions.MaxFaces"/>.
    /// </summary>
    public int SkippedFaces { get; init; }
}

/// <summary>One face of a photo: where it is, how it was aligned, and what SwinFace says about it.</summary>
/// <param name="Detection">The box, keypoints and score, in the photo's coordinates after EXIF orientation.</param>
/// <param name="SourceSize">
/// The side, in photo pixels, of the region that became the 112 x 112 aligned crop. Below 112 the crop
/// was upsampled from fewer pixels than the model sees, and its results deserve less trust.
/// </param>
/// <param name="Analysis">The model's outputs for the aligned face.</param>
/// <param name="AlignedFace">The aligned crop as 112 x 112 x 3 RGB bytes, when requested; otherwise <see langword="null"/>.</param>
public sealed record PhotoFace(FaceDetection Detection, float SourceSize, FaceAnalysis Analysis, byte[]? AlignedFace)
{
    /// <summary>
    /// Gets how many landmarks aligned the face: 5 when the detector gave both mouth corners (YuNet does), so that
    /// the eyes, the nose tip and the mouth corners were fitted to the ArcFace template as in the model's training
    /// data; 4 when it gave only the mouth centre (BlazeFace), fitted to the middle of the template's corners.
    /// </summary>
    public int AlignmentPoints => Detection.Landmarks.HasMouthCorners ? 5 : 4;

    /// <summary>Creates an image of the aligned crop.</summary>
    /// <returns>A new 112 x 112 image the caller disposes, or <see langword="null"/> when the crop was not requested.</returns>
    public Image<Rgb24>? ToAlignedImage() => AlignedFace is null ? null : Image.LoadPixelData<Rgb24>(AlignedFace, Alignment.FaceAligner.Size, Alignment.FaceAligner.Size);
}

/// <summary>One photo of <see cref="FaceAnalyzer.AnalyzePhotos(IEnumerable{string}, FaceTasks, bool)"/>: its analysis, or why it could not be read.</summary>
/// <param name="Path">The photo's path, as given.</param>
/// <param name="Analysis">The faces found, or <see langword="null"/> when the photo could not be read.</param>
/// <param name="Error">
/// Why the photo could not be read (<see cref="FileNotFoundException"/>, <see cref="SwinFaceImageException"/>,
/// or another I/O error), or <see langword="null"/>.
/// </param>
public sealed record PhotoResult(string Path, PhotoAnalysis? Analysis, Exception? Error);
