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
    /// Detections beyond the faces a person counts, photo by photo. <c>dogs.jpg</c>: YuNet fires on the face of the
    /// lower left dog (score 0.84; the other dogs score 0.76 and less); the issue allows at most this one. The faces
    /// on the posters and figurines of <c>2008_002079</c> and <c>2008_004176</c>, which the labels leave out, score
    /// 0.71 and less, under the threshold.
    /// </summary>
    private static readonly Dictionary<string, int> Extra = new() { ["dogs.jpg"] = 1 };

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
    public void Detect_FindsEveryOneOfThe43HandLabelledFacesAtIoU05()
    {
        // yunet_s (the other YuNet model) finds the 43rd too, a turned head in 2007_007763, but at IoU 0.49: the
        // hand-drawn box is a square from the brows to the chin, and that model's box takes in the side of the head.
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
        Assert.True(matched == labelled, $"{matched} of {labelled} matched; {string.Join("; ", misses)}");
    }

    [Fact]
    public void Detect_FindsExactlyTheFacesOfTheGroupPhotosCountedHere()
    {
        // The fidelity photos (models/fidelity/, fetched by the build): 22 faces, no false detection. (yunet_s at 0.6
        // also fires on a blurred object in sample1, at 0.63.)
        foreach (LabelledPhoto photo in LabelledPhotos.Counted(Path.Combine(TestData.RepoRoot, "models", "fidelity")))
        {
            using Image<Rgb24> image = Image.Load<Rgb24>(photo.Path);
            Assert.True(photo.Faces == fixture.Detector.Detect(image).Count, $"{photo.Name}: {fixture.Detector.Detect(image).Count} faces, expected {photo.Faces}");
        }
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
