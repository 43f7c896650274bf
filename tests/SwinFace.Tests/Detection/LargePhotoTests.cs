using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>Loads YuNet and the hand-labelled faces once for the class.</summary>
public sealed class SyntheticGroupFixture : IDisposable
{
    public YuNetDetector Detector { get; } = YuNetDetector.Create();

    internal SyntheticGroupPhoto Group { get; } = new(LabelledPhotos.Load(TestData.Shared, null));

    public void Dispose()
    {
        Detector.Dispose();
        Group.Dispose();
    }
}

/// <summary>
/// The limits of the default detector, on group photos built from the hand-labelled dlib faces
/// (<see cref="SyntheticGroupPhoto"/>): the smallest face found, a 10-megapixel group photo, and the largest photo
/// that <see cref="FaceAnalyzerOptions.MaxImagePixels"/> lets in (100 megapixels). Face sizes are the widths of the
/// hand-drawn boxes, which are square and run from the brows to the chin.
/// </summary>
public sealed class LargePhotoTests(SyntheticGroupFixture fixture) : IClassFixture<SyntheticGroupFixture>
{
    [Theory]
    [InlineData(4844, 2022, 31, 48)] // the size of the 31-person photo of the issue
    [InlineData(3648, 2736, 31, 48)] // a 10 MP camera photo, 4:3
    public void Detect_FindsEveryFaceOfATenMegapixelGroupPhoto(int width, int height, int count, float faceSize) =>
        AssertAllFound(width, height, count, faceSize);

    [Fact]
    public void Detect_FindsFacesOf32PixelsInAPhotoTheModelSeesWhole()
    {
        // Under the first pass's pixel budget (0.5 MP) the model sees every pixel.
        AssertAllFound(800, 600, 31, 32);
    }

    [Fact]
    public void Detect_FindsTheFacesOfAHundredMegapixelPhoto()
    {
        // 10,000 x 10,000: the first pass sees it at 0.07 of its size, where these faces are 14 px and only some of
        // them are found; the second look at their region finds all.
        AssertAllFound(10_000, 10_000, 31, 200);
    }

    private void AssertAllFound(int width, int height, int count, float faceSize)
    {
        (Image<Rgb24> photo, RectangleF[] faces) = fixture.Group.Create(width, height, count, faceSize);
        using (photo)
        {
            IReadOnlyList<FaceDetection> found = fixture.Detector.Detect(photo);
            LabelledResult r = LabelledPhotos.Compare(faces, [.. found.Select(f => f.Box)]);
            Assert.True(r.Matched == count && r.Extra == 0, $"{width} x {height}, {count} faces of {faceSize} px: {r.Matched} found, {r.Extra} extra");
        }
    }
}
