using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>
/// The default detector (YuNet) on the labelled photos of <c>../shared/testdata/</c>, which no one here made:
/// counts per photo, recall of the hand-drawn boxes at IoU 0.5, the dogs, and the mouth corners of every face.
/// </summary>
public sealed class LabelledPhotoTests(YuNetFixture fixture) : IClassFixture<YuNetFixture>
{
    private static readonly IReadOnlyList<LabelledPhoto> All = LabelledPhotos.Load(TestData.Shared, TestData.Astronaut);

    public static TheoryData<string> Names() => [.. All.Select(p => p.Name)];

    /// <summary>
    /// Detections beyond the faces a person counts, photo by photo. <c>2008_004176</c>: the face printed on the clock
    /// at the top right, one of the "faces on posters or figurines that the labels leave out" (README). <c>dogs.jpg</c>:
    /// YuNet fires on the face of the lower left dog (score 0.74); the test allows at most this one.
    /// </summary>
    private static readonly Dictionary<string, int> Extra = new() { ["2008_004176.jpg"] = 1, ["dogs.jpg"] = 1 };

    [Theory]
    [MemberData(nameof(Names))]
    public void Detect_FindsTheFacesAPersonCounts(string name)
    {
        LabelledPhoto photo = All.Single(p => p.Name == name);
        using Image<Rgb24> image = Image.Load<Rgb24>(photo.Path);
        IReadOnlyList<FaceDetection> found = fixture.Detector.Detect(image);
        Assert.Equal(photo.Faces + Extra.GetValueOrDefault(name), found.Count);
    }

    [Fact]
    public void Detect_FindsAtLeast42OfThe43HandLabelledFacesAtIoU05()
    {
        // The 43rd (2007_007763, a turned head) is found too, at IoU 0.49: its hand-drawn box is a square from the
        // brows to the chin, YuNet's box takes in the forehead and the side of the head.
        int labelled = 0, matched = 0;
        var misses = new List<string>();
        foreach (LabelledPhoto photo in All.Where(p => p.Boxes is { Count: > 0 }))
        {
            using Image<Rgb24> image = Image.Load<Rgb24>(photo.Path);
            LabelledResult r = LabelledPhotos.Compare(photo, fixture.Detector.Detect(image));
            labelled += photo.Faces;
            matched += r.Matched;
            if (r.Matched < photo.Faces)
            {
                misses.Add($"{photo.Name}: {r.Matched} of {photo.Faces}");
            }
        }

        Assert.Equal(43, labelled);
        Assert.True(matched >= 42, $"{matched} of {labelled} matched; {string.Join("; ", misses)}");
    }

    [Fact]
    public void Detect_FiresAtMostOnceOnTheDogs()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestData.Labelled("dlib", "dogs.jpg"));
        Assert.True(fixture.Detector.Detect(image).Count <= 1);
    }

    [Fact]
    public void Detect_GivesBothMouthCornersForEveryFaceOfEveryPhoto()
    {
        int faces = 0;
        foreach (LabelledPhoto photo in All)
        {
            using Image<Rgb24> image = Image.Load<Rgb24>(photo.Path);
            foreach (FaceDetection face in fixture.Detector.Detect(image))
            {
                Assert.True(face.Landmarks.HasMouthCorners, $"{photo.Name}: a face without mouth corners");
                Assert.True(face.Landmarks.MouthLeft!.Value.X < face.Landmarks.MouthRight!.Value.X, $"{photo.Name}: mouth corners swapped");
                faces++;
            }
        }

        Assert.True(faces >= 53, $"{faces} faces");
    }
}
